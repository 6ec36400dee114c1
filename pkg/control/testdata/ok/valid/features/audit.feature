@HIPAA-164.312-b @slow
Feature: Audit records

  Background:
    Given a device

  @needs-root
  Scenario: Login is recorded
    When I log in
    Then a record names me

  Rule: Tampering is detected
    @FDA-PMC-LOG-2
    Scenario: An edited record is detected
      When I edit a record
      Then verification fails

  Scenario Outline: Outline with examples tags
    When I do <what>

    @FDA-X-1
    Examples: first
      | what |
      | a    |

    @smoke
    Examples: second
      | what |
      | b    |
