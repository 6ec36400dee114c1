@HIPAA-164.312-a-2-iv @touches:storage
Feature: Test data entered on a field unit is encrypted at rest
  On a field unit the harness can neither create accounts nor write
  records (an embedded-Linux device reached over SSH). The tester enters a
  test patient through the device's own screen first and names its values
  in the target's profile; a raw copy of the device's storage must show
  none of them, in any common encoding.

  Scenario: Test data entered on the device lies nowhere in a raw storage dump
    Given the test data the tester entered on the device
    When an attacker dumps the device's raw storage
    Then none of the test data appears in the dump
