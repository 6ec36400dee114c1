@FDA-PMC-INTEG-5 @touches:clinical-settings
Feature: Malformed input neither crashes the device nor changes a setting
  FDA premarket guidance Appendix 1 (integrity) and IEC 62443-4-2 CR 3.5
  (input validation): broken framing, broken structure and out-of-range
  values on the clinical feed are refused, the device keeps running, and
  no parameter changes.

  Scenario: Malformed HL7 is refused and changes nothing
    Given the harness is a trusted peer of the clinical feed
    And the pump is programmed over the clinical feed at 8.0 mL/h
    When the harness sends malformed HL7 messages to the clinical feed
    Then none of the malformed messages was accepted
    And the pump's settings are unchanged
    And the clinical feed still accepts a well-formed programming message
