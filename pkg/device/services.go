package device

import "context"

// Kinds of ServiceFinding.
const (
	// FindingDefaultCredentials: a login mechanism (HTTP Basic, SSH
	// password, MQTT, telnet, FTP) accepted a vendor default.
	FindingDefaultCredentials = "default-credentials"
	// FindingUnauthenticated: a clinical or management protocol grants
	// access to any caller (DICOM association from an unknown AE title,
	// MQTT without credentials, telnet without login, anonymous FTP, SNMP
	// community "public").
	FindingUnauthenticated = "unauthenticated-access"
	// FindingWeakCertificate: a certificate is expired, has a short key
	// or a SHA-1/MD5 signature, is self-signed and not pinned, or does not
	// name the host it serves.
	FindingWeakCertificate = "weak-certificate"
	// FindingLegacyTLS: a service accepted SSL 3.0, TLS 1.0 or TLS 1.1.
	FindingLegacyTLS = "legacy-tls"
)

// ServiceFinding is one problem found on one network service.
type ServiceFinding struct {
	Kind   string `json:"kind"`
	Detail string `json:"detail"`
}

// ServiceReport is what probing one network service from the network
// learned: what it is, what was tried, and what was found.
type ServiceReport struct {
	// Address is host:port; Transport is "tcp" or "udp".
	Address   string `json:"address"`
	Transport string `json:"transport"`
	// Protocol uses the names of Endpoint.Protocol, plus "snmp".
	Protocol string `json:"protocol"`
	// Certificates is how many certificates the service presented.
	Certificates int `json:"certificates"`
	// CredentialsTested is set when a login mechanism was found and
	// credentials were tried on it; NoLogin when the service offers no
	// password login (its protocol has none, or a client certificate is
	// required first).
	CredentialsTested bool `json:"credentials_tested"`
	NoLogin           bool `json:"no_login"`
	// AccessTested is set when the service gave a definite answer to a
	// caller without credentials (let in, or refused).
	AccessTested bool `json:"access_tested"`
	// Checked lists what was tried, one line each (printable text only).
	Checked  []string         `json:"checked"`
	Findings []ServiceFinding `json:"findings"`
}

// ServiceProber is a device whose network services can be probed from
// the network, black-box, as any peer could: default credentials,
// unauthenticated access, certificate quality. Probes are read-only.
type ServiceProber interface {
	ProbeServices(ctx context.Context) ([]ServiceReport, error)
}
