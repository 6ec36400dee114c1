package harness

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/wardsec/ward/internal/safetext"
	"github.com/wardsec/ward/pkg/device"
)

// ErrForeignEndpoint reports a service endpoint a device listed on a host
// other than its own. The harness sends it nothing: a device must not be
// able to turn Ward into a client of another machine on its network.
var ErrForeignEndpoint = errors.New("endpoint is not on the target's host")

// WithAllowHosts lets steps connect to endpoints a device lists on these
// other hosts (HOST, or HOST:PORT for one port only; IPv6 in brackets with
// a port). The operator vouches for them on the command line
// (ward check --allow-host); nothing a device says adds to the list.
func WithAllowHosts(hosts ...string) Option {
	return func(r *Runner) { r.allowHosts = append(r.allowHosts, hosts...) }
}

// ParseAllowHost checks one --allow-host value and returns it in the form
// WithAllowHosts compares: a lower-case host, or host:port.
func ParseAllowHost(s string) (string, error) {
	if s == "" {
		return "", fmt.Errorf("%w: empty --allow-host", ErrConfig)
	}
	if h, p, err := net.SplitHostPort(s); err == nil {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 || h == "" {
			return "", fmt.Errorf("%w: --allow-host %q: want HOST or HOST:PORT", ErrConfig, s)
		}
		return net.JoinHostPort(normHost(h), p), nil
	}
	if strings.ContainsAny(s, "/?#@ ") || strings.Count(s, ":") == 1 {
		return "", fmt.Errorf("%w: --allow-host %q: want HOST or HOST:PORT", ErrConfig, s)
	}
	return normHost(strings.Trim(s, "[]")), nil
}

func normHost(h string) string {
	if ip := net.ParseIP(h); ip != nil {
		return ip.String()
	}
	return strings.ToLower(strings.TrimSuffix(h, "."))
}

// reach decides which addresses a target's scenarios may connect to: the
// target's own host (its name as the operator wrote it, or the addresses
// that name had when the run first resolved it) and the operator's
// allowlist. It never resolves a name the device supplied.
type reach struct {
	hosts map[string]bool // own host names and IPs, normalised
	allow map[string]bool // operator allowlist: host or host:port

	// name is the target's host name when it is not an address: resolved
	// once, and only when an endpoint is not on it literally (a simulator's
	// "sim://infusion-pump" is never looked up).
	name     string
	ctx      context.Context
	once     sync.Once
	resolved map[string]bool
}

// newReach computes the target's own hosts once.
func newReach(ctx context.Context, target string, allow []string) *reach {
	r := &reach{hosts: map[string]bool{}, allow: map[string]bool{}}
	for _, a := range allow {
		r.allow[a] = true
	}
	u, err := url.Parse(target)
	if err != nil {
		return r
	}
	h := normHost(u.Hostname())
	if h == "" {
		return r
	}
	r.hosts[h] = true
	if net.ParseIP(h) == nil {
		r.name, r.ctx = h, context.WithoutCancel(ctx)
	}
	return r
}

// ownAddress reports whether ip is an address of the target's host name,
// resolving the name the first time it is asked.
func (r *reach) ownAddress(ip string) bool {
	if r.name == "" {
		return false
	}
	r.once.Do(func() {
		r.resolved = map[string]bool{}
		ctx, cancel := context.WithTimeout(r.ctx, 10*time.Second)
		defer cancel()
		if ips, err := net.DefaultResolver.LookupIP(ctx, "ip", r.name); err == nil {
			for _, a := range ips {
				r.resolved[a.String()] = true
			}
		}
	})
	return r.resolved[ip]
}

// check returns an ErrForeignEndpoint error naming the first endpoint of
// dev that is neither on the target's host nor allowed by the operator. A
// device running in Ward's process (device.Local, which its driver
// answers) has loopback as its host.
func (r *reach) check(dev device.Device, eps []device.Endpoint) error {
	local := false
	if l, ok := dev.(device.Local); ok && l.InProcess() {
		local = true
	}
	for _, ep := range eps {
		if local && isLoopback(ep.Address) {
			continue
		}
		if err := r.checkAddr(ep.Address); err != nil {
			return fmt.Errorf("%w: the device lists %s at %s; Ward connects only to the target's own host (allow it with --allow-host)",
				err, safetext.Quote(ep.Name), safetext.Quote(ep.Address))
		}
	}
	return nil
}

// isLoopback reports whether an endpoint's host:port is on loopback.
func isLoopback(addr string) bool {
	h, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}

func (r *reach) checkAddr(addr string) error {
	h, p, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("%w: not host:port", ErrForeignEndpoint)
	}
	h = normHost(h)
	if r.hosts[h] || r.allow[h] || r.allow[net.JoinHostPort(h, p)] {
		return nil
	}
	if net.ParseIP(h) != nil && r.ownAddress(h) {
		return nil
	}
	return ErrForeignEndpoint
}
