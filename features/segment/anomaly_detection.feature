@FDA-PMC-DETECT-1 @touches:alerts @touches:clock @touches:quarantine
Feature: Anomalous traffic raises an alert quickly
  FDA premarket guidance (Appendix 1, F) expects anomalies to be detected:
  an injected traffic spike, or a beacon to a host the device has never
  talked to, must raise an alert within seconds.

  Scenario: A traffic spike raises an alert
    When a traffic spike of 500 connections leaves the device
    Then a "traffic-spike" alert is raised within 5 seconds

  Scenario: A beacon to an unknown host raises an alert
    When the device tries to connect to a host it never contacted, port 8080
    Then a "new-destination" alert naming that host is raised within 5 seconds
