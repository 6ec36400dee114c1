@HIPAA-164.312-b @touches:clock
Feature: Records carry the device time

  @touches:clocks @touches:audit-log
  Scenario: The clock moves
    When the clock moves

  @touches:firmware-slot
  Scenario: An update is recorded
    When I update
