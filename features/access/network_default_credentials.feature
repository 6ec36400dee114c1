@FDA-PMC-AUTHN-1
Feature: No network service opens with a vendor default password
  Devices Ward did not build rarely offer a login API Ward knows, but their
  services do: a web console behind HTTP Basic, SSH, telnet, FTP, an MQTT
  broker. Attackers (and worms such as Mirai) try the vendor defaults on
  every one of them. The harness tries a short list of common defaults
  (and any the target profile adds) on each login mechanism it finds,
  stopping at the first sign of lockout; none may open a session. A service
  whose protocol Ward does not know is named in the evidence as not judged;
  with no service judged at all the scenario is not applicable.

  Scenario: No login on the device's network services accepts vendor default credentials
    When the harness probes every network service of the device
    Then no login found on the device's services accepts vendor default credentials
