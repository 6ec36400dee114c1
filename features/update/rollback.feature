@FDA-PMC-INTEG-2 @touches:firmware
Feature: Older firmware is refused even when validly signed
  FDA's premarket guidance (Appendix 1, C and D) expects anti-rollback:
  older images carry vulnerabilities that were fixed, so a device must not
  go back to them, whoever signed them.

  Background:
    Given a biomed account "ravi.patel"
    And "ravi.patel" is logged in

  Scenario: An older image signed by the maker is refused
    Given the maker publishes an older signed image
    When "ravi.patel" tries to install the update
    Then the device refuses the update as "rollback"
    And the device still runs the firmware it ran before

  Scenario: After an update, the previous version is refused
    Given the maker publishes a newer signed image
    And "ravi.patel" installs the update
    And the maker publishes an older signed image
    When "ravi.patel" tries to install the update
    Then the device refuses the update as "rollback"
    And the device still runs the firmware it ran before
