@HIPAA-164.312-b
Feature: Audit records

  Scenario: Login is recorded
    When I log in
  Then a record names me
  | a | b |
  | c |

  @bad tag
  Scenario: Something
    Given nothing
