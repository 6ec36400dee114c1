package ssh_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wardsec/ward/internal/sshdtest"
	"github.com/wardsec/ward/pkg/device"
	"github.com/wardsec/ward/pkg/evidence"
)

// hostRoot adds an operating system's configuration to a device root:
// secure, or with every host weakness the checks look for.
func hostRoot(t *testing.T, root string, insecure bool) {
	t.Helper()
	sshd := "Include /etc/ssh/sshd_config.d/*.conf\nPasswordAuthentication no\nKbdInteractiveAuthentication no\nPermitRootLogin prohibit-password\n" +
		"Ciphers aes256-gcm@openssh.com,aes256-ctr\nMACs hmac-sha2-256-etm@openssh.com\nKexAlgorithms ecdh-sha2-nistp256\nHostKeyAlgorithms ssh-ed25519\n"
	dropIn := "# nothing\n"
	shadow := "root:!:19000::::::\nsvc:$6$salt$hash:19000::::::\n"
	openssl := "3.0.13-1~deb12u1"
	keyMode := os.FileMode(0o600)
	if insecure {
		// A vendor drop-in, read first, turns passwords back on: only a
		// checker that follows Include sees it.
		dropIn = "PasswordAuthentication yes\nPermitRootLogin yes\nCiphers aes128-cbc,aes256-ctr\nMACs hmac-md5\n"
		shadow = "root:!:19000::::::\nsvc::19000::::::\n"
		keyMode = 0o644
		openssl = "3.0.11-1~deb12u2"
	}
	status := "Package: busybox\nStatus: install ok installed\nVersion: 1:1.35.0-4+b3\nDescription: tiny\n utilities\n\n" +
		"Package: openssl\nStatus: install ok installed\nVersion: " + openssl + "\n\n" +
		"Package: telnetd\nStatus: deinstall ok config-files\nVersion: 0.17-1\n"
	files := map[string]struct {
		data string
		mode os.FileMode
	}{
		"etc/ssh/sshd_config":                  {sshd, 0o644},
		"etc/ssh/sshd_config.d/50-vendor.conf": {dropIn, 0o644},
		"etc/passwd":                           {"root:x:0:0:root:/root:/bin/sh\nsvc:x:100:100::/home/svc:/bin/sh\n", 0o644},
		"etc/shadow":                           {shadow, 0o640},
		"etc/ssh/ssh_host_ed25519_key":         {"-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n-----END OPENSSH PRIVATE KEY-----\n", keyMode},
		"etc/ssh/ssh_host_ed25519_key.pub":     {"ssh-ed25519 AAAA host\n", 0o644},
		"var/lib/dpkg/status":                  {status, 0o644},
	}
	for name, f := range files {
		p := filepath.Join(root, name)
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, []byte(f.data), f.mode))
		require.NoError(t, os.Chmod(p, f.mode))
	}
}

// advisoryFile writes the user's OSV advisories next to a profile.
func advisoryFile(t *testing.T) string {
	t.Helper()
	f := filepath.Join(t.TempDir(), "advisories.json")
	require.NoError(t, os.WriteFile(f, []byte(`[
 {"id":"DSA-5678-1","aliases":["CVE-2024-0727"],"affected":[{"package":{"ecosystem":"Debian:12","name":"openssl"},
   "ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"3.0.13-1~deb12u1"}]}]}]},
 {"id":"DSA-1111-1","affected":[{"package":{"ecosystem":"Debian:12","name":"telnetd"},
   "ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"0.17-2"}]}]}]}]`), 0o600))
	return f
}

func TestHostFactsFromFiles(t *testing.T) {
	s := sshdtest.Start(t)
	for _, insecure := range []bool{false, true} {
		root := deviceRoot(t, true)
		hostRoot(t, root, insecure)
		d, err := open(t, s.Target("profile="+writeProfile(t, root, map[string]any{"advisories": advisoryFile(t)})))
		require.NoError(t, err)
		f, err := d.HostFacts(context.Background())
		require.NoError(t, err)
		// Root services come from the test machine's own socket table:
		// TestHarnessRootServices judges them in a namespace of its own.
		delete(f.Unobserved, device.FactRootServices)
		assert.Empty(t, f.Unobserved)
		assert.Equal(t, "dpkg", f.PackageManager)
		assert.Len(t, f.Packages, 2, "a removed package (config-files) is not installed")
		assert.Len(t, f.Advisories, 2)
		assert.Equal(t, "etc/ssh/sshd_config", f.SSHDSource)
		if !insecure {
			assert.Equal(t, "no", f.SSHD["passwordauthentication"])
			assert.Equal(t, []device.HostAccount{{Name: "root", Password: "locked"}, {Name: "svc", Password: "set"}}, f.Accounts)
			assert.Equal(t, []string{}, f.ExposedKeys)
			continue
		}
		assert.Equal(t, "yes", f.SSHD["passwordauthentication"], "the Include is read where it stands")
		assert.Equal(t, "aes128-cbc,aes256-ctr", f.SSHD["ciphers"])
		assert.Equal(t, "empty", f.Accounts[1].Password)
		assert.Equal(t, []string{"etc/ssh/ssh_host_ed25519_key"}, f.ExposedKeys, "the public key is no finding")
	}
}

// Key paths that do not exist are no search: the fact is unobserved (its
// scenario not applicable), never an empty "no key found".
func TestHostFactsNoKeyPaths(t *testing.T) {
	s := sshdtest.Start(t)
	root := deviceRoot(t, true)
	d, err := open(t, s.Target("profile="+writeProfile(t, root, map[string]any{"key_paths": []string{"no/such/dir"}})))
	require.NoError(t, err)
	f, err := d.HostFacts(context.Background())
	require.NoError(t, err)
	assert.Nil(t, f.ExposedKeys)
	assert.Contains(t, f.Unobserved[device.FactExposedKeys], "no/such/dir")
	assert.Contains(t, f.Unobserved[device.FactSSHD], "sshd_config", "no sshd configuration in this root")
	assert.Contains(t, f.Unobserved[device.FactAccounts], "etc/passwd")
}

// On a device whose root is "/", the server's own view (`sshd -T`) is
// read: here the test sshd's configuration.
func TestHostFactsFromSSHDT(t *testing.T) {
	s := sshdtest.Start(t)
	rel := strings.TrimPrefix(s.Config, "/")
	d, err := open(t, s.Target("profile="+writeProfile(t, "/", map[string]any{
		"sshd_config": rel, "key_paths": []string{strings.TrimPrefix(s.Dir, "/")},
		"data": []string{strings.TrimPrefix(s.Dir, "/")}, "logs": []string{}, "identity": map[string]any{},
	})))
	require.NoError(t, err)
	f, err := d.HostFacts(context.Background())
	require.NoError(t, err)
	assert.Equal(t, "sshd -T", f.SSHDSource)
	assert.False(t, f.SSHDConditional, "the test config has no Match block")
	assert.Equal(t, "no", f.SSHD["passwordauthentication"])
	assert.Contains(t, []string{"prohibit-password", "without-password"}, f.SSHD["permitrootlogin"]) // sshd -T prints the old alias
	assert.NotEmpty(t, f.SSHD["ciphers"], "sshd -T prints every setting, defaults included")
	assert.Equal(t, []string{}, f.ExposedKeys, "the test's keys are 0600")
}

var hostScenarios = map[string]string{
	"FDA-PMC-CONFIG-1": "Remote login takes no passwords and no root password",
	"FDA-PMC-CRYPTO-1": "Remote login offers no weak ciphers, MACs or key exchanges",
	"FDA-PMC-AUTHN-1":  "No local account has an empty password",
	"FDA-PMC-CONF-1":   "No private key on the device is readable by every user",
	"524B-b-2":         "No installed package is affected by a known advisory",
}

// Each host check passes on a securely configured system and fails, with
// what it found, on one configured as many devices ship.
func TestHarnessHostChecksDiscriminate(t *testing.T) {
	s := sshdtest.Start(t)
	ids := []string{"FDA-PMC-CONFIG-1", "FDA-PMC-CRYPTO-1", "FDA-PMC-AUTHN-1", "FDA-PMC-CONF-1", "524B-b-2"}
	run := func(insecure bool) evidence.Target {
		root := deviceRoot(t, true)
		hostRoot(t, root, insecure)
		return runHarness(t, s.Target("profile="+writeProfile(t, root, map[string]any{"advisories": advisoryFile(t)})), ids...)
	}
	good := run(false)
	for _, name := range hostScenarios {
		sc := scenario(t, good, name)
		assert.Equal(t, evidence.ScenarioPassed, sc.Status, "%s: %s", name, sc.Reason)
	}
	bad := run(true)
	for id, want := range map[string]string{
		"FDA-PMC-CONFIG-1": `passwordauthentication yes, permitrootlogin yes`,
		"FDA-PMC-CRYPTO-1": `ciphers aes128-cbc, macs hmac-md5`,
		"FDA-PMC-AUTHN-1":  `"svc"`,
		"FDA-PMC-CONF-1":   `"etc/ssh/ssh_host_ed25519_key"`,
		"524B-b-2":         `DSA-5678-1: openssl 3.0.11-1~deb12u2 (fixed in 3.0.13-1~deb12u1)`,
	} {
		sc := scenario(t, bad, hostScenarios[id])
		assert.Equal(t, evidence.ScenarioFailed, sc.Status, id)
		assert.Contains(t, sc.Reason, want, id)
		assert.Equal(t, evidence.NotSatisfied, control1(t, bad, id).Outcome, id)
	}
}

// A login that may not read /etc/shadow cannot judge passwords: that
// scenario is not applicable with the reason, the others still run.
func TestHarnessHostCheckUnreadableShadow(t *testing.T) {
	s := sshdtest.Start(t)
	root := deviceRoot(t, true)
	hostRoot(t, root, false)
	require.NoError(t, os.Remove(filepath.Join(root, "etc/shadow")))
	res := runHarness(t, s.Target("profile="+writeProfile(t, root, nil)), "FDA-PMC-AUTHN-1", "FDA-PMC-CONF-1")
	sc := scenario(t, res, hostScenarios["FDA-PMC-AUTHN-1"])
	assert.Equal(t, evidence.ScenarioNotApplicable, sc.Status, sc.Reason)
	assert.Contains(t, sc.Reason, "etc/shadow")
	assert.Equal(t, evidence.ScenarioPassed, scenario(t, res, hostScenarios["FDA-PMC-CONF-1"]).Status)
}

// Without an advisory file, or with advisories for another ecosystem only,
// patch currency from the package database is not applicable: an empty
// comparison is no pass.
func TestHarnessAdvisoriesNotApplicable(t *testing.T) {
	s := sshdtest.Start(t)
	root := deviceRoot(t, true)
	hostRoot(t, root, true)
	res := runHarness(t, s.Target("profile="+writeProfile(t, root, nil)), "524B-b-2")
	sc := scenario(t, res, hostScenarios["524B-b-2"])
	assert.Equal(t, evidence.ScenarioNotApplicable, sc.Status, sc.Reason)
	assert.Contains(t, sc.Reason, "no advisories file")

	rpmOnly := filepath.Join(t.TempDir(), "rh.json")
	require.NoError(t, os.WriteFile(rpmOnly, []byte(`{"id":"RHSA-1","affected":[{"package":{"ecosystem":"Red Hat","name":"openssl"},
		"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"1:3.0.7-27.el9"}]}]}]}`), 0o600))
	res = runHarness(t, s.Target("profile="+writeProfile(t, root, map[string]any{"advisories": rpmOnly})), "524B-b-2")
	sc = scenario(t, res, hostScenarios["524B-b-2"])
	assert.Equal(t, evidence.ScenarioNotApplicable, sc.Status, sc.Reason)
	assert.Contains(t, sc.Reason, "none of the 1 supplied")

	// A broken advisory file is a usage error before anything runs.
	bad := filepath.Join(t.TempDir(), "bad.json")
	require.NoError(t, os.WriteFile(bad, []byte(`{"affected":[]}`), 0o600))
	_, err := open(t, s.Target("profile="+writeProfile(t, root, map[string]any{"advisories": bad})))
	require.ErrorIs(t, err, device.ErrBadTarget)
}

// A Match block can turn passwords back on for some users or addresses;
// its settings are not evaluated, so a global configuration that passes
// is not applicable (in doubt), never satisfied.
func TestHarnessSSHDMatchBlockIsADoubt(t *testing.T) {
	s := sshdtest.Start(t)
	root := deviceRoot(t, true)
	hostRoot(t, root, false)
	f, err := os.OpenFile(filepath.Join(root, "etc/ssh/sshd_config"), os.O_APPEND|os.O_WRONLY, 0)
	require.NoError(t, err)
	_, err = f.WriteString("Match Address 10.0.0.0/8\n  PasswordAuthentication yes\n")
	require.NoError(t, err)
	require.NoError(t, f.Close())
	res := runHarness(t, s.Target("profile="+writeProfile(t, root, nil)), "FDA-PMC-CONFIG-1")
	sc := scenario(t, res, hostScenarios["FDA-PMC-CONFIG-1"])
	assert.Equal(t, evidence.ScenarioNotApplicable, sc.Status, sc.Reason)
	assert.Contains(t, sc.Reason, "Match blocks")
}

const (
	rootScenario       = "No network service runs as root"
	logSecretsScenario = "The device's logs hold no keys or known secrets"
)

// The device's own socket table and process owners (ss -p, /proc): sshd's
// listener runs as root and is allowed by default; another root listener
// reachable from the network fails FDA-PMC-AUTHZ-1, named; one bound to
// loopback does not count; the profile may allow it by process name.
func TestHarnessRootServices(t *testing.T) {
	s, lab, reg := nsDevice(t)
	root := deviceRoot(t, true)
	target := func(extra map[string]any) string { return s.Target("profile=" + writeProfile(t, root, extra)) }
	local, err := lab.Listen("dev", "127.0.0.1:8081")
	require.NoError(t, err)
	defer local.Close()

	res := runWith(t, reg, target(nil), "FDA-PMC-AUTHZ-1")
	sc := scenario(t, res, rootScenario)
	assert.Equal(t, evidence.ScenarioPassed, sc.Status, sc.Reason)

	// This test runs as root: a listener it opens is a root service.
	ln, err := lab.Listen("dev", "0.0.0.0:2575")
	require.NoError(t, err)
	defer ln.Close()
	res = runWith(t, reg, target(nil), "FDA-PMC-AUTHZ-1")
	sc = scenario(t, res, rootScenario)
	require.Equal(t, evidence.ScenarioFailed, sc.Status, sc.Reason)
	assert.Contains(t, sc.Reason, "tcp/2575 on ")
	assert.NotContains(t, sc.Reason, "8081")
	assert.NotContains(t, sc.Reason, "/22 ", "sshd is allowed by default")
	assert.Equal(t, evidence.NotSatisfied, control1(t, res, "FDA-PMC-AUTHZ-1").Outcome)

	proc := processName(t)
	res = runWith(t, reg, target(map[string]any{"root_services": []string{"sshd", proc}}), "FDA-PMC-AUTHZ-1")
	assert.Equal(t, evidence.ScenarioPassed, scenario(t, res, rootScenario).Status, "allowed by name")
	res = runWith(t, reg, target(map[string]any{"root_services": []string{proc}}), "FDA-PMC-AUTHZ-1")
	sc = scenario(t, res, rootScenario)
	assert.Equal(t, evidence.ScenarioFailed, sc.Status)
	assert.Contains(t, sc.Reason, "tcp/22 on ", "sshd is flagged once the profile's list leaves it out")
}

// processName is this test binary's name as the kernel (and ss) shows it.
func processName(t *testing.T) string {
	b, err := os.ReadFile("/proc/self/comm")
	require.NoError(t, err)
	return strings.TrimSpace(string(b))
}

// The profile's logs are searched for private key blocks and the secrets
// the tester names; a finding names the file and the secret's position,
// never the secret.
func TestHarnessLogSecrets(t *testing.T) {
	s := sshdtest.Start(t)
	const name = logSecretsScenario
	const secret = "svc-Passw0rd-42"
	root := deviceRoot(t, true)
	profile := map[string]any{"secrets": []string{"an-api-token-1234", secret}}
	res := runHarness(t, s.Target("profile="+writeProfile(t, root, profile)), "FDA-PMC-CONF-1")
	sc := scenario(t, res, name)
	assert.Equal(t, evidence.ScenarioPassed, sc.Status, sc.Reason)

	log := "boot ok\nlogin svc pw=c3ZjLVBhc3N3MHJkLTQy\n-----BEGIN EC PRIVATE KEY-----\nMHc=\n-----END EC PRIVATE KEY-----\n"
	require.NoError(t, os.WriteFile(filepath.Join(root, "var/log/pump/app.log"), []byte(log), 0o644))
	res = runHarness(t, s.Target("profile="+writeProfile(t, root, profile)), "FDA-PMC-CONF-1")
	sc = scenario(t, res, name)
	require.Equal(t, evidence.ScenarioFailed, sc.Status, sc.Reason)
	assert.Contains(t, sc.Reason, `"var/log/pump/app.log": a private key block`)
	assert.Contains(t, sc.Reason, `"var/log/pump/app.log": secret 2 (base64)`)
	assert.NotContains(t, sc.Reason, secret)
	assert.NotContains(t, sc.Reason, "c3ZjLVBhc3N3MHJkLTQy")

	// No logs in the profile: not applicable.
	res = runHarness(t, s.Target("profile="+writeProfile(t, root, map[string]any{"logs": []string{}})), "FDA-PMC-CONF-1")
	assert.Equal(t, evidence.ScenarioNotApplicable, scenario(t, res, name).Status)
}
