package device

import "context"

// ListeningPort is a socket a device listens on.
type ListeningPort struct {
	Proto   string `json:"proto"`   // "tcp" or "udp"
	Address string `json:"address"` // local address, "0.0.0.0", "::", "127.0.0.1", "*"
	Port    int    `json:"port"`
}

// PortLister is a device that can say which ports it listens on, so
// checks can compare them with the ports its maker documents.
type PortLister interface {
	ListeningPorts(ctx context.Context) ([]ListeningPort, error)
	// DocumentedPorts are the ports the device's documentation (its
	// MDS2 form, its target profile) says it opens.
	DocumentedPorts(ctx context.Context) ([]ListeningPort, error)
}
