package device

import (
	"context"
	"errors"
	"time"
)

// ErrBlocked is returned when a device's network protection refuses a
// connection (its allowlist, a quarantine).
var ErrBlocked = errors.New("connection blocked")

// Port is a network service of a device.
type Port struct {
	Proto   string // "tcp" or "udp"
	Port    int
	Service string // what it is, in words
}

// ProbeResult is what a connection attempt to a device port from a zone
// found.
type ProbeResult struct {
	Reachable bool
	// Detail says why, in words (the deciding rule, "nothing listening").
	Detail string
}

// NetworkEvent is something a device's network protection did or noticed:
// "blocked-connection", "traffic-spike", "zone-traffic-spike",
// "new-destination", "unknown-device", "quarantine", "quarantine-released".
type NetworkEvent struct {
	Time   time.Time
	Kind   string
	Peer   string // the other end, when there is one
	Detail string
	// Notified is when the event reached the on-call notification channel
	// (zero when it was not sent).
	Notified time.Time
}

// QuarantineState says whether a device, or its whole network segment, is
// quarantined (only monitoring and management conduits open).
type QuarantineState struct {
	Device, Segment bool
}

// Network is a device whose network exposure the harness can examine: in a
// simulator, the modelled site network and the device's own enforcement;
// for a real device, a driver backed by a test network. Zones are the
// site's zones by name ("guest", "corporate", "clinical", "ehr"); peers are
// named roles ("ehr", "monitoring-station") or IP addresses.
type Network interface {
	// ProbeFrom attempts a connection from a host in zone to the device's
	// port.
	ProbeFrom(ctx context.Context, zone, proto string, port int) (ProbeResult, error)
	// Connect asks the device to open a TCP connection to peer:port. It
	// fails with an error matching ErrBlocked when the device's protection
	// (or its segment's) refuses.
	Connect(ctx context.Context, peer string, port int) error
	// ListeningPorts are the ports the device actually listens on;
	// DocumentedPorts those its manufacturer documents (MDS2, MUD file).
	ListeningPorts(ctx context.Context) ([]Port, error)
	DocumentedPorts(ctx context.Context) ([]Port, error)
	// InjectTraffic makes the device open flows connections to its usual
	// peer at once (a spike, as a worm or a fault would).
	InjectTraffic(ctx context.Context, flows int) error
	// NetworkEvents returns what the device's network protection recorded,
	// oldest first.
	NetworkEvents(ctx context.Context) ([]NetworkEvent, error)
	// Quarantine reports the device's quarantine state now (on its clock).
	Quarantine(ctx context.Context) (QuarantineState, error)
}
