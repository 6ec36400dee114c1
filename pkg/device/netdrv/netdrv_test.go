package netdrv

import (
	"context"
	"errors"
	"io"
	"net"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wardsec/ward/pkg/device"
)

func TestTargetErrorsAreBadTarget(t *testing.T) {
	dir := t.TempDir()
	badProfile := filepath.Join(dir, "bad.json")
	require.NoError(t, os.WriteFile(badProfile, []byte(`{"documented_ports":[],"surprise":1}`), 0o600))
	for _, target := range []string{
		"net://",
		"net://user@10.0.0.1",
		"net://10.0.0.1:22",
		"net://10.0.0.1/path",
		"net://10.0.0.1?ports=0",
		"net://10.0.0.1?ports=",
		"net://10.0.0.1?ports=22&ports=23",
		"net://10.0.0.1?udp=70000",
		"net://10.0.0.1?timeout=-1s",
		"net://10.0.0.1?timeout=2h",
		"net://10.0.0.1?rate=0",
		"net://10.0.0.1?documented=sctp/9",
		"net://10.0.0.1?profile=" + filepath.Join(dir, "missing.json"),
		"net://10.0.0.1?profile=" + badProfile,
		"net://10.0.0.1?frobnicate=1",
		"net:opaque",
	} {
		u, err := url.Parse(target)
		require.NoError(t, err, target)
		_, err = New().Open(context.Background(), u)
		assert.ErrorIs(t, err, device.ErrBadTarget, target)
	}
}

func TestTargetOptions(t *testing.T) {
	dir := t.TempDir()
	prof := filepath.Join(dir, "p.json")
	require.NoError(t, os.WriteFile(prof, []byte(`{"documented_ports":[{"proto":"tcp","address":"*","port":443}],
		"udp_ports":[161],"credentials":[{"user":"vendor","password":"x"}],"server_name":"pump.example"}`), 0o600))
	u, _ := url.Parse("net://[::1]?ports=22,80-81&timeout=2s&rate=100&profile=" + prof)
	c, err := parseTarget(u)
	require.NoError(t, err)
	assert.Equal(t, []int{22, 80, 81}, c.tcp)
	assert.Equal(t, []int{161}, c.udp)
	assert.Equal(t, 2*time.Second, c.timeout)
	assert.Equal(t, 100, c.rate)
	assert.Equal(t, "pump.example", c.serverName)
	assert.Equal(t, []device.ListeningPort{{Proto: "tcp", Address: "*", Port: 443}}, c.documented)
	// documented= wins over the profile.
	u, _ = url.Parse("net://h?documented=tcp/22,udp/161,8080&profile=" + prof)
	c, err = parseTarget(u)
	require.NoError(t, err)
	assert.Equal(t, []device.ListeningPort{{Proto: "tcp", Address: "*", Port: 22}, {Proto: "udp", Address: "*", Port: 161}, {Proto: "tcp", Address: "*", Port: 8080}}, c.documented)
	assert.Len(t, c.tcp, 65535, "all ports by default")
}

// serveMQTT is an MQTT broker on loopback that lets anyone in.
func serveMQTT(t testing.TB) int {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { ln.Close() })
	go mqttAnonymous(ln)
	return ln.Addr().(*net.TCPAddr).Port
}

// mqttAnonymous serves MQTT on ln, letting anyone connect and subscribe.
func mqttAnonymous(ln net.Listener) {
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		go func() {
			defer c.Close()
			_ = c.SetDeadline(time.Now().Add(10 * time.Second))
			h := make([]byte, 2)
			if _, err := io.ReadFull(c, h); err != nil || h[0] != 0x10 {
				return
			}
			io.CopyN(io.Discard, c, int64(h[1]))
			c.Write([]byte{0x20, 2, 0, 0})
			sub := make([]byte, 8)
			if _, err := io.ReadFull(c, sub); err == nil {
				c.Write([]byte{0x90, 3, 0, 1, 0})
			}
		}()
	}
}

func open(t testing.TB, d *Driver, target string) *Device {
	t.Helper()
	u, err := url.Parse(target)
	require.NoError(t, err)
	dev, err := d.Open(context.Background(), u)
	require.NoError(t, err)
	return dev.(*Device)
}

// A named host is resolved once and pinned: every scenario's device and
// every capability use that one address.
func TestHostResolvedOnceAndPinned(t *testing.T) {
	port := serveMQTT(t)
	var lookups atomic.Int64
	d := New()
	d.resolve = func(context.Context, string) ([]netip.Addr, error) {
		lookups.Add(1)
		return []netip.Addr{netip.MustParseAddr("127.0.0.1")}, nil
	}
	target := "net://pump.test?ports=" + strconv.Itoa(port) + "&documented=tcp/" + strconv.Itoa(port) + "&timeout=1s"
	for range 3 {
		dev := open(t, d, target)
		eps, err := dev.Endpoints(context.Background())
		require.NoError(t, err)
		require.Len(t, eps, 1)
		assert.Equal(t, "127.0.0.1:"+strconv.Itoa(port), eps[0].Address)
		assert.Equal(t, "mqtt", eps[0].Protocol)
		assert.Empty(t, eps[0].CA)
		lp, err := dev.ListeningPorts(context.Background())
		require.NoError(t, err)
		assert.Equal(t, []device.ListeningPort{{Proto: "tcp", Address: "127.0.0.1", Port: port}}, lp)
		doc, err := dev.DocumentedPorts(context.Background())
		require.NoError(t, err)
		assert.Len(t, doc, 1)
		rep, err := dev.ProbeServices(context.Background())
		require.NoError(t, err)
		require.Len(t, rep, 1)
		require.Len(t, rep[0].Findings, 1)
		assert.Equal(t, device.FindingUnauthenticated, rep[0].Findings[0].Kind)
	}
	assert.EqualValues(t, 1, lookups.Load(), "one lookup for the whole run")
}

func TestUnresolvableHostIsAnError(t *testing.T) {
	d := New()
	d.resolve = func(context.Context, string) ([]netip.Addr, error) { return nil, errors.New("no such host") }
	dev := open(t, d, "net://nowhere.test?ports=1")
	_, err := dev.Endpoints(context.Background())
	assert.ErrorIs(t, err, ErrResolve)
	id, err := dev.Identify(context.Background())
	require.NoError(t, err)
	assert.Equal(t, device.Identity{}, id, "nothing invented")
}

func TestDocumentedPortsUnsupportedWithoutDocumentation(t *testing.T) {
	dev := open(t, New(), "net://127.0.0.1?ports=1")
	_, err := dev.DocumentedPorts(context.Background())
	assert.ErrorIs(t, err, device.ErrUnsupported)
}

func TestProfileParser(t *testing.T) {
	good := `{"documented_ports":[{"proto":"udp","address":"*","port":161}],"udp_ports":[161],"credentials":[{"user":"a","password":""}]}`
	p, err := ParseProfile([]byte(good))
	require.NoError(t, err)
	assert.Equal(t, []int{161}, p.UDPPorts)
	for _, bad := range []string{
		`{"surprise":true}`,
		good + `{}`,
		`{"documented_ports":[{"proto":"icmp","port":1}]}`,
		`{"documented_ports":[{"proto":"tcp","port":0}]}`,
		`{"udp_ports":[65536]}`,
		`{"credentials":[{"user":"","password":"x"}]}`,
		`{"credentials":[` + strings.TrimSuffix(strings.Repeat(`{"user":"a","password":"b"},`, 65), ",") + `]}`,
		strings.Repeat(" ", maxProfile+1),
		`[]`,
	} {
		_, err := ParseProfile([]byte(bad))
		assert.ErrorIs(t, err, ErrProfile, bad[:min(len(bad), 60)])
	}
}

func FuzzParseProfile(f *testing.F) {
	f.Add([]byte(`{"documented_ports":[{"proto":"tcp","address":"*","port":443}],"udp_ports":[161],"credentials":[{"user":"a","password":"b"}],"server_name":"x"}`))
	f.Add([]byte(`{}`))
	f.Add([]byte(`{"udp_ports":[0]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := ParseProfile(b)
		if err != nil {
			return
		}
		for _, d := range p.DocumentedPorts {
			if d.Port < 1 || d.Port > 65535 || (d.Proto != "tcp" && d.Proto != "udp") {
				t.Fatalf("accepted %+v", d)
			}
		}
		if len(p.Credentials) > maxProfileCredentials {
			t.Fatal("too many credentials accepted")
		}
	})
}
