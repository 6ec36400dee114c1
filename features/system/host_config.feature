Feature: The device's operating system is configured securely
  An embedded-Linux device is only as safe as the system under its
  application: a remote login that takes passwords, an account without
  one, or a private key every user can read undoes the protections above
  it. The checks read the configuration the device itself runs with
  (`sshd -T`, /etc/passwd and /etc/shadow, file modes); a fact the target
  cannot show makes its scenario not applicable.

  @FDA-PMC-CONFIG-1
  Scenario: Remote login takes no passwords and no root password
    Given the device's host configuration
    Then its SSH server accepts no password logins and no root login with a password

  @FDA-PMC-CRYPTO-1
  Scenario: Remote login offers no weak ciphers, MACs or key exchanges
    Given the device's host configuration
    Then its SSH server offers no weak cipher, MAC or key exchange

  @FDA-PMC-AUTHN-1
  Scenario: No local account has an empty password
    Given the device's host configuration
    Then no local account has an empty password

  @FDA-PMC-CONF-1
  Scenario: No private key on the device is readable by every user
    Given the device's host configuration
    Then no private key file is readable by every user

  @524B-b-2
  Scenario: No installed package is affected by a known advisory
    Given the device's host configuration
    Then no installed package is affected by an advisory supplied for it

  @FDA-PMC-AUTHZ-1
  Scenario: No network service runs as root
    Given the device's host configuration
    Then no network service runs as root unless the target allows it

  @FDA-PMC-CONF-1
  Scenario: The device's logs hold no keys or known secrets
    Given the device's host configuration
    Then its logs hold no private key and none of the secrets the target names
