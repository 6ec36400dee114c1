// Package segment is network segmentation for medical devices: zones,
// per-device allowlists, a compiled decision engine, nftables output and
// traffic-spike quarantine. It is device side: it links neither HCL nor
// the harness (HCL policies are read by pkg/segment/segmenthcl, MUD files
// by pkg/segment/mud).
//
// A Policy has zones (CIDRs and the devices placed in them), devices
// (address, zone, type, maker and model), profiles (rules shared by every
// device of a model, as a MUD file describes them), conduits between zones,
// and MUD controllers. Rules allow; everything else is denied:
//
//   - an address inside the local networks that is in no zone and is no
//     device is an unknown device: every flow to or from it is denied;
//   - a quarantined device or zone keeps only its monitoring conduits;
//   - a policed device (one with rules or a profile) must allow each of
//     its flows by its own rules, both ends when both are policed;
//   - flows between unpoliced endpoints need a conduit between their zones.
//
// Compile validates a policy (Validate reports contradictions as errors
// and overlaps as warnings, each with its location) and builds an Engine
// whose Decide is safe for concurrent use and does not allocate. The
// engine is tested against a deliberately naive evaluator on random
// policies. NFTables renders the same semantics as an nftables ruleset
// applied atomically; Guard counts flows, detects spikes through
// pkg/monitor and quarantines devices or zones. docs/segment-policy.md
// describes the model and the HCL language.
package segment
