package sim

import (
	"context"

	"github.com/wardsec/ward/pkg/device"
	"github.com/wardsec/ward/pkg/osv"
)

// HostFacts implements device.HostConfig with the pump's model of its own
// embedded-Linux system: a service login by key only, modern SSH
// algorithms, every account with a password or locked, the device key
// readable by its owner alone. Each weakness below turns one of these
// round.
func (p *Pump) HostFacts(context.Context) (device.HostFacts, error) {
	f := device.HostFacts{
		SSHD: map[string]string{
			"passwordauthentication":       "no",
			"kbdinteractiveauthentication": "no",
			"permitemptypasswords":         "no",
			"permitrootlogin":              "no",
			"usepam":                       "no",
			"ciphers":                      "aes256-gcm@openssh.com,aes128-gcm@openssh.com,aes256-ctr",
			"macs":                         "hmac-sha2-256-etm@openssh.com,hmac-sha2-512-etm@openssh.com",
			"kexalgorithms":                "ecdh-sha2-nistp256,ecdh-sha2-nistp384",
			"hostkeyalgorithms":            "ecdsa-sha2-nistp256,ssh-ed25519",
		},
		SSHDSource: "sshd -T",
		Accounts: []device.HostAccount{
			{Name: "root", Password: "locked"},
			{Name: "pumpsvc", Password: "set"},
			{Name: "nobody", Password: "locked"},
		},
		ExposedKeys:    []string{},
		PackageManager: "opkg",
		Packages: []device.HostPackage{
			{Name: "busybox", Version: "1.36.1-r2"},
			{Name: "openssl", Version: "3.0.13-r0"},
			{Name: "pumpd", Version: "4.2.1-r0"},
		},
		Advisories:   simAdvisories(),
		RootServices: []device.HostService{},
		LogSecrets:   []string{},
	}
	if p.weak["secrets-in-logs"] {
		// The same fault that writes tried passwords into its audit trail.
		f.LogSecrets = append(f.LogSecrets, `"audit trail": a password tried at login`)
	}
	if p.weak["root-service"] {
		f.RootServices = append(f.RootServices, device.HostService{Proto: "tcp", Address: "0.0.0.0", Port: 2575, Process: "hl7d", PID: 412})
	}
	if p.weak["unpatched"] {
		// The OS image lags as the application does.
		f.Packages[1].Version = "3.0.11-r0"
	}
	if p.weak["ssh-password-login"] {
		f.SSHD["passwordauthentication"] = "yes"
		f.SSHD["permitrootlogin"] = "yes"
	}
	if p.weak["weak-ssh-crypto"] {
		f.SSHD["ciphers"] += ",aes128-cbc,3des-cbc"
		f.SSHD["macs"] += ",hmac-md5"
		f.SSHD["kexalgorithms"] += ",diffie-hellman-group1-sha1"
	}
	if p.weak["empty-password-account"] {
		f.Accounts = append(f.Accounts, device.HostAccount{Name: "service", Password: "empty"})
	}
	if p.weak["world-readable-key"] {
		f.ExposedKeys = append(f.ExposedKeys, "etc/ssl/private/device.key")
	}
	return f, nil
}

// simAdvisories is the maker's advisory feed for the pump's OS image, in
// OSV form, as a device maker would hand it to a hospital.
func simAdvisories() []osv.Advisory {
	return []osv.Advisory{{
		ID: "SIM-OSV-2024-0001", Summary: "openssl: denial of service in certificate parsing",
		Affected: []osv.Affected{{
			Package: osv.Package{Ecosystem: "OpenWrt", Name: "openssl"},
			Ranges:  []osv.Range{{Type: "ECOSYSTEM", Events: []osv.Event{{Introduced: "0"}, {Fixed: "3.0.13-r0"}}}},
		}},
	}}
}

var _ device.HostConfig = (*Pump)(nil)
