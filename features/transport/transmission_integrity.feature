@HIPAA-164.312-e-2-i @touches:clinical-settings
Feature: A message altered in transit is rejected
  HIPAA 45 CFR 164.312(e)(2)(i) asks for integrity controls so that ePHI
  and orders are not improperly modified in transit. An attacker on the
  path who alters an infusion order must not change what the pump does.

  Scenario: An infusion order altered on the path is not acted on
    Given the harness is a trusted peer of the clinical feed
    And the pump is programmed over the clinical feed at 8.0 mL/h
    When an attacker on the path alters a programming message for 12.5 mL/h in transit
    Then the pump did not act on the altered message
