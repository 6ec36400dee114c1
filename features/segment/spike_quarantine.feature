@FDA-PMC-RESIL-1 @touches:alerts @touches:clock @touches:quarantine
Feature: A traffic spike is contained and essential function continues
  FDA premarket guidance (Appendix 1, G) expects resilience to floods: the
  seeds ask to shut a network segment down on a spike in traffic. Ward
  quarantines the segment, keeps the monitoring conduit open so nurses
  still see the device, and lets the segment back once traffic is calm.

  Scenario: A spike quarantines the segment; monitoring stays up; calm releases it
    When a traffic spike of 500 connections leaves the device
    Then the device's segment is quarantined
    And the device cannot reach "ehr" port 443
    And the device can still reach "monitoring-station" port 8443
    When 2 minutes pass
    Then the device's quarantine is lifted
    And the device can reach "ehr" port 443
