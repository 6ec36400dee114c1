package netprobe

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// MaxPort is the highest TCP or UDP port.
const MaxPort = 65535

// ErrBadPorts reports a port list that does not parse.
var ErrBadPorts = errors.New("netprobe: bad port list")

// ParsePorts reads a port list such as "22,80,8000-8100". An empty spec
// means every port, 1 to 65535. The result is sorted and has no duplicates.
func ParsePorts(spec string) ([]int, error) {
	spec = strings.TrimSpace(spec)
	if spec == "" {
		return AllPorts(), nil
	}
	seen := make([]bool, MaxPort+1)
	var out []int
	for part := range strings.SplitSeq(spec, ",") {
		part = strings.TrimSpace(part)
		lo, hi, isRange := strings.Cut(part, "-")
		a, err := parsePort(lo)
		if err != nil {
			return nil, err
		}
		b := a
		if isRange {
			if b, err = parsePort(hi); err != nil {
				return nil, err
			}
			if b < a {
				return nil, fmt.Errorf("%w: range %q runs backwards", ErrBadPorts, part)
			}
		}
		for p := a; p <= b; p++ {
			if !seen[p] {
				seen[p] = true
				out = append(out, p)
			}
		}
	}
	slices.Sort(out)
	return out, nil
}

func parsePort(s string) (int, error) {
	p, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil || p < 1 || p > MaxPort {
		return 0, fmt.Errorf("%w: %q is not a port (1-65535)", ErrBadPorts, s)
	}
	return p, nil
}

// AllPorts returns 1..65535.
func AllPorts() []int {
	out := make([]int, MaxPort)
	for i := range out {
		out[i] = i + 1
	}
	return out
}

// Scanner is a TCP connect scanner. Its zero value is not usable; build
// one with NewScanner.
type Scanner struct {
	concurrency int
	rate        int // connection attempts per second; 0 = unlimited
	timeout     time.Duration
	progress    func(done, total int)
	dial        func(ctx context.Context, addr string) (net.Conn, error)
}

// ScanOption configures a Scanner.
type ScanOption func(*Scanner) error

// WithConcurrency bounds how many connection attempts are in flight (default 512).
func WithConcurrency(n int) ScanOption {
	return func(s *Scanner) error {
		if n < 1 || n > 65535 {
			return fmt.Errorf("netprobe: concurrency %d out of range 1-65535", n)
		}
		s.concurrency = n
		return nil
	}
}

// WithRate limits connection attempts per second (default 0: unlimited,
// bounded only by concurrency). A fragile device may need a low rate.
func WithRate(perSecond int) ScanOption {
	return func(s *Scanner) error {
		if perSecond < 0 {
			return fmt.Errorf("netprobe: negative rate %d", perSecond)
		}
		s.rate = perSecond
		return nil
	}
}

// WithConnectTimeout bounds each connection attempt (default 1 s): a
// filtered port that never answers costs at most this.
func WithConnectTimeout(d time.Duration) ScanOption {
	return func(s *Scanner) error {
		if d <= 0 {
			return fmt.Errorf("netprobe: connect timeout %v is not positive", d)
		}
		s.timeout = d
		return nil
	}
}

// WithProgress calls f after each port with the number done and the
// total. f is called from many goroutines and must be quick.
func WithProgress(f func(done, total int)) ScanOption {
	return func(s *Scanner) error { s.progress = f; return nil }
}

// NewScanner returns a scanner with the given options.
func NewScanner(opts ...ScanOption) (*Scanner, error) {
	s := &Scanner{concurrency: 512, timeout: time.Second}
	for _, o := range opts {
		if err := o(s); err != nil {
			return nil, err
		}
	}
	if s.dial == nil {
		s.dial = func(ctx context.Context, addr string) (net.Conn, error) {
			d := net.Dialer{Timeout: s.timeout}
			return d.DialContext(ctx, "tcp", addr)
		}
	}
	return s, nil
}

// Scan connects to each of ports on addr and returns those that accepted
// the connection, sorted. It stops early when ctx ends, returning the
// ports found so far and ctx's error.
func (s *Scanner) Scan(ctx context.Context, addr netip.Addr, ports []int) ([]int, error) {
	if !addr.IsValid() {
		return nil, errors.New("netprobe: scan: invalid address")
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	jobs := make(chan int)
	var (
		mu   sync.Mutex
		open []int
		done atomic.Int64
		wg   sync.WaitGroup
	)
	workers := min(s.concurrency, max(len(ports), 1))
	for range workers {
		wg.Go(func() {
			for p := range jobs {
				if s.probePort(ctx, addr, p) {
					mu.Lock()
					open = append(open, p)
					mu.Unlock()
				}
				n := done.Add(1)
				if s.progress != nil {
					s.progress(int(n), len(ports))
				}
			}
		})
	}
	var tick *time.Ticker
	if s.rate > 0 {
		tick = time.NewTicker(time.Second / time.Duration(s.rate))
		defer tick.Stop()
	}
feed:
	for _, p := range ports {
		if tick != nil {
			select {
			case <-tick.C:
			case <-ctx.Done():
				break feed
			}
		}
		select {
		case jobs <- p:
		case <-ctx.Done():
			break feed
		}
	}
	close(jobs)
	wg.Wait()
	slices.Sort(open)
	return open, context.Cause(ctx)
}

// probePort reports whether port accepted a TCP connection. A refused or
// timed-out attempt is closed; an error from running out of sockets is
// retried briefly rather than reported as closed.
func (s *Scanner) probePort(ctx context.Context, addr netip.Addr, port int) bool {
	target := netip.AddrPortFrom(addr, uint16(port)).String()
	for attempt := 0; ; attempt++ {
		c, err := s.dial(ctx, target)
		if err == nil {
			c.Close()
			return true
		}
		if attempt < 5 && (errors.Is(err, syscall.EMFILE) || errors.Is(err, syscall.ENFILE) ||
			errors.Is(err, syscall.EADDRNOTAVAIL) || errors.Is(err, syscall.ENOBUFS)) {
			select {
			case <-time.After(time.Duration(attempt+1) * 20 * time.Millisecond):
				continue
			case <-ctx.Done():
				return false
			}
		}
		return false
	}
}
