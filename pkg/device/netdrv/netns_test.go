package netdrv

import (
	"context"
	"crypto/rand"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/wardsec/ward/internal/netlab"
	"github.com/wardsec/ward/pkg/device"
)

// nsHost is a network namespace joined to the test process's namespace by
// a veth pair: a device on its own address, reachable from here only.
type nsHost struct {
	lab  *netlab.Lab
	addr string
}

func requireLab(tb testing.TB) {
	tb.Helper()
	if err := netlab.Available(); err != nil {
		if os.Getenv("WARD_REQUIRE_REAL") == "1" {
			tb.Fatalf("network namespaces required (WARD_REQUIRE_REAL=1): %v", err)
		}
		tb.Skipf("skipping: %v", err)
	}
}

func newNSHost(tb testing.TB) *nsHost {
	tb.Helper()
	requireLab(tb)
	ctx := context.Background()
	lab, err := netlab.New()
	require.NoError(tb, err)
	tb.Cleanup(func() { _ = lab.Close() })
	require.NoError(tb, lab.AddNS(ctx, "dev"))
	// A /30 in 10.215.0.0/16 (realsrv uses 10.213/16), random per lab.
	b := make([]byte, 2)
	_, _ = rand.Read(b)
	net3 := fmt.Sprintf("10.215.%d.%d", b[0], b[1]&0xfc)
	base := net3[:strings.LastIndexByte(net3, '.')+1]
	last, _ := strconv.Atoi(net3[strings.LastIndexByte(net3, '.')+1:])
	hostIP, devIP := base+strconv.Itoa(last+1), base+strconv.Itoa(last+2)
	hostIf := lab.Prefix() + "h"
	sh := func(args ...string) {
		out, err := exec.CommandContext(ctx, args[0], args[1:]...).CombinedOutput()
		require.NoError(tb, err, "%v: %s", args, out)
	}
	sh("ip", "link", "add", hostIf, "type", "veth", "peer", "name", "eth0", "netns", lab.NS("dev"))
	tb.Cleanup(func() { _ = exec.Command("ip", "link", "del", hostIf).Run() })
	sh("ip", "addr", "add", hostIP+"/30", "dev", hostIf)
	sh("ip", "link", "set", hostIf, "up")
	require.NoError(tb, lab.Exec(ctx, "dev", "ip", "addr", "add", devIP+"/30", "dev", "eth0"))
	require.NoError(tb, lab.Exec(ctx, "dev", "ip", "link", "set", "eth0", "up"))
	return &nsHost{lab: lab, addr: devIP}
}

// listen opens a listener at port inside the namespace.
func (h *nsHost) listen(tb testing.TB, port int) net.Listener {
	var ln net.Listener
	require.NoError(tb, h.lab.In("dev", func() error {
		var err error
		ln, err = net.Listen("tcp", net.JoinHostPort(h.addr, strconv.Itoa(port)))
		return err
	}))
	tb.Cleanup(func() { ln.Close() })
	return ln
}

// A full scan of a namespace host finds exactly its open ports, and the
// probes judge what runs there.
func TestSurveyOfNamespaceHost(t *testing.T) {
	h := newNSHost(t)
	go mqttAnonymous(h.listen(t, 1883))
	_, err := h.lab.Listen("dev", h.addr+":4242")
	require.NoError(t, err)
	dev := open(t, New(), "net://"+h.addr+"?timeout=1s&documented=tcp/1883")
	lp, err := dev.ListeningPorts(context.Background())
	require.NoError(t, err)
	require.Equal(t, []device.ListeningPort{{Proto: "tcp", Address: h.addr, Port: 1883}, {Proto: "tcp", Address: h.addr, Port: 4242}}, lp)
	rep, err := dev.ProbeServices(context.Background())
	require.NoError(t, err)
	require.Len(t, rep, 2)
	require.Equal(t, "mqtt", rep[0].Protocol)
	require.Equal(t, device.FindingUnauthenticated, rep[0].Findings[0].Kind)
	require.Equal(t, "unknown", rep[1].Protocol, "a port that accepts and closes is not guessed at")
	t.Logf("full TCP scan and probes of %s: %v", h.addr, dev.Elapsed())
}

// BenchmarkSurveyNamespaceHost: a full TCP scan (65,535 ports) plus the
// probes of one namespace host with three services.
func BenchmarkSurveyNamespaceHost(b *testing.B) {
	h := newNSHost(b)
	go mqttAnonymous(h.listen(b, 1883))
	for _, p := range []int{22, 443} {
		_, err := h.lab.Listen("dev", net.JoinHostPort(h.addr, strconv.Itoa(p)))
		require.NoError(b, err)
	}
	var elapsed time.Duration
	for b.Loop() {
		dev := open(b, New(), "net://"+h.addr+"?timeout=1s")
		eps, err := dev.Endpoints(context.Background())
		require.NoError(b, err)
		require.Len(b, eps, 3)
		elapsed += dev.Elapsed()
	}
	b.ReportMetric(elapsed.Seconds()/float64(b.N), "s/survey")
	b.ReportMetric(float64(65535*b.N)/elapsed.Seconds(), "ports/s")
}
