package device

import (
	"context"
	"time"
)

// Outage kinds a test build can be put through (OutageControl.BeginOutage).
const (
	// OutageNetworkCut: the device loses its link to the site network
	// (EHR, update server, log collector, time and directory services).
	OutageNetworkCut = "network-cut"
	// OutageQuarantine: the site's spike guard quarantines the device's
	// segment; only monitoring and management conduits stay open.
	OutageQuarantine = "quarantine"
	// OutageCollectorDown: the log collector is unreachable; everything
	// else works.
	OutageCollectorDown = "collector-down"
)

// OutageKinds lists the outage kinds, in order.
func OutageKinds() []string {
	return []string{OutageNetworkCut, OutageQuarantine, OutageCollectorDown}
}

// OutageControl is a test build that can be put through a simulated
// outage of its back end, so checks can see what it does in emergency
// mode (HIPAA 164.308(a)(7)(ii)(C)): keep its essential clinical function,
// keep every security control on, keep what it records, and leave
// emergency mode by itself when the outage ends. The harness's own
// connection to the device (its management API) is a local service link
// and stays up. Production firmware lacks it; scenarios that need it are
// then not-applicable.
type OutageControl interface {
	// BeginOutage starts an outage of kind (one of OutageKinds); an
	// unknown kind fails with an error matching ErrUnsupported. Outages
	// of different kinds may overlap.
	BeginOutage(ctx context.Context, kind string) error
	// EndOutage restores every link BeginOutage cut. The device must
	// notice by itself; EndOutage does not tell it to leave emergency
	// mode.
	EndOutage(ctx context.Context) error
	// EmergencyStatus reports the device's own view: whether it is in
	// emergency mode, why, and the alarms it shows locally.
	EmergencyStatus(ctx context.Context) (EmergencyStatus, error)
}

// EmergencyStatus is a device's emergency-mode state as it reports it.
type EmergencyStatus struct {
	// Active is true while the device operates in emergency mode.
	Active bool `json:"active"`
	// Since is when it entered emergency mode (zero when not active).
	Since time.Time `json:"since,omitzero"`
	// Causes are the outage kinds it has detected and not yet seen clear.
	Causes []string `json:"causes"`
	// Alarms are the alarms it raised locally (display, speaker), oldest
	// first, active or cleared.
	Alarms []LocalAlarm `json:"alarms"`
}

// LocalAlarm is an alarm a device shows at the bedside.
type LocalAlarm struct {
	Time time.Time `json:"time"`
	// Kind names the condition: "network-lost", "quarantined",
	// "log-collector-unreachable".
	Kind string `json:"kind"`
	// Detail says what the device shows, in words.
	Detail string `json:"detail,omitempty"`
	// Active is false once the condition cleared.
	Active bool `json:"active"`
}
