@HIPAA-164.312-b
Feature: Audit controls record who did what, when, from where and with what outcome
  HIPAA 45 CFR 164.312(b) requires mechanisms that record activity in systems
  holding ePHI. The device must write an audit record for every login attempt,
  successful or not, and for every access to patient data, naming the actor,
  the source, the action, the object, the outcome and the time.

  Background:
    Given a clinician account "nurse.jones"

  Scenario: Successful and failed logins are both recorded with actor and outcome
    When "nurse.jones" logs in with the correct password
    And "nurse.jones" tries to log in with a wrong password
    And someone tries to log in as the unknown user "ghost"
    Then the audit trail has a "login" record by "nurse.jones" with outcome "success"
    And the audit trail has a "login" record by "nurse.jones" with outcome "failure"
    And the audit trail has a "login" record by "ghost" with outcome "failure"
    And every audit record states its time, actor, source, action and outcome

  @touches:storage
  Scenario: Reading and changing patient data is recorded with the patient concerned
    Given "nurse.jones" is logged in
    When "nurse.jones" reads the record of patient "P-1001"
    And "nurse.jones" updates the record of patient "P-1001"
    Then the audit trail has a "phi.read" record by "nurse.jones" on "P-1001" with outcome "success"
    And the audit trail has a "phi.write" record by "nurse.jones" on "P-1001" with outcome "success"
    And every audit record states its time, actor, source, action and outcome

  Scenario: Logging out is recorded
    Given "nurse.jones" is logged in
    When "nurse.jones" logs out
    Then the audit trail has a "logout" record by "nurse.jones" with outcome "success"
