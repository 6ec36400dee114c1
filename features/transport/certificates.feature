@FDA-PMC-CRYPTO-1
Feature: Every certificate a service presents is sound
  FDA premarket guidance Appendix 1, C and NIST SP 800-131A: a device's TLS
  rests on its certificates and protocol versions. An expired certificate,
  an RSA key under 2048 bits, a SHA-1 or MD5 signature, a self-signed
  certificate that nobody pinned, or one that does not name the device,
  teaches its users to click through warnings; SSL 3.0, TLS 1.0 and 1.1
  are deprecated. The harness handshakes with every TLS service and judges
  what it presents.

  Scenario: No network service presents a weak certificate or accepts an old TLS version
    When the harness probes every network service of the device
    Then no network service presents a weak certificate or accepts TLS below 1.2
