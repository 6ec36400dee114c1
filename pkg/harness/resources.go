package harness

import (
	"fmt"
	"io/fs"
	"regexp"
	"slices"
	"sync"

	"github.com/cucumber/godog"

	"github.com/wardsec/ward/pkg/control"
)

// Device state shared between scenarios. A device that keeps its state
// (anything but a scratch unit, device.Scratch) sees every scenario of a
// run: one that moves the clock expires another's session, one that
// installs firmware changes the version another compares with the
// inventory. Scenarios declare what they touch with @touches:<resource>
// tags (control.Resources is the vocabulary); the steps below also say
// what they touch, so a scenario whose tags forget a resource is still
// kept apart, and a test holds the tags to the steps.

// Resource names used by the built-in steps (control.Resources).
const (
	resAccounts         = "accounts"
	resAlerts           = "alerts"
	resAuditLog         = "audit-log"
	resClinicalSettings = "clinical-settings"
	resClock            = "clock"
	resFirmware         = "firmware"
	resQuarantine       = "quarantine"
	resSecuritySettings = "security-settings"
	resStorage          = "storage"
)

// stepTouches maps step expressions (exactly as registered) to the device
// state a step changes, or needs unchanged while its scenario runs.
func stepTouches() map[string][]string {
	return map[string][]string{
		// The clock: moved outright, or timing measured on it.
		`^(\d+) (second|minute|hour)s? pass(?:es)?(?: without any request)?$`:             {resClock},
		`^the device's clock reaches the next Sunday at 03:00 UTC$`:                       {resClock},
		`^an attacker tries (\d+) wrong passwords for "([^"]+)", one a minute$`:           {resClock},
		`^a traffic spike of (\d+) connections leaves the device$`:                        {resClock, resQuarantine, resAlerts},
		`^a "([^"]+)" alert (?:naming "([^"]+)" )?is raised within (\d+) seconds$`:        {resClock, resAlerts},
		`^a "([^"]+)" alert naming that host is raised within (\d+) seconds$`:             {resClock, resAlerts},
		`^the incident record shows when it was detected, contained and notified$`:        {resAlerts},
		`^the device's (segment|device) is quarantined$`:                                  {resQuarantine},
		`^the device's quarantine is lifted$`:                                             {resQuarantine},
		`^the device (can|can still|cannot) reach "([^"]+)" port (\d+)$`:                  {resQuarantine},
		`^from the "([^"]+)" zone (every|no) documented port of the device is reachable$`: {resQuarantine},
		`^from the "([^"]+)" zone none of the device's ports ([0-9, ]+) is reachable$`:    {resQuarantine},
		`^the device tries to connect to "([^"]+)" port (\d+)$`:                           {resQuarantine, resAlerts},
		`^the device tries to connect to a host it never contacted, port (\d+)$`:          {resQuarantine, resAlerts},
		`^the connection is (blocked|allowed)$`:                                           {resQuarantine},
		`^the device recorded the blocked connection to "([^"]+)"$`:                       {resAlerts},

		// The stored audit trail, edited by an attacker: nothing else may
		// append while the edit is made and its detection checked.
		`^an attacker with storage access (changes the (outcome|actor) of audit record (\d+)( and recomputes the chain)?)$`: {resAuditLog},
		`^an attacker with storage access deletes audit record (\d+)$`:                                                      {resAuditLog},
		`^an attacker with storage access swaps audit records (\d+) and (\d+)$`:                                             {resAuditLog},
		`^an attacker with storage access inserts a forged audit record after record (\d+)$`:                                {resAuditLog},
		`^an attacker with storage access removes the last audit record$`:                                                   {resAuditLog},
		`^verifying the audit trail reports "([^"]+)" at record (\d+)$`:                                                     {resAuditLog},
		`^verifying the audit trail fails$`:                                                                                 {resAuditLog},

		// Firmware, the update repository, and what the device reports
		// about the version it runs.
		`^the maker publishes a newer signed image$`:                                              {resFirmware},
		`^the maker publishes a newer signed image without an SBOM$`:                              {resFirmware},
		`^the maker publishes a newer signed image that fails its self-test$`:                     {resFirmware},
		`^the maker publishes an older signed image$`:                                             {resFirmware},
		`^an attacker publishes a newer unsigned image$`:                                          {resFirmware},
		`^an attacker publishes a newer image signed with the attacker's own key$`:                {resFirmware},
		`^an attacker alters a newer signed image on the mirror$`:                                 {resFirmware},
		`^a frozen mirror serves a newer signed image with metadata that expired an hour ago$`:    {resFirmware},
		`^power will be cut during the ([a-z-]+) phase of the next update$`:                       {resFirmware},
		`^"([^"]+)" installs the update$`:                                                         {resFirmware},
		`^"([^"]+)" tries to install the update$`:                                                 {resFirmware},
		`^"([^"]+)" can complete the update$`:                                                     {resFirmware},
		`^the device restarts$`:                                                                   {resFirmware},
		`^the device runs the new firmware$`:                                                      {resFirmware},
		`^the device still runs the firmware it ran before$`:                                      {resFirmware},
		`^the device reports a CycloneDX SBOM for its running firmware, with its end of support$`: {resFirmware},
		`^the harness identifies the device on the network$`:                                      {resFirmware},
		`^"([^"]+)" queries the device's identity$`:                                               {resFirmware},
		`^"([^"]+)" reads the patches installed on the device$`:                                   {resFirmware},

		// Stored patient data, raw storage and backups.
		`^"([^"]+)" stores a marker in the record of patient "([^"]+)"$`:                   {resStorage},
		`^"([^"]+)" reads the record of patient "([^"]+)"$`:                                {resStorage},
		`^"([^"]+)" updates the record of patient "([^"]+)"$`:                              {resStorage},
		`^someone without a session tries to update the record of patient "([^"]+)"$`:      {resStorage},
		`^the record of patient "([^"]+)" is as "([^"]+)" last read it$`:                   {resStorage},
		`^an attacker dumps the device's raw storage$`:                                     {resStorage},
		`^an attacker with storage access alters the stored record of patient "([^"]+)"$`:  {resStorage},
		`^reading the record of patient "([^"]+)" as "([^"]+)" fails its integrity check$`: {resStorage},
		`^"([^"]+)" decommissions the device$`:                                             {resStorage},
		`^"([^"]+)" makes a backup of the device$`:                                         {resStorage},
		`^restoring the altered backup as "([^"]+)" is refused$`:                           {resStorage},
		`^two units of the same model, each with patient data stored$`:                     {resStorage},

		// An outage (steps_contingency.go) changes what the device can
		// reach and where its records go, raises local alarms, and may
		// touch therapy: nothing else that relies on these runs meanwhile.
		`^an? "([^"]+)" outage begins$`: {resQuarantine, resSecuritySettings, resAlerts, resClinicalSettings},
		`^the outage ends$`:             {resQuarantine, resSecuritySettings, resAlerts, resClinicalSettings},

		// Security settings.
		`^"([^"]+)" reads the device's security settings$`:                 {resSecuritySettings},
		`^every baseline setting has its approved value$`:                  {resSecuritySettings},
		`^"([^"]+)" changes a security setting away from the baseline$`:    {resSecuritySettings},
		`^"([^"]+)" resets the security settings$`:                         {resSecuritySettings},
		`^someone without a session tries to reset the security settings$`: {resSecuritySettings},
		`^"([^"]+)" points the device's log forwarding at the collector$`:  {resSecuritySettings},

		// What the pump was programmed to over the clinical feed.
		`^the pump is programmed over the clinical feed at ([0-9.]+) mL/h$`:                                       {resClinicalSettings},
		`^an attacker on the path alters a programming message for ([0-9.]+) mL/h in transit$`:                    {resClinicalSettings},
		`^the pump did not act on the altered message$`:                                                           {resClinicalSettings},
		`^the pump's settings are unchanged$`:                                                                     {resClinicalSettings},
		`^a peer without a client certificate is refused by the clinical feed$`:                                   {resClinicalSettings},
		`^a peer with a certificate from an authority the device does not trust is refused by the clinical feed$`: {resClinicalSettings},
		`^a peer with an expired certificate from the device's own authority is refused by the clinical feed$`:    {resClinicalSettings},
		`^the harness sends malformed HL7 messages to the clinical feed$`:                                         {resClinicalSettings},
		`^the clinical feed still accepts a well-formed programming message$`:                                     {resClinicalSettings},

		// Accounts whose names are used as written (vendor defaults,
		// generic names), not the per-scenario test accounts.
		`^the provisioner tries to create an? ` + roles + ` account "([^"]+)"$`:                             {resAccounts},
		`^the provisioner tries to create an? ` + roles + ` account "([^"]+)" with the password "([^"]*)"$`: {resAccounts},
		`^nobody can log in as "([^"]+)" with that password$`:                                               {resAccounts},
		`^someone tries to log in as "([^"]+)" with the password "([^"]*)"$`:                                {resAccounts},
	}
}

type touchRule struct {
	re  *regexp.Regexp
	res []string
}

// touchRules is stepTouches compiled once; it is never modified.
var touchRules = sync.OnceValue(func() []touchRule {
	m := stepTouches()
	out := make([]touchRule, 0, len(m))
	for expr, res := range m {
		out = append(out, touchRule{regexp.MustCompile(expr), res})
	}
	return out
})

// StepResources returns the device state the built-in step whose text is
// step touches, sorted (none for a step that touches nothing shared).
func StepResources(step string) []string { return stepResources(step, nil) }

// stepResources is StepResources with the rules of extra steps too.
func stepResources(step string, extra []touchRule) []string {
	var out []string
	for _, rules := range [][]touchRule{touchRules(), extra} {
		for _, r := range rules {
			if r.re.MatchString(step) {
				out = append(out, r.res...)
			}
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// scenarioResources is what a scenario touches: the resources its tags
// declare and those its steps touch, sorted. Unknown resource names (the
// lint reports them) are kept too: they still keep scenarios apart.
// extra are the rules of steps besides Ward's own (StepDef.Touches).
func scenarioResources(p *godog.Scenario, extra []touchRule) []string {
	tags := tagNames(p.Tags)
	names, unknown := control.TouchedResources(tags)
	for _, u := range unknown {
		names = append(names, u[len(control.TouchesPrefix):])
	}
	for _, st := range p.Steps {
		names = append(names, stepResources(st.Text, extra)...)
	}
	slices.Sort(names)
	return slices.Compact(names)
}

// ambientResources are the resources every scenario relies on.
var ambientResources = sync.OnceValue(func() []string {
	var out []string
	for _, r := range control.Resources() {
		if r.Ambient {
			out = append(out, r.Name)
		}
	}
	return out
})

// Undeclared is a step that touches device state its scenario does not
// declare with a @touches: tag.
type Undeclared struct {
	Feature  string // the feature file's path within the features FS
	Line     int    // the scenario's line (the example row's, for an outline)
	Scenario string
	Step     string
	Resource string
}

func (u Undeclared) String() string {
	return fmt.Sprintf("%s:%d: scenario %q: step %q touches %s; tag it %s%s",
		u.Feature, u.Line, u.Scenario, u.Step, u.Resource, control.TouchesPrefix, u.Resource)
}

// CheckTouches lists, for every scenario of features, each resource one
// of its steps (Ward's, or extra's with StepDef.Touches) touches that its
// tags do not declare. The runner keeps such a scenario apart anyway; the
// finding is for the people who read the tags.
func CheckTouches(features fs.FS, extra ...StepSet) ([]Undeclared, error) {
	var rules []touchRule
	if len(extra) > 0 {
		t, err := compileSteps(extra)
		if err != nil {
			return nil, err
		}
		rules = t.extraTouches()
	}
	r := &Runner{features: features}
	idx, err := r.index()
	if err != nil {
		return nil, err
	}
	suite := godog.TestSuite{Options: &godog.Options{FS: features, Paths: []string{"."}}}
	feats, err := suite.RetrieveFeatures()
	if err != nil {
		return nil, fmt.Errorf("%w: features: %w", ErrConfig, err)
	}
	var out []Undeclared
	for _, f := range feats {
		for _, p := range f.Pickles {
			declared, _ := control.TouchedResources(tagNames(p.Tags))
			seen := map[string]bool{}
			for _, st := range p.Steps {
				for _, res := range stepResources(st.Text, rules) {
					if slices.Contains(declared, res) || seen[res] {
						continue
					}
					seen[res] = true
					out = append(out, Undeclared{Feature: p.Uri, Line: idx.locate(p).line, Scenario: p.Name, Step: st.Text, Resource: res})
				}
			}
		}
	}
	return out, nil
}
