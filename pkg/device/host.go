package device

import (
	"context"

	"github.com/wardsec/ward/pkg/osv"
)

// HostFacts are what a device's operating system says about its own
// security configuration: the settings of its remote-login server, its
// local accounts, its private key files. A driver fills what it could
// observe; every fact it could not observe is named in Unobserved with the
// reason, so checks on it are not applicable rather than passed.
type HostFacts struct {
	// SSHD holds the OpenSSH server's effective settings, keys lower case
	// as `sshd -T` prints them ("passwordauthentication": "no"; list
	// settings comma-separated). Nil when not observed.
	SSHD map[string]string `json:"sshd,omitempty"`
	// SSHDSource says where SSHD came from: "sshd -T" or the config file
	// parsed (then defaults are OpenSSH's for unset keys).
	SSHDSource string `json:"sshd_source,omitempty"`
	// SSHDConditional is set when the configuration has Match blocks:
	// settings that apply to some users or addresses only, which SSHD
	// does not show. A check SSHD passes is then in doubt.
	SSHDConditional bool `json:"sshd_conditional,omitempty"`
	// Accounts are the local accounts and the state of their passwords.
	// Nil when not observed.
	Accounts []HostAccount `json:"accounts,omitempty"`
	// ExposedKeys are private key files that users other than their owner
	// (and group) can read. Nil (not observed) differs from empty (none).
	ExposedKeys []string `json:"exposed_keys"`
	// Packages are the installed packages from the device's package
	// database; nil when not observed.
	Packages []HostPackage `json:"packages,omitempty"`
	// PackageManager is whose version ordering Packages follow: "dpkg",
	// "opkg" (ordered as dpkg) or "rpm".
	PackageManager string `json:"package_manager,omitempty"`
	// Advisories are the security advisories (OSV) the packages are
	// judged against: the user's advisory file, never fetched from a
	// network. Nil when none were supplied.
	Advisories []osv.Advisory `json:"advisories,omitempty"`
	// RootServices are the network-reachable listening sockets (not bound
	// to loopback only) whose process runs as root and is not one the
	// target allows to (sshd by default). Nil when not observed.
	RootServices []HostService `json:"root_services"`
	// LogSecrets are findings of secrets in the device's log files: a
	// private key block, or a secret the target names, each said without
	// the secret itself ("var/log/app.log: secret 2 (base64)"). Nil when
	// not observed.
	LogSecrets []string `json:"log_secrets"`
	// Unobserved maps a fact ("sshd", "accounts", "exposed_keys") to why
	// it could not be read.
	Unobserved map[string]string `json:"unobserved,omitempty"`
}

// HostAccount is one local account.
type HostAccount struct {
	Name string `json:"name"`
	// Password is "set", "locked" (no password login: "!", "*") or
	// "empty" (anyone may log in without one).
	Password string `json:"password"`
}

// HostService is a listening socket and the process behind it.
type HostService struct {
	Proto   string `json:"proto"`
	Address string `json:"address"`
	Port    int    `json:"port"`
	Process string `json:"process"`
	PID     int    `json:"pid"`
}

// HostPackage is one installed package.
type HostPackage struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

// Fact names for HostFacts.Unobserved.
const (
	FactSSHD         = "sshd"
	FactAccounts     = "accounts"
	FactExposedKeys  = "exposed_keys"
	FactPackages     = "packages"
	FactAdvisories   = "advisories"
	FactRootServices = "root_services"
	FactLogSecrets   = "log_secrets"
)

// HostConfig is a device whose operating-system configuration checks can
// read (an embedded-Linux device over SSH; a simulator's model of one).
type HostConfig interface {
	HostFacts(ctx context.Context) (HostFacts, error)
}
