// Package serve runs a simulated device as a network service: the
// management API over HTTPS (pkg/device/https) in simulator mode, so every
// connection's checks get a fresh unit, with a certificate from a CA it
// generates or is given, and each unit's HL7 feed over MLLP. It is what
// `ward sim serve` runs; the target it prints pins its CA by SHA-256.
package serve
