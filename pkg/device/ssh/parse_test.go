package ssh

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wardsec/ward/pkg/device"
)

func TestParseSS(t *testing.T) {
	out := "LISTEN 0 128 0.0.0.0:22 0.0.0.0:*\n" +
		"LISTEN 0 4096 [::]:443 [::]:*\n" +
		"LISTEN 0 4096 127.0.0.53%lo:53 0.0.0.0:*\n" +
		"LISTEN 0 5 *:8080 *:* users:((\"x\",pid=1,fd=3))\n"
	got, err := parseSS([]byte(out))
	require.NoError(t, err)
	assert.Equal(t, []device.ListeningPort{
		{Proto: "tcp", Address: "0.0.0.0", Port: 22},
		{Proto: "tcp", Address: "::", Port: 443},
		{Proto: "tcp", Address: "127.0.0.53", Port: 53},
		{Proto: "tcp", Address: "*", Port: 8080},
	}, got)
	// ss -Htuln: a Netid column first, UDP sockets too.
	got, err = parseSS([]byte("tcp LISTEN 0 128 0.0.0.0:22 0.0.0.0:*\nudp UNCONN 0 0 0.0.0.0:161 0.0.0.0:*\n"))
	require.NoError(t, err)
	assert.Equal(t, []device.ListeningPort{{Proto: "tcp", Address: "0.0.0.0", Port: 22}, {Proto: "udp", Address: "0.0.0.0", Port: 161}}, got)
	for _, bad := range []string{"LISTEN 0 1\n", "LISTEN 0 1 nope *:*\n", "LISTEN 0 1 1.2.3.4:99999 *:*\n",
		"tcp LISTEN 0 128 0.0.0.0:ssh 0.0.0.0:*\n"} { // a service name: ss ran without -n
		_, err := parseSS([]byte(bad))
		assert.ErrorIs(t, err, ErrParse, bad)
	}
}

func TestParseOSRelease(t *testing.T) {
	m := parseOSRelease([]byte("NAME=\"Acme Linux\"\nVERSION_ID=4.2\n# c\nPRETTY_NAME='x y'\nBAD LINE\nESC=\"a\\\"b\\\\c\"\n"))
	assert.Equal(t, map[string]string{"NAME": "Acme Linux", "VERSION_ID": "4.2", "PRETTY_NAME": "x y", "ESC": `a"b\c`}, m)
}

func TestParseProfile(t *testing.T) {
	ok := `{"root":"/mnt/img/","identity":{"serial":{"file":"etc/serial"}},"data":["var/lib/x"],"documented_ports":["443","udp/5353"],"command_timeout":"3s"}`
	p, err := ParseProfile([]byte(ok))
	require.NoError(t, err)
	assert.Equal(t, "/mnt/img", p.Root)

	for name, bad := range map[string]string{
		"unknown field":      `{"datas":["x"]}`,
		"escaping data path": `{"data":["../../etc"]}`,
		"absolute data path": `{"data":["/etc"]}`,
		"relative root":      `{"root":"mnt"}`,
		"two sources":        `{"identity":{"serial":{"value":"x","file":"y"}}}`,
		"short test data":    `{"test_data":["Ada"]}`,
		"bad port":           `{"documented_ports":["tcp/0"]}`,
		"bad proto":          `{"documented_ports":["sctp/9"]}`,
		"bad key":            `{"audit":{"log":"a","public_key":"eA=="}}`,
		"bad timeout":        `{"command_timeout":"soon"}`,
		"trailing":           `{} {}`,
		"syntax":             "{\n\"data\": [x]}",
	} {
		_, err := ParseProfile([]byte(bad))
		assert.ErrorIs(t, err, ErrProfile, name)
	}
	_, err = ParseProfile([]byte("{\n\"data\": [x]}"))
	assert.Contains(t, err.Error(), "line 2", "syntax errors say where")
	assert.False(t, errors.Is(err, device.ErrBadTarget), "Open adds ErrBadTarget, not the parser")
}
