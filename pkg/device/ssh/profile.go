package ssh

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"strings"
	"time"
	"unicode/utf8"
)

// Profile describes where an embedded-Linux device keeps what the checks
// look at. It is a JSON file named by the target's profile parameter; its
// format is specified in docs/ssh-driver.md. All paths are relative to
// Root on the device.
type Profile struct {
	// Root is the directory on the device all other paths are relative
	// to: "/" on a real device, a scratch directory in tests or when a
	// device image is mounted elsewhere.
	Root string `json:"root"`
	// Identity says where each identity field comes from. Unset fields
	// fall back to /etc/os-release (see docs/ssh-driver.md).
	Identity IdentitySources `json:"identity"`
	// Data are the files and directories holding stored patient data and
	// credentials: what an attacker with the flash chip would read.
	Data []string `json:"data"`
	// Logs are log files, read for audit and secret-leak checks.
	Logs []string `json:"logs"`
	// Audit names the device's Ward audit trail (docs/audit-log.md), when
	// it keeps one.
	Audit *AuditFiles `json:"audit,omitempty"`
	// Ports are the documented listening ports, as "tcp/443".
	Ports []string `json:"documented_ports"`
	// TestData are values the tester entered on the device before the
	// check (a test patient's name, record number): they must never show
	// up in the clear in Data.
	TestData []string `json:"test_data"`
	// CommandTimeout bounds each remote command (Go duration; default 10s).
	CommandTimeout string `json:"command_timeout"`
	// SSHDConfig is the OpenSSH server configuration file (default
	// etc/ssh/sshd_config), read by the host checks.
	SSHDConfig string `json:"sshd_config,omitempty"`
	// KeyPaths are the directories searched for private keys anyone may
	// read (default etc/ssh, etc/ssl/private, root/.ssh, home).
	KeyPaths []string `json:"key_paths,omitempty"`
	// Advisories is an OSV advisory file on the machine running Ward (not
	// the device), relative to the profile's directory unless absolute:
	// the packages installed on the device are judged against it.
	Advisories string `json:"advisories,omitempty"`
	// RootServices are process names allowed to listen on the network as
	// root (default ["sshd"], whose listener must). nil keeps the default;
	// [] allows none.
	RootServices []string `json:"root_services,omitempty"`
	// Secrets are values the tester knows must never be logged (a service
	// password, an API token; 8 bytes or longer). Reasons never repeat
	// them: a finding names the secret by its position.
	Secrets []string `json:"secrets,omitempty"`
}

// IdentitySources names the source of each identity field.
type IdentitySources struct {
	Manufacturer Source `json:"manufacturer"`
	Model        Source `json:"model"`
	Serial       Source `json:"serial"`
	Firmware     Source `json:"firmware"`
	UDI          Source `json:"udi"`
}

// Source is where one identity field is read: a literal value, the first
// line of a file, or a key of /etc/os-release. At most one is set.
type Source struct {
	Value     string `json:"value,omitempty"`
	File      string `json:"file,omitempty"`
	OSRelease string `json:"os_release,omitempty"`
}

// AuditFiles locate a Ward audit trail on the device.
type AuditFiles struct {
	Log        string `json:"log"`
	Checkpoint string `json:"checkpoint,omitempty"`
	// PublicKey is the base64 Ed25519 key that verifies Checkpoint.
	PublicKey string `json:"public_key,omitempty"`
}

// ErrProfile reports a device profile that does not parse or makes no
// sense. It comes wrapped in device.ErrBadTarget by Open.
var ErrProfile = errors.New("invalid device profile")

const maxProfile = 1 << 20

// ParseProfile decodes and validates a profile. Unknown fields are errors,
// so a typo never silently drops a data path from the checks.
func ParseProfile(b []byte) (*Profile, error) {
	if len(b) > maxProfile {
		return nil, fmt.Errorf("%w: larger than %d bytes", ErrProfile, maxProfile)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var p Profile
	if err := dec.Decode(&p); err != nil {
		return nil, fmt.Errorf("%w: %s", ErrProfile, jsonErr(b, err))
	}
	if dec.More() {
		return nil, fmt.Errorf("%w: trailing data after the JSON object", ErrProfile)
	}
	if err := p.validate(); err != nil {
		return nil, err
	}
	return &p, nil
}

// jsonErr adds the line of a JSON syntax or type error.
func jsonErr(b []byte, err error) string {
	var off int64 = -1
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		off = se.Offset
	case errors.As(err, &te):
		off = te.Offset
	}
	if off < 0 || off > int64(len(b)) {
		return err.Error()
	}
	return fmt.Sprintf("line %d: %v", bytes.Count(b[:off], []byte("\n"))+1, err)
}

func (p *Profile) validate() error {
	if p.Root == "" {
		p.Root = "/"
	}
	if !path.IsAbs(p.Root) {
		return fmt.Errorf("%w: root %q is not an absolute path", ErrProfile, p.Root)
	}
	p.Root = path.Clean(p.Root)
	check := func(what, s string) error {
		if _, err := relPath(s); err != nil {
			return fmt.Errorf("%w: %s %q: %v", ErrProfile, what, s, err)
		}
		return nil
	}
	for _, s := range p.Data {
		if err := check("data path", s); err != nil {
			return err
		}
	}
	for _, s := range p.Logs {
		if err := check("log path", s); err != nil {
			return err
		}
	}
	if strings.ContainsRune(p.Advisories, 0) {
		return fmt.Errorf("%w: advisories path contains NUL", ErrProfile)
	}
	for _, s := range p.KeyPaths {
		if err := check("key path", s); err != nil {
			return err
		}
	}
	if p.SSHDConfig != "" {
		if err := check("sshd_config", p.SSHDConfig); err != nil {
			return err
		}
	}
	for name, src := range map[string]Source{"manufacturer": p.Identity.Manufacturer, "model": p.Identity.Model,
		"serial": p.Identity.Serial, "firmware": p.Identity.Firmware, "udi": p.Identity.UDI} {
		n := 0
		for _, v := range []string{src.Value, src.File, src.OSRelease} {
			if v != "" {
				n++
			}
		}
		if n > 1 {
			return fmt.Errorf("%w: identity %s sets more than one of value, file, os_release", ErrProfile, name)
		}
		if src.File != "" {
			if err := check("identity "+name+" file", src.File); err != nil {
				return err
			}
		}
	}
	if a := p.Audit; a != nil {
		if err := check("audit log", a.Log); err != nil {
			return err
		}
		if a.Checkpoint != "" {
			if err := check("audit checkpoint", a.Checkpoint); err != nil {
				return err
			}
		}
		if a.PublicKey != "" {
			k, err := base64.StdEncoding.DecodeString(a.PublicKey)
			if err != nil || len(k) != 32 {
				return fmt.Errorf("%w: audit public_key is not a base64 Ed25519 public key", ErrProfile)
			}
		}
	}
	for _, s := range p.Ports {
		if _, err := parsePortSpec(s); err != nil {
			return fmt.Errorf("%w: documented port %q: %v", ErrProfile, s, err)
		}
	}
	for _, s := range p.TestData {
		if len(s) < 8 || !utf8.ValidString(s) {
			return fmt.Errorf("%w: test_data value %q is shorter than 8 bytes (it would match by chance)", ErrProfile, s)
		}
	}
	for i, s := range p.Secrets {
		if len(s) < 8 {
			return fmt.Errorf("%w: secret %d is shorter than 8 bytes (it would match by chance)", ErrProfile, i+1)
		}
	}
	if p.CommandTimeout != "" {
		d, err := time.ParseDuration(p.CommandTimeout)
		if err != nil || d <= 0 {
			return fmt.Errorf("%w: command_timeout %q is not a positive duration", ErrProfile, p.CommandTimeout)
		}
	}
	return nil
}

// relPath checks that s is a clean relative path that stays below the
// device root, so a profile (or a stored-file name) never reaches outside.
func relPath(s string) (string, error) {
	switch {
	case s == "":
		return "", errors.New("empty")
	case strings.ContainsRune(s, 0) || strings.ContainsAny(s, "\n\r"):
		return "", errors.New("contains a control character")
	case path.IsAbs(s):
		return "", errors.New("must be relative to the device root")
	}
	c := path.Clean(s)
	if c == ".." || strings.HasPrefix(c, "../") {
		return "", errors.New("leaves the device root")
	}
	return c, nil
}
