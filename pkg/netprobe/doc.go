// Package netprobe examines a networked device Ward did not build, from
// the network only, as any peer on the clinical network could: a TCP
// connect scan of its ports, then per open port a TLS probe (versions
// accepted, certificate facts) and recognisers for the cleartext clinical
// and management protocols such devices speak (HTTP, HL7 v2 over MLLP,
// DICOM, MQTT, telnet, FTP, SSH, and SNMP over UDP), and a bounded
// default-credential check on the standard login mechanisms.
//
// Everything a device sends is untrusted: every read is bounded in size
// and time, and text taken from a device (a banner) is reduced to
// printable ASCII before it is kept. Probes are read-only: none writes
// data on the device. The package never resolves names or follows a
// redirect: callers give it an address, and it talks to that address only.
//
// It is harness-side code and imports neither godog nor hcl.
package netprobe
