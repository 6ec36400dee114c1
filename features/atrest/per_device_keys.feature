@FDA-PMC-CRYPTO-2 @touches:storage
Feature: Every unit protects its data with its own key
  FDA premarket guidance (Appendix 1, cryptography) warns against keys shared
  across a product line: one extracted key must not open every unit. A key
  taken from one unit must open none of another unit's stored data.

  Scenario: One unit's storage key opens nothing on another unit
    Given two units of the same model, each with patient data stored
    When an attacker extracts the storage key of the first unit
    Then that key opens none of the second unit's stored files
    And the second unit's marker is in none of its stored files in the clear
