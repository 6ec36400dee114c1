@HIPAA-164.312-a-2-iii @touches:clock
Feature: Idle sessions end by themselves
  HIPAA 45 CFR 164.312(a)(2)(iii) asks for electronic procedures that end a
  session after a period of inactivity, so that a pump left logged in does
  not serve whoever walks up to it. The device's clock is moved past a
  15-minute idle period; the session must then be refused.

  Scenario Outline: The session of <user> (<role>) is refused after 16 idle minutes
    Given a <role> account "<user>"
    And "<user>" is logged in
    And "<user>" performs "<operation>"
    When 16 minutes pass without any request
    Then "<user>" can no longer perform "<operation>" in that session

    Examples:
      | role          | user        | operation        |
      | clinician     | nurse.jones | infusion.program |
      | administrator | kim.lee     | audit.read       |
