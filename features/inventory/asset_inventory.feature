@NPRM-164.308-a-1 @touches:firmware
Feature: Every device on the network is in the asset inventory
  The proposed HIPAA Security Rule (NPRM 164.308(a)(1)) asks for a written
  inventory of technology assets and a network map; HICP practice 5 and the
  seed advice call it the common operational picture. A device that
  announces no serial number or UDI, or one the inventory does not list,
  is an unknown device on a clinical network.

  Scenario: The device under test matches exactly one inventory record
    When the harness identifies the device on the network
    Then the device matches exactly one inventory record
