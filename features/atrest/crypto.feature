@FDA-PMC-CRYPTO-1 @touches:storage
Feature: Stored data depends only on approved cryptography
  FDA's premarket cybersecurity guidance (Appendix 1, C) asks for
  cryptography a FIPS 140-3 validated module may use, and no downgrade to
  deprecated schemes. A stored file whose data key is wrapped with an
  unapproved algorithm is only as trustworthy as that algorithm's
  unvalidated implementation, whatever cipher seals the data itself.

  Scenario: Every sealed file is in the current format with approved key wrapping
    Given a clinician account "nurse.jones"
    And "nurse.jones" is logged in
    And "nurse.jones" stores a marker in the record of patient "P-1001"
    When an attacker dumps the device's raw storage
    Then the dump holds sealed files, every one in the current at-rest format
    And every key that can open a sealed file is wrapped with an approved algorithm
