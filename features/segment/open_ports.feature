@FDA-PMC-AUTHZ-2
Feature: Deny by default, only documented ports open
  FDA premarket guidance (Appendix 1, B and D) expects a device to expose
  only the services its manufacturer documents, with no unauthenticated
  debug console, and to refuse everything else by default.

  Scenario: The device listens on its documented ports and no others
    Then the device listens on exactly its documented ports

  @touches:quarantine
  Scenario: Undocumented ports do not answer the clinical zone
    Then from the "clinical" zone none of the device's ports 22, 23, 2323, 8080 is reachable
