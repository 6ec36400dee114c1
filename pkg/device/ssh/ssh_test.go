package ssh_test

import (
	"context"
	"encoding/json"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/ssh/knownhosts"

	"github.com/wardsec/ward/internal/sshdtest"
	"github.com/wardsec/ward/pkg/atrest"
	"github.com/wardsec/ward/pkg/device"
	wssh "github.com/wardsec/ward/pkg/device/ssh"
)

// Values of the test patient the "tester" entered on the device.
const (
	testName = "Ada Testpatient"
	testMRN  = "MRN-77123456"
)

// deviceRoot fills a directory as an embedded-Linux device would look:
// os-release, identity files, a record store, logs. With encrypted, the
// patient record is sealed with pkg/atrest; otherwise it lies in the clear.
func deviceRoot(t testing.TB, encrypted bool) string {
	t.Helper()
	root := t.TempDir()
	record := []byte(`{"id":"P-1001","name":"` + testName + `","mrn":"` + testMRN + `","drug":"heparin"}`)
	if encrypted {
		key, err := atrest.GenerateKey("unit-key")
		require.NoError(t, err)
		record, err = atrest.Seal(context.Background(), record, key)
		require.NoError(t, err)
	}
	files := map[string]string{
		"etc/os-release":                   "NAME=\"Acme Linux\"\nPRETTY_NAME=\"Acme Linux 4 (pump)\"\nVERSION_ID=4.2.1\nID=acme\n",
		"etc/device/serial":                "AP-000123\n",
		"etc/device/model":                 "AcmePump 9\n",
		"etc/device/udi":                   "(01)01234567890128(21)AP-000123\n",
		"var/lib/pump/records/P-1001.json": string(record),
		"var/lib/pump/settings.conf":       "rate_limit=999\n",
		"var/log/pump/app.log":             "boot ok\n",
	}
	for name, data := range files {
		p := filepath.Join(root, name)
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, []byte(data), 0o644))
	}
	return root
}

// writeProfile writes a device profile for root and returns its file.
func writeProfile(t testing.TB, root string, extra map[string]any) string {
	t.Helper()
	p := map[string]any{
		"root": root,
		"identity": map[string]any{
			"manufacturer": map[string]string{"value": "Acme Medical"},
			"model":        map[string]string{"file": "etc/device/model"},
			"serial":       map[string]string{"file": "etc/device/serial"},
			"udi":          map[string]string{"file": "etc/device/udi"},
		},
		"data":             []string{"var/lib/pump"},
		"logs":             []string{"var/log/pump/app.log"},
		"documented_ports": []string{"tcp/22", "tcp/443"},
		"test_data":        []string{testName, testMRN},
		"command_timeout":  "5s",
	}
	for k, v := range extra {
		p[k] = v
	}
	b, err := json.MarshalIndent(p, "", "  ")
	require.NoError(t, err)
	file := filepath.Join(t.TempDir(), "profile.json")
	require.NoError(t, os.WriteFile(file, b, 0o600))
	return file
}

func open(t testing.TB, target string) (*wssh.Device, error) {
	t.Helper()
	u, err := url.Parse(target)
	require.NoError(t, err)
	d, err := wssh.Open(context.Background(), u)
	if err != nil {
		return nil, err
	}
	t.Cleanup(func() { d.Close() })
	return d.(*wssh.Device), nil
}

func TestIdentityFromProfileAndOSRelease(t *testing.T) {
	s := sshdtest.Start(t)
	root := deviceRoot(t, true)
	d, err := open(t, s.Target("profile="+writeProfile(t, root, nil)))
	require.NoError(t, err)
	id, err := d.Identify(context.Background())
	require.NoError(t, err)
	assert.Equal(t, device.Identity{
		Manufacturer: "Acme Medical", Model: "AcmePump 9", Serial: "AP-000123",
		Firmware: "4.2.1", UDI: "(01)01234567890128(21)AP-000123",
	}, id)

	// Without identity sources, os-release names the model and firmware.
	d2, err := open(t, s.Target("profile="+writeProfile(t, root, map[string]any{"identity": map[string]any{}})))
	require.NoError(t, err)
	id, err = d2.Identify(context.Background())
	require.NoError(t, err)
	assert.Equal(t, device.Identity{Model: "Acme Linux 4 (pump)", Firmware: "4.2.1"}, id)

	// No os-release at all: the fields without a source stay empty, the
	// configured ones still come through.
	require.NoError(t, os.Remove(filepath.Join(root, "etc/os-release")))
	id, err = d.Identify(context.Background())
	require.NoError(t, err)
	assert.Equal(t, device.Identity{Manufacturer: "Acme Medical", Model: "AcmePump 9", Serial: "AP-000123",
		UDI: "(01)01234567890128(21)AP-000123"}, id)
}

func TestRawStorageStaysWithinDataPaths(t *testing.T) {
	s := sshdtest.Start(t)
	root := deviceRoot(t, false)
	d, err := open(t, s.Target("profile="+writeProfile(t, root, nil)))
	require.NoError(t, err)
	ctx := context.Background()

	names, err := d.ListStored(ctx)
	require.NoError(t, err)
	// The profile's log files are listed too: they lie on the same flash.
	assert.Equal(t, []string{"var/lib/pump/records/P-1001.json", "var/lib/pump/settings.conf", "var/log/pump/app.log"}, names)
	b, err := d.ReadStored(ctx, "var/log/pump/app.log")
	require.NoError(t, err)
	assert.Equal(t, "boot ok\n", string(b))
	// ...but only read: a tampering check never rewrites a log.
	assert.ErrorIs(t, d.WriteStored(ctx, "var/log/pump/app.log", []byte("x")), wssh.ErrOutsideProfile)
	b, err = d.ReadStored(ctx, "var/lib/pump/records/P-1001.json")
	require.NoError(t, err)
	assert.Contains(t, string(b), testMRN)

	// Attack: names outside the configured data paths are refused before
	// anything is sent to the device.
	for _, bad := range []string{"etc/os-release", "../etc/shadow", "var/lib/pump/../../../etc/shadow", "/etc/shadow", "var/lib/pumpkin", ""} {
		_, err := d.ReadStored(ctx, bad)
		assert.ErrorIs(t, err, wssh.ErrOutsideProfile, bad)
		assert.ErrorIs(t, d.WriteStored(ctx, bad, []byte("x")), wssh.ErrOutsideProfile, bad)
	}

	// Writes land (an attacker's edit, used by tampering checks) and leave
	// no temporary file behind.
	require.NoError(t, d.WriteStored(ctx, "var/lib/pump/settings.conf", []byte("rate_limit=1\n")))
	got, err := os.ReadFile(filepath.Join(root, "var/lib/pump/settings.conf"))
	require.NoError(t, err)
	assert.Equal(t, "rate_limit=1\n", string(got))
	names, err = d.ListStored(ctx)
	require.NoError(t, err)
	assert.Len(t, names, 3)

	// A missing file is a one-line command error, not a hang or a panic.
	_, err = d.ReadStored(ctx, "var/lib/pump/none")
	require.ErrorIs(t, err, wssh.ErrCommand)
	assert.NotContains(t, err.Error(), "\n")
}

func TestListeningPortsComeFromSS(t *testing.T) {
	s := sshdtest.Start(t)
	d, err := open(t, s.Target("profile="+writeProfile(t, deviceRoot(t, true), nil)))
	require.NoError(t, err)
	ports, err := d.ListeningPorts(context.Background())
	require.NoError(t, err)
	assert.Contains(t, ports, device.ListeningPort{Proto: "tcp", Address: "127.0.0.1", Port: s.Port}, "sshd itself must be listed")
	doc, err := d.DocumentedPorts(context.Background())
	require.NoError(t, err)
	assert.Equal(t, []device.ListeningPort{{Proto: "tcp", Port: 22}, {Proto: "tcp", Port: 443}}, doc)
}

func TestAuditAndLogs(t *testing.T) {
	s := sshdtest.Start(t)
	root := deviceRoot(t, true)
	d, err := open(t, s.Target("profile="+writeProfile(t, root, nil)))
	require.NoError(t, err)
	logs, err := d.Logs(context.Background())
	require.NoError(t, err)
	assert.Equal(t, map[string][]byte{"var/log/pump/app.log": []byte("boot ok\n")}, logs)
	_, err = d.AuditLog(context.Background())
	assert.ErrorIs(t, err, device.ErrUnsupported, "no audit files configured: not-applicable, never an empty pass")

	d2, err := open(t, s.Target("profile="+writeProfile(t, root, map[string]any{"audit": map[string]any{"log": "var/log/pump/app.log"}})))
	require.NoError(t, err)
	exp, err := d2.AuditLog(context.Background())
	require.NoError(t, err)
	assert.Equal(t, "boot ok\n", string(exp.Log))
	assert.Equal(t, "var/log/pump/app.log", exp.LogPath)
}

// Attack: a man in the middle (or a swapped device) presents another host
// key. The driver refuses before authenticating, with one line that
// errors.Is matches.
func TestWrongHostKeyIsRefused(t *testing.T) {
	s := sshdtest.Start(t)
	other := sshdtest.Start(t) // a second server: its host key is the "wrong" one
	wrong := filepath.Join(t.TempDir(), "known_hosts")
	line := knownhosts.Line([]string{knownhosts.Normalize(s.Addr())}, other.HostKey) + "\n"
	require.NoError(t, os.WriteFile(wrong, []byte(line), 0o600))

	target := strings.Replace(s.Target(""), "known_hosts="+s.KnownHosts, "known_hosts="+wrong, 1)
	_, err := open(t, target)
	require.ErrorIs(t, err, wssh.ErrHostKeyMismatch)
	assert.NotContains(t, err.Error(), "\n")
	assert.Contains(t, err.Error(), "SHA256:")

	// A host known_hosts does not list at all is refused too: no trust on
	// first use.
	empty := filepath.Join(t.TempDir(), "known_hosts")
	require.NoError(t, os.WriteFile(empty, nil, 0o600))
	_, err = open(t, strings.Replace(s.Target(""), "known_hosts="+s.KnownHosts, "known_hosts="+empty, 1))
	require.ErrorIs(t, err, wssh.ErrUnknownHost)

	// Nothing was authenticated: the client stopped at the host key.
	assert.NotContains(t, s.Log.String(), "Accepted publickey")

	// The right key still works, so the refusals above were about the key.
	_, err = open(t, s.Target(""))
	require.NoError(t, err)
	require.Eventually(t, func() bool { return strings.Contains(s.Log.String(), "Accepted publickey") }, 5*time.Second, 20*time.Millisecond,
		"sshd logs accepted logins, so the absence above means something")
}

func TestTargetUsageErrors(t *testing.T) {
	dir := t.TempDir()
	kh := filepath.Join(dir, "known_hosts")
	require.NoError(t, os.WriteFile(kh, nil, 0o600))
	badProfile := filepath.Join(dir, "bad.json")
	require.NoError(t, os.WriteFile(badProfile, []byte(`{"data": ["../../etc"]}`), 0o600))
	for name, target := range map[string]string{
		"no known_hosts":      "ssh://root@127.0.0.1:22?key=" + kh,
		"missing known_hosts": "ssh://root@127.0.0.1:22?key=" + kh + "&known_hosts=" + dir + "/none",
		"no key":              "ssh://root@127.0.0.1:22?known_hosts=" + kh,
		"no user":             "ssh://127.0.0.1:22?key=" + kh + "&known_hosts=" + kh,
		"password in URI":     "ssh://root:pw@127.0.0.1:22?key=" + kh + "&known_hosts=" + kh,
		"unknown parameter":   "ssh://root@127.0.0.1:22?key=" + kh + "&known_hosts=" + kh + "&insecure=1",
		"bad timeout":         "ssh://root@127.0.0.1:22?key=" + kh + "&known_hosts=" + kh + "&timeout=-1s",
		"profile escapes":     "ssh://root@127.0.0.1:22?key=" + kh + "&known_hosts=" + kh + "&profile=" + badProfile,
		"key not a key":       "ssh://root@127.0.0.1:22?key=" + kh + "&known_hosts=" + kh,
	} {
		t.Run(name, func(t *testing.T) {
			_, err := open(t, target)
			require.ErrorIs(t, err, device.ErrBadTarget)
			assert.NotContains(t, err.Error(), "\n")
		})
	}
}

// A device that accepts TCP and then never speaks must be an error within
// the timeout, not a stalled run.
func TestHungDeviceTimesOut(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			defer c.Close() // hold it open, say nothing
		}
	}()
	dir := t.TempDir()
	key := filepath.Join(dir, "id")
	_, priv, _ := edKey()
	sshdtest.WriteKey(t, key, priv)
	kh := filepath.Join(dir, "known_hosts")
	require.NoError(t, os.WriteFile(kh, nil, 0o600))
	start := time.Now()
	_, err = open(t, "ssh://root@"+l.Addr().String()+"?key="+key+"&known_hosts="+kh+"&timeout=300ms")
	require.ErrorIs(t, err, wssh.ErrTimeout)
	assert.Less(t, time.Since(start), 5*time.Second)
	assert.NotContains(t, err.Error(), "\n")
}

// A command that hangs on the device (reading a FIFO nobody writes) ends
// at the command timeout; the connection is then closed and later calls
// fail at once with the same cause.
func TestHungCommandTimesOut(t *testing.T) {
	s := sshdtest.Start(t)
	root := deviceRoot(t, true)
	require.NoError(t, syscall.Mkfifo(filepath.Join(root, "var/lib/pump/stuck"), 0o600))
	d, err := open(t, s.Target("timeout=500ms&profile="+writeProfile(t, root, map[string]any{"command_timeout": "30s"})))
	require.NoError(t, err)
	start := time.Now()
	_, err = d.ReadStored(context.Background(), "var/lib/pump/stuck")
	require.ErrorIs(t, err, wssh.ErrTimeout)
	assert.Less(t, time.Since(start), 5*time.Second, "the URI's timeout wins over the profile's")
	assert.NotContains(t, err.Error(), "\n")
	_, err = d.ListStored(context.Background())
	assert.ErrorIs(t, err, wssh.ErrTimeout)
}

// An unreachable device (nothing listening) is a one-line connect error,
// at once, not a timeout.
func TestUnreachableDevice(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	l.Close()
	dir := t.TempDir()
	key := filepath.Join(dir, "id")
	_, priv, _ := edKey()
	sshdtest.WriteKey(t, key, priv)
	kh := filepath.Join(dir, "known_hosts")
	require.NoError(t, os.WriteFile(kh, nil, 0o600))
	_, err = open(t, "ssh://root@"+addr+"?key="+key+"&known_hosts="+kh)
	require.Error(t, err)
	assert.NotErrorIs(t, err, wssh.ErrTimeout)
	assert.NotErrorIs(t, err, device.ErrBadTarget, "a device that is down is not a usage error")
	assert.Contains(t, err.Error(), "connection refused")
	assert.NotContains(t, err.Error(), "\n")
}
