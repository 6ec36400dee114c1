Feature: Log protection

  @FDA-PMC-LOG-2 @HIPAA-164.312-z
  Scenario: An edited record is detected
    Given nothing
