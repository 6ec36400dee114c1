Feature: Audit records

  @HIPAA-164.312-b
  Scenario: Login is recorded
    When I log in
