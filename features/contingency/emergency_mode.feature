@HIPAA-164.308-a-7-ii-C @touches:quarantine @touches:security-settings @touches:alerts @touches:clinical-settings
Feature: Emergency mode operation
  HIPAA 164.308(a)(7)(ii)(C) asks for a plan to keep the processes that
  protect patient data running in emergency mode; FDA premarket guidance
  Appendix 1 (resiliency and recovery) asks the same of the device. When
  its back end is lost (the network is cut, the spike guard quarantines its
  segment, the log collector is down), the device keeps its essential
  clinical function and every protection, keeps what it records, and
  leaves emergency mode by itself when the outage ends. The outage is
  provoked through the device's test-build outage control; the harness's
  own management connection is a local service link and stays up.

  Scenario Outline: The device leaves emergency mode by itself when the <kind> outage ends, recording both
    When a "<kind>" outage begins
    Then the device is in emergency mode because of "<kind>"
    When the outage ends
    Then the device leaves emergency mode by itself within 5 seconds
    And its local alarms are cleared
    And the audit trail records the device entering and then leaving emergency mode

    Examples:
      | kind           |
      | network-cut    |
      | quarantine     |
      | collector-down |

  Scenario Outline: The pump keeps infusing and alarms locally during a <kind> outage
    Given the harness is a trusted peer of the clinical feed
    And the pump is programmed over the clinical feed at 8.5 mL/h
    When a "<kind>" outage begins
    Then the device is in emergency mode because of "<kind>"
    And the pump still infuses at 8.5 mL/h
    And the device shows a local "<alarm>" alarm

    Examples:
      | kind           | alarm                     |
      | network-cut    | network-lost              |
      | quarantine     | quarantined               |
      | collector-down | log-collector-unreachable |

  Scenario: Logins still need every factor while the network is cut
    Given a biomed account "ravi.patel"
    When a "network-cut" outage begins
    And "ravi.patel" tries to log in with the correct password but no code
    Then the login is refused
    And "ravi.patel" logs in with the password and a code from the authenticator app

  @FDA-PMC-LOG-1
  Scenario Outline: Audit records made during a <kind> outage reach the collector, in order, when the link returns
    Given a biomed account "ravi.patel"
    And "ravi.patel" is logged in
    And the harness runs a syslog collector over TLS
    And "ravi.patel" points the device's log forwarding at the collector
    When a "<kind>" outage begins
    And someone tries to log in as the unknown user "ward.offline"
    And "ravi.patel" tries to log in with a wrong password
    And the outage ends
    Then the device leaves emergency mode by itself within 5 seconds
    And within 10 seconds the collector receives every audit record the device made during the outage, in order

    Examples:
      | kind           |
      | network-cut    |
      | collector-down |

  Scenario: The records forwarded after an outage verify against the device's signed trail
    Given a biomed account "ravi.patel"
    And "ravi.patel" is logged in
    And the harness runs a syslog collector over TLS
    And "ravi.patel" points the device's log forwarding at the collector
    When a "collector-down" outage begins
    And someone tries to log in as the unknown user "ward.offline"
    And the outage ends
    Then within 10 seconds the collector receives every audit record the device made during the outage, in order
    And the records the collector received from the outage verify against the device's signed audit trail
