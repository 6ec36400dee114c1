@FDA-PMC-UPD-1 @touches:firmware
Feature: An interrupted or broken update leaves a bootable, verified image
  FDA's premarket guidance (Appendix 1, H) expects updates that cannot
  brick the device: power may fail at any phase, and a new image may not
  work. The device must always boot a verified image and roll back a
  broken one by itself.

  Background:
    Given a biomed account "ravi.patel"
    And "ravi.patel" is logged in

  Scenario Outline: Power lost during the <phase> phase
    Given the maker publishes a newer signed image
    And power will be cut during the <phase> phase of the next update
    When "ravi.patel" tries to install the update
    Then the update was interrupted
    When the device restarts
    Then the device runs a verified image of the old or the new firmware
    And "ravi.patel" can complete the update
    And the device runs the new firmware

    Examples:
      | phase        |
      | download     |
      | write        |
      | switch       |
      | health-check |

  Scenario: An image that fails its self-test is rolled back
    Given the maker publishes a newer signed image that fails its self-test
    When "ravi.patel" tries to install the update
    Then the device refuses the update as "health-check"
    And the device still runs the firmware it ran before
    And the device runs a verified image
