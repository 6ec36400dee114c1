package device

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Endpoint is one network service a device offers: its clinical data feed
// or its management API.
type Endpoint struct {
	// Name says what the service is: "hl7-feed", "management-api".
	Name string `json:"name"`
	// Protocol is "mllp" (HL7 v2 over MLLP, docs/hl7.md) or "https".
	Protocol string `json:"protocol"`
	// Address is host:port, reachable from where the checks run.
	Address string `json:"address"`
	// CA is the PEM certificate that verifies the endpoint's server
	// certificate; empty when the device does not claim TLS there.
	CA []byte `json:"ca,omitempty"`
	// ClientAuth is true when the device says it requires a client
	// certificate (mutual TLS).
	ClientAuth bool `json:"client_auth"`
}

// Transport is a device whose network services the harness may connect to
// directly, as any peer on the clinical network could, to check encryption
// and authentication in transit and robustness against malformed input.
type Transport interface {
	Endpoints(ctx context.Context) ([]Endpoint, error)
}

// ClientCertIssuer is a test build that issues client certificates its
// endpoints trust, so checks can connect as a legitimate peer (an
// interface engine) and try expired ones. Production firmware lacks it.
type ClientCertIssuer interface {
	IssueClientCertificate(ctx context.Context, name string, notBefore, notAfter time.Time) (certPEM, keyPEM []byte, err error)
}

// ClinicalSettings is a device whose clinical parameters (a pump's
// programmed rate) checks may read back, to confirm that malformed or
// altered input changed nothing.
type ClinicalSettings interface {
	Settings(ctx context.Context) (map[string]string, error)
}

// LogCollector is where a device forwards its audit events: syslog
// (RFC 5424) over TLS (RFC 5425) to Address, whose certificate CA
// verifies.
type LogCollector struct {
	Address string `json:"address"`
	CA      []byte `json:"ca"`
}

// LogForwarder is a device that can be told where to send its logs. The
// session behind token must be allowed to change configuration.
type LogForwarder interface {
	ForwardLogs(ctx context.Context, token string, c LogCollector) error
}

// ErrCleartext reports a service that the device declares as TLS but that
// answers in cleartext. It is a finding against the device (encryption in
// transit), not a harness failure.
var ErrCleartext = errors.New("service answers in cleartext")

// CleartextError says which service answered in cleartext and what it
// sent. It matches ErrCleartext with errors.Is.
type CleartextError struct {
	Service string // "management API"
	Address string // host:port
	Saw     string // what came back, escaped
}

func (e *CleartextError) Error() string {
	return fmt.Sprintf("the %s at %s does not speak TLS: %s", e.Service, e.Address, e.Saw)
}

// Is makes errors.Is(err, ErrCleartext) true.
func (e *CleartextError) Is(target error) bool { return target == ErrCleartext }
