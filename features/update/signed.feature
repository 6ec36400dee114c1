@FDA-PMC-INTEG-1 @touches:firmware
Feature: Only firmware the maker signed installs
  FDA's premarket guidance (Appendix 1, A and D) and FD&C 524B(b)(2) ask
  that a device install only authenticated, authorized updates. An image
  that is unsigned, signed by a key the device does not trust, or altered
  after signing must be refused, leave the running firmware unchanged, and
  be recorded. Installing firmware is a biomedical technician's job.

  Background:
    Given a biomed account "ravi.patel"
    And "ravi.patel" is logged in

  Scenario: A newer image signed by the maker installs
    Given the maker publishes a newer signed image
    When "ravi.patel" installs the update
    Then the device runs the new firmware
    And the device runs a verified image

  @HIPAA-164.308-a-5-ii-B
  Scenario: An unsigned image is refused
    Given an attacker publishes a newer unsigned image
    When "ravi.patel" tries to install the update
    Then the device refuses the update as "untrusted"
    And the device still runs the firmware it ran before

  Scenario: An image signed with the attacker's own key is refused and recorded
    Given an attacker publishes a newer image signed with the attacker's own key
    When "ravi.patel" tries to install the update
    Then the device refuses the update as "untrusted"
    And the device still runs the firmware it ran before
    And the refused update is in the audit trail

  Scenario: A signed image altered on the mirror is refused and recorded
    Given an attacker alters a newer signed image on the mirror
    When "ravi.patel" tries to install the update
    Then the device refuses the update as "hash-mismatch"
    And the device still runs the firmware it ran before
    And the refused update is in the audit trail
