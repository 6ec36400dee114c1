@HIPAA-164.308-a-6-ii @touches:alerts @touches:clock @touches:quarantine
Feature: A security incident leaves a timed record
  HIPAA 45 CFR 164.308(a)(6)(ii) requires identifying and responding to
  security incidents and documenting them. A simulated incident must yield
  a record of when it was detected, contained and notified.

  Scenario: A simulated traffic incident is detected, contained and notified
    When a traffic spike of 500 connections leaves the device
    Then the incident record shows when it was detected, contained and notified
