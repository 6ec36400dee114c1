// Package sim provides simulated medical devices built from Ward's own
// library, for the harness to check and for device makers to learn from.
//
// The infusion pump keeps patient records, user accounts and a signed,
// hash-chained audit log (pkg/audit) in a storage map that an "attacker" can
// read and write raw through the device.RawStorage capability, sealed with
// pkg/atrest under a per-unit key. Logins, second factors, throttling,
// sessions and break-glass are pkg/mfa's (a Verifier over the sealed account
// table, the pump's audit log and its clock), and every operation is
// authorized by pkg/access with the pump's permission table. As a test
// build it also lets the harness enrol TOTP authenticators and move its
// clock forward. Firmware updates are pkg/update's: TUF-verified, into A/B
// memory slots with a self-test before commit, from its maker's test
// repository (pkg/update/repo) served in process; as a development build it
// lets the harness publish releases and attacks into that repository and
// cut power mid-update (device.UpdatePublisher). Passwords are hashed with deliberately cheap parameters
// (WithProductionHashing restores pkg/mfa's).
//
// Each unit also has a network side (feed.go), started when a check first
// asks for its endpoints (device.Transport): an HL7 v2 feed over MLLP on
// loopback (pkg/hl7), in TLS 1.2+ with client certificates from the unit's
// own CA, on which the pump takes RGV^O15 orders (RRG^O16) and the patient
// monitor profile sends ORU^R01 observations; and forwarding of audit
// records to a collector as RFC 5424 syslog over TLS (device.LogForwarder).
// pkg/sim/serve serves units over the network.
//
// A fleet run opens a fresh unit for every scenario. Units opened through one
// Line (sim.Register and ward sim serve use one) share what their maker
// ships: the update signing keys, and the factory firmware installed through
// pkg/update with every check, built once per weakness set and copied into
// each unit (its own repository clone, slots, slot state, anti-rollback
// counter and provisioning audit record). What a unit keeps secret (storage
// key, audit signing key, accounts, sessions) is made fresh for every unit.
//
// Each protection can be switched off with a weakness toggle
// (sim://infusion-pump?weaken=no-audit); Weaknesses lists them with the
// controls each must fail, which the harness's tests enforce. Where pkg/mfa
// and pkg/access cannot be configured into a mistake, the weakness is a
// separate code path in the simulator (weakpaths.go), as in real firmware.
package sim
