@ACME-ALARM-1
Feature: The pump alarms on an occlusion
  Acme PRD-9 4.2: a blocked line must be noticed within 5 seconds.

  Scenario: A downstream occlusion raises the alarm in time
    Given the infusion line is occluded
    Then the occlusion alarm sounds within 5 seconds
