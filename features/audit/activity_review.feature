@HIPAA-164.308-a-1-ii-D
Feature: Privileged activity is summarised for review
  HIPAA 45 CFR 164.308(a)(1)(ii)(D) requires regular review of records of
  information system activity. The device must produce, from its audit
  trail, a review of what privileged users did, flag the alerts
  (emergency access, lockouts) that nobody has looked at yet, and single
  out privileged work outside office hours (a stolen account is often used
  at night).

  Scenario: The review lists privileged actions and flags unreviewed emergency access
    Given a biomed account "ravi.patel"
    And an administrator account "kim.lee"
    And a clinician account "nurse.jones"
    And "ravi.patel" is logged in
    And "ravi.patel" performs "infusion.limits.change"
    And "nurse.jones" breaks the glass giving the reason "code blue, bed 4"
    And "kim.lee" is logged in
    When "kim.lee" requests the privileged-activity review
    Then the review lists "infusion.limits.change" by "ravi.patel"
    And the review flags the emergency access of "nurse.jones" as not yet reviewed

  @touches:clock
  Scenario: The review singles out privileged work outside office hours
    Given a biomed account "ravi.patel"
    And an administrator account "kim.lee"
    And the device's clock reaches the next Sunday at 03:00 UTC
    And "ravi.patel" is logged in
    And "ravi.patel" performs "infusion.limits.change"
    And "kim.lee" is logged in
    When "kim.lee" requests the privileged-activity review
    Then the review flags "infusion.limits.change" by "ravi.patel" as outside office hours
