@HIPAA-164.308-a-7-ii-C
Feature: Emergency mode

  Scenario: Keeps infusing
    When the network is cut
    Then the pump still infuses
