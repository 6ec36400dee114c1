package sim

import (
	"context"

	"github.com/wardsec/ward/pkg/device"
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
		ExposedKeys: []string{},
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

var _ device.HostConfig = (*Pump)(nil)
