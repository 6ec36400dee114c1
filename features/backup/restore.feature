@HIPAA-164.308-a-7-ii-B @touches:storage
Feature: A backup restores to a clean unit, complete and in time
  HIPAA 45 CFR 164.308(a)(7)(ii)(B) and (D) require a tested disaster
  recovery plan. Restoring a unit's backup onto a clean unit of the same
  model must bring back the same patient data and accounts, within the
  recovery-time objective.

  Scenario: Restoring onto a clean unit brings back the same records within 60 seconds
    Given a clinician account "nurse.jones"
    And "nurse.jones" is logged in
    And "nurse.jones" stores a marker in the record of patient "P-1001"
    And a biomed account "ravi.patel"
    And "ravi.patel" is logged in
    And "ravi.patel" makes a backup of the device
    When the backup is restored onto a clean unit of the same model
    Then the restore finished within 60 seconds
    And on the clean unit "nurse.jones" reads the same record of patient "P-1001"
