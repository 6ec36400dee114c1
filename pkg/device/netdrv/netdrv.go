package netdrv

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/wardsec/ward/pkg/device"
	"github.com/wardsec/ward/pkg/netprobe"
)

// Scheme is the URI scheme of the network driver.
const Scheme = "net"

// DefaultTimeout bounds each connection and read of a probe.
const DefaultTimeout = 3 * time.Second

// config is what a target URI says.
type config struct {
	host        string // as written: the name certificates must carry
	tcp, udp    []int
	timeout     time.Duration
	rate        int
	documented  []device.ListeningPort
	hasDoc      bool
	profile     *Profile
	serverName  string
	credentials []netprobe.Credential
}

func badTarget(format string, args ...any) error {
	return fmt.Errorf("%w: net: %s", device.ErrBadTarget, fmt.Sprintf(format, args...))
}

func parseTarget(u *url.URL) (*config, error) {
	if u.Scheme != Scheme {
		return nil, badTarget("scheme %q is not %q", u.Scheme, Scheme)
	}
	if u.User != nil {
		return nil, badTarget("target takes no user (give credentials to try in a profile)")
	}
	if u.Opaque != "" || u.Hostname() == "" {
		return nil, badTarget("target names no host (net://HOST)")
	}
	if u.Port() != "" {
		return nil, badTarget("target takes no port: use ports=LIST")
	}
	if u.Path != "" && u.Path != "/" {
		return nil, badTarget("target takes no path, got %q", u.Path)
	}
	q, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return nil, badTarget("query: %v", err)
	}
	c := &config{host: u.Hostname(), timeout: DefaultTimeout, tcp: netprobe.AllPorts()}
	for k, vs := range q {
		if len(vs) != 1 {
			return nil, badTarget("parameter %q given %d times", k, len(vs))
		}
		v := vs[0]
		switch k {
		case "ports":
			if c.tcp, err = netprobe.ParsePorts(v); err != nil || v == "" {
				return nil, badTarget("ports=%q: want a list such as 22,80,1000-2000", v)
			}
		case "udp":
			if c.udp, err = netprobe.ParsePorts(v); err != nil || v == "" {
				return nil, badTarget("udp=%q: want a list such as 161,162", v)
			}
		case "timeout":
			d, err := time.ParseDuration(v)
			if err != nil || d <= 0 || d > time.Minute {
				return nil, badTarget("timeout %q is not a duration between 0 and 1m", v)
			}
			c.timeout = d
		case "rate":
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 {
				return nil, badTarget("rate %q is not a positive number of connections per second", v)
			}
			c.rate = n
		case "documented":
			if c.documented, err = parseDocumented(v); err != nil {
				return nil, err
			}
			c.hasDoc = true
		case "profile":
			b, err := readBounded(v)
			if err != nil {
				return nil, badTarget("profile: %v", err)
			}
			if c.profile, err = ParseProfile(b); err != nil {
				return nil, badTarget("profile %s: %v", v, err)
			}
		default:
			return nil, badTarget("unknown parameter %q (known: ports, udp, timeout, rate, documented, profile)", k)
		}
	}
	c.serverName = c.host
	if p := c.profile; p != nil {
		if !c.hasDoc && p.DocumentedPorts != nil {
			c.documented, c.hasDoc = p.DocumentedPorts, true
		}
		if q.Get("udp") == "" {
			c.udp = p.UDPPorts
		}
		if p.ServerName != "" {
			c.serverName = p.ServerName
		}
		c.credentials = p.Credentials
	}
	return c, nil
}

// readBounded reads a profile file, refusing one over maxProfile.
func readBounded(name string) ([]byte, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b := make([]byte, maxProfile+1)
	n, err := f.Read(b)
	for err == nil && n < len(b) {
		var m int
		m, err = f.Read(b[n:])
		n += m
	}
	if n > maxProfile {
		return nil, fmt.Errorf("over %d bytes", maxProfile)
	}
	return b[:n], nil
}

// parseDocumented reads "tcp/22,tcp/443,udp/161" (a bare number is TCP).
func parseDocumented(v string) ([]device.ListeningPort, error) {
	out := []device.ListeningPort{}
	if strings.TrimSpace(v) == "" {
		return out, nil
	}
	for part := range strings.SplitSeq(v, ",") {
		proto, num, ok := strings.Cut(strings.TrimSpace(part), "/")
		if !ok {
			proto, num = "tcp", proto
		}
		p, err := strconv.Atoi(num)
		if (proto != "tcp" && proto != "udp") || err != nil || p < 1 || p > netprobe.MaxPort {
			return nil, badTarget("documented=%q: want tcp/PORT or udp/PORT, comma-separated", v)
		}
		out = append(out, device.ListeningPort{Proto: proto, Address: "*", Port: p})
	}
	return out, nil
}

// Driver opens net:// targets. It keeps each target's survey for as long
// as it lives (one run), so the many scenarios of a run share one scan.
type Driver struct {
	mu      sync.Mutex
	surveys map[string]*survey
	// resolve looks a host name up; tests replace it.
	resolve func(ctx context.Context, host string) ([]netip.Addr, error)
}

// New returns a driver with an empty survey cache.
func New() *Driver {
	return &Driver{surveys: map[string]*survey{}, resolve: func(ctx context.Context, host string) ([]netip.Addr, error) {
		return net.DefaultResolver.LookupNetIP(ctx, "ip", host)
	}}
}

// Register adds a new network driver to r.
func Register(r *device.Registry) error { return r.Register(Scheme, New().Open) }

// Open is the device.Opener for net:// targets. It only parses the
// target; the host is resolved and scanned on first use.
func (d *Driver) Open(_ context.Context, u *url.URL) (device.Device, error) {
	c, err := parseTarget(u)
	if err != nil {
		return nil, err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	key := u.String()
	s, ok := d.surveys[key]
	if !ok {
		s = &survey{cfg: c, resolve: d.resolve}
		d.surveys[key] = s
	}
	return &Device{s: s}, nil
}

// survey is one target's scan and probes, done once.
type survey struct {
	cfg     *config
	resolve func(ctx context.Context, host string) ([]netip.Addr, error)

	mu      sync.Mutex
	done    bool
	addr    netip.Addr
	host    *netprobe.Host
	err     error
	elapsed time.Duration
}

// ErrResolve reports a host name that did not resolve.
var ErrResolve = errors.New("net: host does not resolve")

func (s *survey) get(ctx context.Context) (*survey, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.done {
		return s, s.err
	}
	start := time.Now()
	err := s.run(ctx)
	if err != nil && ctx.Err() != nil {
		return nil, err // the caller gave up: a later caller may try again
	}
	s.done, s.err, s.elapsed = true, err, time.Since(start)
	return s, err
}

func (s *survey) run(ctx context.Context) error {
	c := s.cfg
	addr, err := netip.ParseAddr(strings.Trim(c.host, "[]"))
	if err != nil {
		addrs, err := s.resolve(ctx, c.host)
		if err != nil || len(addrs) == 0 {
			return fmt.Errorf("%w: %s: %v", ErrResolve, c.host, err)
		}
		addr = addrs[0] // pinned: every probe goes to this one address
	}
	s.addr = addr.Unmap()
	opts := []netprobe.ScanOption{netprobe.WithConnectTimeout(min(c.timeout, time.Second))}
	if c.rate > 0 {
		opts = append(opts, netprobe.WithRate(c.rate), netprobe.WithConcurrency(min(512, c.rate)))
	}
	sc, err := netprobe.NewScanner(opts...)
	if err != nil {
		return err
	}
	p, err := netprobe.NewProber(netprobe.WithTimeout(c.timeout), netprobe.WithServerName(c.serverName),
		netprobe.WithCredentials(c.credentials...))
	if err != nil {
		return err
	}
	s.host, err = p.ProbeHost(ctx, sc, s.addr, c.tcp, c.udp)
	return err
}

// Device is a host probed from the network. It implements device.Device,
// device.Transport, device.PortLister and device.ServiceProber.
type Device struct {
	s *survey
}

// Identify implements device.Device. A black-box host says nothing
// trustworthy about its maker, model, serial or firmware without
// credentials, so every field is empty: nothing is guessed from banners
// (those are in the service reports).
func (d *Device) Identify(context.Context) (device.Identity, error) { return device.Identity{}, nil }

// Close implements device.Device. The survey outlives one scenario.
func (d *Device) Close() error { return nil }

// Endpoints implements device.Transport: every open TCP port, with the
// protocol the probes recognised. CA is empty: Ward was told of no CA.
func (d *Device) Endpoints(ctx context.Context) ([]device.Endpoint, error) {
	s, err := d.s.get(ctx)
	if err != nil {
		return nil, err
	}
	eps := []device.Endpoint{}
	for _, svc := range s.host.Services {
		eps = append(eps, device.Endpoint{
			Name:       svc.Protocol + "-" + strconv.Itoa(svc.Port),
			Protocol:   svc.Protocol,
			Address:    netip.AddrPortFrom(s.addr, uint16(svc.Port)).String(),
			ClientAuth: svc.TLS != nil && svc.TLS.ClientCertRequired,
		})
	}
	return eps, nil
}

// ListeningPorts implements device.PortLister: the TCP ports that
// accepted a connection, and the UDP ports that answered SNMP (a silent
// UDP port cannot be told from a closed one, so it is not listed).
func (d *Device) ListeningPorts(ctx context.Context) ([]device.ListeningPort, error) {
	s, err := d.s.get(ctx)
	if err != nil {
		return nil, err
	}
	out := []device.ListeningPort{}
	for _, p := range s.host.Open {
		out = append(out, device.ListeningPort{Proto: "tcp", Address: s.addr.String(), Port: p})
	}
	for _, u := range s.host.SNMP {
		if len(u.Answered) > 0 {
			out = append(out, device.ListeningPort{Proto: "udp", Address: s.addr.String(), Port: u.Port})
		}
	}
	return out, nil
}

// DocumentedPorts implements device.PortLister from documented= or the
// profile; without either it is unsupported (nothing to compare with).
func (d *Device) DocumentedPorts(context.Context) ([]device.ListeningPort, error) {
	if !d.s.cfg.hasDoc {
		return nil, &device.UnsupportedError{Capability: "documented ports (give documented= or a profile with documented_ports)"}
	}
	return append([]device.ListeningPort{}, d.s.cfg.documented...), nil
}

// ProbeServices implements device.ServiceProber.
func (d *Device) ProbeServices(ctx context.Context) ([]device.ServiceReport, error) {
	s, err := d.s.get(ctx)
	if err != nil {
		return nil, err
	}
	out := []device.ServiceReport{}
	for _, svc := range s.host.Services {
		out = append(out, svc.Report(s.addr))
	}
	for _, u := range s.host.SNMP {
		out = append(out, u.Report(s.addr))
	}
	return out, nil
}

// Elapsed reports how long the survey (scan and probes) took, zero
// before it ran.
func (d *Device) Elapsed() time.Duration {
	d.s.mu.Lock()
	defer d.s.mu.Unlock()
	return d.s.elapsed
}
