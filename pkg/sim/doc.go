// Package sim provides simulated medical devices built from Ward's own
// library, for the harness to check and for device makers to learn from.
//
// The infusion pump keeps patient records, user accounts with hashed
// passwords and sessions, and a signed, hash-chained audit log (pkg/audit)
// in a storage map that an "attacker" can read and write raw through the
// device.RawStorage capability. Each protection can be switched off with a
// weakness toggle (sim://infusion-pump?weaken=no-audit); Weaknesses lists
// them with the controls each must fail, which the harness's tests enforce.
package sim
