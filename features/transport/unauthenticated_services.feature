@FDA-PMC-AUTHN-3
Feature: No clinical or management protocol lets an unknown caller in
  A session with the device authenticates its peer. Clinical and management
  protocols that many devices leave open defeat that: a DICOM node that
  accepts an association from any AE title, an MQTT broker that takes a
  connection without credentials, a telnet shell without login, anonymous
  FTP, SNMP answering the community "public", an HL7 feed that accepts a
  query from anyone in cleartext. The harness plays an unknown peer
  against every service it finds; none may let it in. A service whose
  protocol Ward does not know is named in the evidence as not judged; with
  no service judged at all the scenario is not applicable.

  Scenario: No recognised service grants access to an unauthenticated caller
    When the harness probes every network service of the device
    Then no recognised service grants access to an unauthenticated caller
