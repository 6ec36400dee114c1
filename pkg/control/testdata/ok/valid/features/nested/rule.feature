Feature: Rules inherit tags

  @FDA-PMC-LOG-2
  Rule: A tagged rule

    Scenario: Inherits the rule's tag
      Given nothing

    @HIPAA-164.312-b
    Scenario: Has both
      Given nothing
