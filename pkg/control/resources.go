package control

import (
	"fmt"
	"slices"
	"strings"

	"github.com/hashicorp/hcl/v2"
)

// TouchesPrefix starts a scenario tag that declares a piece of device
// state the scenario changes, or needs to stay put while it runs
// ("@touches:clock"). On a device that keeps its state between scenarios
// (a real device, not a scratch unit), the harness never runs two
// scenarios that touch the same resource at once. The tag sits on the
// scenario or its feature, where an auditor reads it.
const TouchesPrefix = "@touches:"

// Resource is one piece of device state scenarios can share.
type Resource struct {
	Name string
	// Meaning says, for people, what the resource is on a device.
	Meaning string
	// Ambient resources are relied on by every scenario (each login
	// writes the audit trail; sessions and one-time codes run on the
	// clock). A scenario that touches one runs alone on the device.
	Ambient bool
}

// resources is the fixed vocabulary of @touches: names, sorted by name.
var resources = []Resource{
	{Name: "accounts", Meaning: "accounts whose name the scenario uses as written (vendor defaults, generic names), not the per-run test accounts"},
	{Name: "alerts", Meaning: "the device's security alerts and incident records"},
	{Name: "audit-log", Meaning: "the stored audit trail (every scenario appends to it; one that edits it runs alone)", Ambient: true},
	{Name: "clinical-settings", Meaning: "therapy settings programmed over the clinical data feed (rate, order)"},
	{Name: "clock", Meaning: "the device's clock (sessions, one-time codes and alert timing run on it; a scenario that moves it runs alone)", Ambient: true},
	{Name: "firmware", Meaning: "the installed firmware, its A/B slots, the update repository and the version the device reports"},
	{Name: "network-policy", Meaning: "the device's peer allowlist and segment rules"},
	{Name: "quarantine", Meaning: "the quarantine of the device or its segment, and what it can reach"},
	{Name: "security-settings", Meaning: "the device's security configuration (log forwarding, baseline settings)"},
	{Name: "storage", Meaning: "stored patient records and files, backups restored onto the device, its storage key"},
}

// Resources returns the vocabulary of device state a scenario may declare
// with TouchesPrefix, sorted by name.
func Resources() []Resource { return slices.Clone(resources) }

// LookupResource returns the resource called name.
func LookupResource(name string) (Resource, bool) {
	i := slices.IndexFunc(resources, func(r Resource) bool { return r.Name == name })
	if i < 0 {
		return Resource{}, false
	}
	return resources[i], true
}

// TouchedResources returns the resource names a scenario's tags declare,
// sorted and without repeats, and the tags that name no resource.
func TouchedResources(tags []string) (names, unknown []string) {
	for _, t := range tags {
		n, ok := strings.CutPrefix(t, TouchesPrefix)
		if !ok {
			continue
		}
		if _, known := LookupResource(n); known {
			names = append(names, n)
		} else {
			unknown = append(unknown, t)
		}
	}
	slices.Sort(names)
	return slices.Compact(names), unknown
}

// checkTouches checks a @touches: tag against the vocabulary; it returns
// nil for any other tag.
func checkTouches(t Tag) *hcl.Diagnostic {
	n, ok := strings.CutPrefix(t.Name, TouchesPrefix)
	if !ok {
		return nil
	}
	if _, known := LookupResource(n); known {
		return nil
	}
	names := make([]string, len(resources))
	for i, r := range resources {
		names[i] = r.Name
	}
	detail := fmt.Sprintf("The tag %s declares device state Ward does not know, so no scenario would be kept apart from this one. Known resources: %s.",
		t.Name, strings.Join(names, ", "))
	if s := suggest(n, names); s != "" {
		detail += fmt.Sprintf(" Did you mean %s%s?", TouchesPrefix, s)
	}
	return &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Unknown resource", Detail: detail, Subject: t.Range.Ptr()}
}
