@HIPAA-164.312-a-2-ii
Feature: Emergency access is justified, recorded and ends by itself
  HIPAA 45 CFR 164.312(a)(2)(ii) requires a procedure for obtaining the ePHI
  needed during an emergency. A clinician whose second factor is out of
  reach may "break the glass": the device must ask why, record the access so
  that it stands out in the audit trail, and end it by itself within the
  hour, in use or not.

  Background:
    Given a clinician account "nurse.jones"

  Scenario: Breaking the glass needs a reason
    When "nurse.jones" tries to break the glass without giving a reason
    Then the emergency access is refused

  @touches:clock
  Scenario: Emergency access is recorded with its reason and ends by itself
    When "nurse.jones" breaks the glass giving the reason "code blue, bed 4"
    Then "nurse.jones" performs "infusion.limits.change" in the emergency session
    And the audit trail records the emergency access of "nurse.jones" with its reason
    When 10 minutes pass
    Then "nurse.jones" performs "infusion.program" in the emergency session
    When 1 hour passes
    Then "nurse.jones" can no longer perform "infusion.program" in the emergency session
