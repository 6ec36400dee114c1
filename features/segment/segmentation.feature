@NPRM-164.312-a-2-vi @touches:quarantine
Feature: The device sits in its own network segment
  The proposed HIPAA rule, NPRM 164.312(a)(2)(vi), requires network
  segmentation: from guest Wi-Fi or the corporate network, a medical
  device's management and data ports must be unreachable, while the
  clinical zone that needs them still reaches them.

  Scenario: Guest and corporate zones cannot reach the device
    Then from the "guest" zone no documented port of the device is reachable
    And from the "corporate" zone no documented port of the device is reachable

  Scenario: The clinical zone reaches the device's documented service
    Then from the "clinical" zone every documented port of the device is reachable
