@HIPAA-164.312-bb @slow @needs-root
Feature: Audit records

  @HIPAA-164.312-b
  Scenario: Login is recorded
    When I log in

  @FDA-PMC-LOG-2 @FDA-PMC-LOG-9-new @fda-pmc-LOG-2
  Scenario: An edited record is detected
    When I edit a record

  Scenario Outline: Unicode before the tag
    When I do <what>

    @ünïcode   @HIPAA-99
    Examples:
      | what |
      | a    |
