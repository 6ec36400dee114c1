@FDA-PMC-LOG-1 @touches:security-settings
Feature: Security events leave the device for a collector
  FDA premarket guidance Appendix 1 (event detection and logging) and
  IEC 62443-4-2 CR 6.1: the device sends its security events to the site's
  collector promptly, in a standard format the collector can parse
  (syslog, RFC 5424, over TLS, RFC 5425).

  Scenario: A failed login reaches the collector within 5 seconds as RFC 5424 syslog
    Given a biomed account "ravi.patel"
    And "ravi.patel" is logged in
    And the harness runs a syslog collector over TLS
    When "ravi.patel" points the device's log forwarding at the collector
    And someone tries to log in as the unknown user "ward.nobody"
    Then within 5 seconds the collector receives an RFC 5424 message recording the login attempt of "ward.nobody"
