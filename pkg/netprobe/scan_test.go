package netprobe

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParsePorts(t *testing.T) {
	for _, tc := range []struct {
		spec string
		want []int
	}{
		{"22", []int{22}},
		{"80,22,80", []int{22, 80}},
		{"1000-1003, 7", []int{7, 1000, 1001, 1002, 1003}},
		{"65535", []int{65535}},
	} {
		got, err := ParsePorts(tc.spec)
		require.NoError(t, err, tc.spec)
		assert.Equal(t, tc.want, got, tc.spec)
	}
	all, err := ParsePorts("")
	require.NoError(t, err)
	assert.Len(t, all, 65535)
	assert.Equal(t, 1, all[0])
	for _, bad := range []string{"0", "65536", "a", "10-5", "1-", ",", "-3", "22;80"} {
		_, err := ParsePorts(bad)
		assert.ErrorIs(t, err, ErrBadPorts, bad)
	}
}

// listen opens n loopback listeners that accept and close.
func listen(t testing.TB, n int) []int {
	t.Helper()
	var ports []int
	for range n {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		t.Cleanup(func() { ln.Close() })
		go func() {
			for {
				c, err := ln.Accept()
				if err != nil {
					return
				}
				c.Close()
			}
		}()
		ports = append(ports, ln.Addr().(*net.TCPAddr).Port)
	}
	return ports
}

func TestScanFindsExactlyTheOpenPorts(t *testing.T) {
	open := listen(t, 3)
	// A closed port: listen, note it, close.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	closed := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	var calls atomic.Int64
	s, err := NewScanner(WithConcurrency(4), WithProgress(func(done, total int) { calls.Add(1) }))
	require.NoError(t, err)
	ports := append([]int{closed}, open...)
	got, err := s.Scan(context.Background(), netip.MustParseAddr("127.0.0.1"), ports)
	require.NoError(t, err)
	want := append([]int(nil), open...)
	assert.ElementsMatch(t, want, got)
	assert.NotContains(t, got, closed)
	assert.EqualValues(t, len(ports), calls.Load(), "progress once per port")
}

func TestScanStopsWhenCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	var seen atomic.Int64
	s, err := NewScanner(WithConcurrency(1), WithProgress(func(done, _ int) {
		if seen.Add(1) == 10 {
			cancel()
		}
	}))
	require.NoError(t, err)
	_, err = s.Scan(ctx, netip.MustParseAddr("127.0.0.1"), AllPorts())
	assert.True(t, errors.Is(err, context.Canceled), "%v", err)
	assert.Less(t, seen.Load(), int64(100), "the scan stopped soon after cancel")
}

func TestScannerOptionsValidate(t *testing.T) {
	for _, o := range []ScanOption{WithConcurrency(0), WithRate(-1), WithConnectTimeout(0)} {
		_, err := NewScanner(o)
		assert.Error(t, err)
	}
}

// BenchmarkFullScanLoopback scans all 65,535 TCP ports of 127.0.0.1 with
// the default options and reports the rate.
func BenchmarkFullScanLoopback(b *testing.B) {
	listen(b, 5)
	s, err := NewScanner()
	require.NoError(b, err)
	ports := AllPorts()
	b.ResetTimer()
	for b.Loop() {
		open, err := s.Scan(context.Background(), netip.MustParseAddr("127.0.0.1"), ports)
		require.NoError(b, err)
		require.GreaterOrEqual(b, len(open), 5)
	}
	b.ReportMetric(float64(len(ports)*b.N)/b.Elapsed().Seconds(), "ports/s")
}
