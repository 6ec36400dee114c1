@FDA-PMC-ID-1
Feature: The device identifies itself to an authorised query, matching the inventory
  FDA premarket guidance (Appendix 1) expects a device to report its
  identity and software versions to an authorised party, so the hospital
  can tie it to its inventory record, its SBOM and its patch state. What
  the unit says about itself must equal what the inventory says it is.

  Background:
    Given a biomed account "ravi.patel"
    And "ravi.patel" is logged in

  @touches:firmware
  Scenario: The authenticated identity query matches the inventory record
    When "ravi.patel" queries the device's identity
    Then the UDI, model, serial and firmware it reports equal the inventory record

  Scenario: The identity query needs a session
    When someone without a session queries the device's identity
    Then the query is refused as unauthenticated
