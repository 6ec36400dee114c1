package evidence

import (
	"time"

	"github.com/wardsec/ward/pkg/device"
)

// Outcome is the verdict on one control for one target.
type Outcome string

// The outcomes a control can have on a target.
const (
	Satisfied     Outcome = "satisfied"
	NotSatisfied  Outcome = "not-satisfied"
	NotApplicable Outcome = "not-applicable"
	Waived        Outcome = "waived"
	Error         Outcome = "error"
	// NotAssessed is a procedural control (verified by attestation) that
	// no attestation covers on this target: nobody has said whether it is
	// met. It is not a pass, and it is listed so it cannot go unnoticed.
	NotAssessed Outcome = "not-assessed"
)

// ScenarioStatus is how one scenario execution ended.
type ScenarioStatus string

// The statuses a scenario can end with.
const (
	ScenarioPassed        ScenarioStatus = "passed"
	ScenarioFailed        ScenarioStatus = "failed"
	ScenarioNotApplicable ScenarioStatus = "not-applicable"
	// ScenarioError covers undefined, pending and ambiguous steps and
	// harness faults: the check itself is broken, so it proves nothing.
	ScenarioError ScenarioStatus = "error"
)

// Run is everything one `ward check` established. It is written as
// results.json and is the input to every other evidence format.
type Run struct {
	ID        string    `json:"id"`
	Tool      Tool      `json:"tool"`
	Catalogue Catalogue `json:"catalogue"`
	Started   time.Time `json:"started"`
	Finished  time.Time `json:"finished"`
	// Shard is set when the run checked one shard of a fleet
	// (`ward check --shard I/N`); Merge uses it to restore target order.
	Shard   *Shard   `json:"shard,omitempty"`
	Targets []Target `json:"targets"`
	// MergedFrom lists, for a bundle written by Merge, each input bundle
	// and the key that signed it.
	MergedFrom []MergedBundle `json:"merged_from,omitempty"`
	// Frameworks are the catalogue's frameworks as the report presents
	// them, in the catalogue's order: each one's heading and its sections
	// with the controls they hold (stored once per run, not per result).
	// Without them the report falls back to sections guessed from
	// citations and ids, for results written before they existed.
	Frameworks []Framework `json:"frameworks,omitempty"`
}

// Framework is how the report presents one framework of the catalogue.
type Framework struct {
	ID string `json:"id"`
	// Name is the report's heading for it.
	Name string `json:"name"`
	// Sections group its controls in the report, in this order; a control
	// in none is listed under "Other sections". Without sections the
	// framework's controls form one group.
	Sections []Section `json:"sections,omitempty"`
}

// Section is one part of a framework (a HIPAA section, an FDA Appendix 1
// category) and the ids of the controls it holds.
type Section struct {
	ID       string   `json:"id"`
	Title    string   `json:"title"`
	Controls []string `json:"controls"`
}

// MergedBundle is one input of a merge: its run, its shard and the
// fingerprint (Fingerprint) of the key that signed it.
type MergedBundle struct {
	RunID          string `json:"run_id"`
	Shard          *Shard `json:"shard,omitempty"`
	KeyFingerprint string `json:"key_fingerprint"`
}

// Shard says which part of a fleet a run checked: targets whose 0-based
// position p in the full list has p mod Count == Index-1.
type Shard struct {
	Index int `json:"index"`
	Count int `json:"count"`
}

// Tool names the program that produced the run.
type Tool struct {
	Name    string `json:"name"`
	Version string `json:"version"`
	// FIPS reports whether Go's FIPS 140-3 module was enabled.
	FIPS bool `json:"fips"`
}

// Catalogue identifies the controls and features the run used.
type Catalogue struct {
	// Digest is the SHA-256 (hex) over the control and feature files, so two
	// runs can be shown to have used the same checks.
	Digest string `json:"digest"`
	// Source is "embedded" or the directories given with --controls/--features.
	Source   string `json:"source"`
	Controls int    `json:"controls"`
}

// Target is the result for one device.
type Target struct {
	URI      string          `json:"uri"`
	Identity device.Identity `json:"identity"`
	// Error is set when the target could not be opened or identified; its
	// controls then have outcome Error.
	Error     string     `json:"error,omitempty"`
	Started   time.Time  `json:"started"`
	Finished  time.Time  `json:"finished"`
	Controls  []Control  `json:"controls"`
	Scenarios []Scenario `json:"scenarios"`
}

// Control is the outcome of one control on one target.
type Control struct {
	ID        string   `json:"id"`
	Framework string   `json:"framework"`
	Title     string   `json:"title"`
	Citations []string `json:"citations"`
	Status    string   `json:"status"`
	Severity  string   `json:"severity"`
	// Requirement and Remediation are the catalogue's texts, carried so
	// every output (report, OSCAL, POA&M) reads from the run alone.
	Requirement string  `json:"requirement,omitempty"`
	Remediation string  `json:"remediation,omitempty"`
	Outcome     Outcome `json:"outcome"`
	// Reason says in one line why the outcome is what it is; for
	// not-satisfied it names the failing scenario and step.
	Reason string `json:"reason"`
	// Scenarios are the ids (Scenario.ID) of the executions that checked it.
	Scenarios []string `json:"scenarios"`
	// Needs says, for a not-applicable control, what the device would
	// have to offer for it to be checked ("exposes no account
	// management"), so reasons can be grouped for people.
	Needs string `json:"needs,omitempty"`
	// Waiver is set when a waiver accepted the risk (Outcome Waived), or
	// matched but was not used (expired, or the control was satisfied):
	// WaiverInfo.Applied says which.
	Waiver *WaiverInfo `json:"waiver,omitempty"`
	// Attestation is set for a control verified by attestation when one
	// was supplied (`ward check --attestations`), used or not.
	Attestation *AttestationInfo `json:"attestation,omitempty"`
}

// AttestationInfo records the attestation considered for a procedural
// control on a target.
type AttestationInfo struct {
	ID         string `json:"id"`
	AttestedBy string `json:"attested_by"`
	// Date and Expires are YYYY-MM-DD.
	Date    string `json:"date"`
	Expires string `json:"expires"`
	// Evidence are the attested files copied into the bundle (Data is
	// not serialised); Missing are those that could not be read.
	Evidence []Artifact `json:"evidence"`
	Missing  []string   `json:"missing,omitempty"`
	// Checklist is the attested procedure, item by item.
	Checklist []ChecklistItem `json:"checklist,omitempty"`
	// Accepted is true when the attestation satisfied the control.
	Accepted bool `json:"accepted"`
}

// ChecklistItem is one item of an attested checklist.
type ChecklistItem struct {
	Item string `json:"item"`
	Done bool   `json:"done"`
	Note string `json:"note,omitempty"`
}

// WaiverInfo records the waiver (`ward check --waivers`) that matched a
// control on a target.
type WaiverInfo struct {
	ID            string `json:"id"`
	Justification string `json:"justification"`
	Approver      string `json:"approver"`
	// Expires is the last day the waiver applies, YYYY-MM-DD.
	Expires string `json:"expires"`
	Ticket  string `json:"ticket,omitempty"`
	// Applied is true when the waiver made the outcome waived; false when
	// it had expired or the control needed none.
	Applied bool `json:"applied"`
	// Note says why an unapplied waiver was not used.
	Note string `json:"note,omitempty"`
}

// Scenario is one execution of one Gherkin scenario against one target.
type Scenario struct {
	ID       string         `json:"id"`
	Name     string         `json:"name"`
	Feature  string         `json:"feature"`
	URI      string         `json:"uri"`
	Line     int            `json:"line"`
	Tags     []string       `json:"tags"`
	Status   ScenarioStatus `json:"status"`
	Reason   string         `json:"reason,omitempty"`
	Started  time.Time      `json:"started"`
	Duration time.Duration  `json:"duration_ns"`
	Steps    []Step         `json:"steps"`
	// Artifacts are files the scenario attached, stored in the bundle under
	// objects/sha256/, once per distinct content.
	Artifacts []Artifact `json:"artifacts,omitempty"`
}

// Step is one step of a scenario execution.
type Step struct {
	Keyword string `json:"keyword"`
	Text    string `json:"text"`
	// Status is passed, failed, skipped, undefined, pending or ambiguous.
	Status string `json:"status"`
	Error  string `json:"error,omitempty"`
	// Observed is what the step saw on the device, in words, for the report.
	Observed string `json:"observed,omitempty"`
}

// Artifact is a file of raw evidence a step captured (an audit log export,
// a storage dump, a response). Path is relative to the bundle root.
type Artifact struct {
	Name      string `json:"name"`
	Path      string `json:"path"`
	MediaType string `json:"media_type"`
	SHA256    string `json:"sha256"`
	Size      int64  `json:"size"`
	// Data is the content; it is written to Path and not serialised.
	Data []byte `json:"-"`
}
