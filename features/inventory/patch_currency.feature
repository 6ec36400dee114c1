@524B-b-2 @touches:firmware
Feature: Released critical patches are installed within the policy window
  FD&C Act section 524B(b)(2) requires makers of cyber devices to provide
  updates and patches; the proposed HIPAA rule (NPRM 164.308(a)(4)) asks
  regulated entities to apply them in time. A unit still missing a critical
  patch its maker released longer ago than the policy window (30 days) is
  flagged.

  Background:
    Given a biomed account "ravi.patel"
    And "ravi.patel" is logged in

  Scenario: No released critical patch is missing past the policy window
    Given the patches released for the device's model
    When "ravi.patel" reads the patches installed on the device
    Then no critical patch is missing past the policy window
