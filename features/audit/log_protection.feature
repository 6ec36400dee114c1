@FDA-PMC-LOG-2 @touches:audit-log
Feature: The stored audit trail is protected against tampering
  FDA premarket guidance (Appendix 1, event detection and logging) and
  IEC 62443-4-2 CR 3.9 ask that audit records be protected from change. An
  attacker with access to the device's storage edits, deletes, reorders or
  inserts audit records; verifying the trail with the device's audit key must
  detect it and name the record.

  Background:
    Given a clinician account "nurse.jones"
    And "nurse.jones" has logged in and out 2 times
    And the device has recorded at least 5 audit records
    And the device's audit trail verifies as intact

  Scenario Outline: Tampering with the stored audit trail is detected
    When an attacker with storage access <tampering>
    Then verifying the audit trail reports "<problem>" at record <record>

    Examples:
      | tampering                                      | problem   | record |
      | changes the outcome of audit record 2          | edited    | 2      |
      | changes the actor of audit record 4            | edited    | 4      |
      | deletes audit record 3                         | deleted   | 3      |
      | swaps audit records 2 and 3                    | reordered | 2      |
      | inserts a forged audit record after record 2   | inserted  | 3      |
      | removes the last audit record                  | truncated | 5      |

  Scenario: An edit whose attacker recomputes every later hash is still detected
    When an attacker with storage access changes the outcome of audit record 2 and recomputes the chain
    Then verifying the audit trail fails
