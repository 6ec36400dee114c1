package ssh

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wardsec/ward/pkg/device"
)

func TestParseSSHDConfig(t *testing.T) {
	includes := map[string]string{
		"/etc/ssh/sshd_config.d/*.conf": "PasswordAuthentication yes\n",
		"etc/ssh/extra.conf":            "Ciphers aes128-cbc\n",
	}
	var asked []string
	include := func(p string) ([]byte, error) {
		asked = append(asked, p)
		return []byte(includes[p]), nil
	}
	conf := "# comment\n" +
		"Include /etc/ssh/sshd_config.d/*.conf\n" +
		"PasswordAuthentication no\n" + // too late: the include set it first
		"permitrootlogin=yes\n" +
		"PermitRootLogin no\n" + // the first value wins
		"  MACs \"hmac-sha2-256\"\n" +
		"Include extra.conf\n" +
		"Match User backup\n" +
		"  PermitEmptyPasswords yes\n" // conditional: not read
	got, matched, err := parseSSHDConfig([]byte(conf), func(p string) ([]byte, error) {
		if p == "extra.conf" {
			p = "etc/ssh/extra.conf"
		}
		return include(p)
	})
	require.NoError(t, err)
	assert.True(t, matched)
	assert.Equal(t, []string{"/etc/ssh/sshd_config.d/*.conf", "etc/ssh/extra.conf"}, asked)
	assert.Equal(t, map[string]string{
		"passwordauthentication":       "yes",
		"permitrootlogin":              "yes",
		"macs":                         "hmac-sha2-256",
		"ciphers":                      "aes128-cbc",
		"permitemptypasswords":         "no",  // OpenSSH's default
		"kbdinteractiveauthentication": "yes", // default
		"usepam":                       "no",  // default
	}, got)

	// An include that includes itself ends, as an error, not a hang.
	_, _, err = parseSSHDConfig([]byte("Include x\n"), func(string) ([]byte, error) { return []byte("Include x\n"), nil })
	assert.ErrorIs(t, err, ErrParse)
	// The include callback's error is returned.
	boom := errors.New("boom")
	_, _, err = parseSSHDConfig([]byte("Include x\n"), func(string) ([]byte, error) { return nil, boom })
	assert.ErrorIs(t, err, boom)
}

func TestParseSSHDT(t *testing.T) {
	got, err := parseSSHDT([]byte("port 22\nlistenaddress 0.0.0.0:22\nlistenaddress [::]:22\npasswordauthentication no\nciphers aes256-ctr,aes128-ctr\n"))
	require.NoError(t, err)
	assert.Equal(t, "0.0.0.0:22,[::]:22", got["listenaddress"])
	assert.Equal(t, "no", got["passwordauthentication"])
	assert.Equal(t, "aes256-ctr,aes128-ctr", got["ciphers"])
	_, err = parseSSHDT(nil)
	assert.ErrorIs(t, err, ErrParse, "no settings is no observation")
}

func TestParseAccounts(t *testing.T) {
	passwd := "root:x:0:0:root:/root:/bin/sh\n" +
		"svc:x:100:100::/home/svc:/bin/sh\n" +
		"guest::101:101::/tmp:/bin/sh\n" + // empty in passwd itself
		"daemon:x:1:1::/:/usr/sbin/nologin\n" +
		"ghost:x:102:102::/:/bin/sh\n" // no shadow line
	shadow := "root:!:19000::::::\nsvc:$6$salt$hash:19000::::::\nguest:x:19000::::::\ndaemon:*:19000::::::\n"
	got, err := parseAccounts([]byte(passwd), []byte(shadow))
	require.NoError(t, err)
	assert.Equal(t, []device.HostAccount{
		{Name: "root", Password: "locked"}, {Name: "svc", Password: "set"}, {Name: "guest", Password: "empty"},
		{Name: "daemon", Password: "locked"}, {Name: "ghost", Password: "locked"},
	}, got)
	got, err = parseAccounts([]byte("tech:x:0:0::/:/bin/sh\n"), []byte("tech::19000::::::\n"))
	require.NoError(t, err)
	assert.Equal(t, "empty", got[0].Password, "an empty shadow field: login without a password")
	_, err = parseAccounts([]byte("broken line\n"), nil)
	assert.ErrorIs(t, err, ErrParse)
}

func TestParseSSProcesses(t *testing.T) {
	out := "tcp LISTEN 0 128 0.0.0.0:22 0.0.0.0:* users:((\"sshd\",pid=812,fd=3))\n" +
		"udp UNCONN 0 0 0.0.0.0:161 0.0.0.0:* users:((\"snmpd\",pid=90,fd=6),(\"snmpd\",pid=91,fd=6))\n" +
		"tcp LISTEN 0 5 *:8080 *:*\n"
	got, err := parseSSProcesses([]byte(out))
	require.NoError(t, err)
	require.Len(t, got, 3)
	assert.Equal(t, listener{ListeningPort: device.ListeningPort{Proto: "tcp", Address: "0.0.0.0", Port: 22}, process: "sshd", pid: 812}, got[0])
	assert.Equal(t, "snmpd", got[1].process)
	assert.Equal(t, 90, got[1].pid)
	assert.Zero(t, got[2].pid, "no users field: the process is not known")
	assert.Equal(t, map[int]int{812: 0, 90: 110}, parseUIDs([]byte("812 Uid:\t0\t0\t0\t0\n90 Uid:\t110\t110\t110\t110\n91 \n")))
}
