package sim

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sync"
	"syscall"
	"time"

	"github.com/vishvananda/netns"

	"github.com/wardsec/ward/internal/netlab"
	"github.com/wardsec/ward/pkg/device"
	"github.com/wardsec/ward/pkg/segment"
	"github.com/wardsec/ward/pkg/segment/nftnl"
)

// WithNetworkNamespaces puts the pump on a real network (root only): a
// router namespace enforcing the site policy with nftables, loaded over
// netlink, between namespaces for each zone and one for the internet. The
// device's probes and connections are then real TCP connections, and its
// spike guard counts flows from the router's counters. Close tears the
// network down.
func WithNetworkNamespaces() Option {
	return func(c *config) error { c.netns = true; return nil }
}

// zoneNS is the namespace each zone's hosts live in.
var zoneNS = map[string]string{"medical-devices": "med", "clinical": "cli", "ehr": "ehr", "guest": "guest", "corporate": "corp"}

const netTimeout = 500 * time.Millisecond

type realNet struct {
	lab   *netlab.Lab
	h     netns.NsHandle
	conn  *nftnl.Conn
	watch *nftnl.Watcher

	mu        sync.Mutex
	listeners []net.Listener
}

func newRealNet(ctx context.Context, e *segment.Engine, pumpPorts []device.Port) (_ *realNet, err error) {
	lab, err := netlab.New()
	if err != nil {
		return nil, fmt.Errorf("%w: network namespace mode: %v", device.ErrBadTarget, err)
	}
	r := &realNet{lab: lab, h: -1}
	defer func() {
		if err != nil {
			_ = r.close()
		}
	}()
	for _, ns := range []string{"router", "med", "cli", "ehr", "guest", "corp", "inet"} {
		if err := lab.AddNS(ctx, ns); err != nil {
			return nil, err
		}
	}
	zones := []struct {
		ns, gw string
		hosts  []string
	}{
		{"med", "10.77.10.1", []string{pumpAddr.String() + "/24", zoneHosts["medical-devices"].String() + "/24"}},
		{"cli", "10.77.20.1", []string{namedPeers["monitoring-station"].String() + "/24", zoneHosts["clinical"].String() + "/24"}},
		{"ehr", "10.77.30.1", []string{namedPeers["ehr"].String() + "/24", zoneHosts["ehr"].String() + "/24"}},
		{"guest", "10.77.40.1", []string{zoneHosts["guest"].String() + "/24"}},
		{"corp", "10.77.50.1", []string{zoneHosts["corporate"].String() + "/24"}},
	}
	for _, z := range zones {
		if _, _, err := lab.Link(ctx, "router", []string{z.gw + "/24"}, z.ns, z.hosts); err != nil {
			return nil, err
		}
		if err := lab.Exec(ctx, z.ns, "ip", "route", "add", "default", "via", z.gw); err != nil {
			return nil, err
		}
	}
	// The internet answers for every address (a local route for all of
	// IPv4), so a connection to any outside host either completes or is
	// refused by the peer, and only the firewall makes it time out.
	if _, _, err := lab.Link(ctx, "router", []string{"192.0.2.1/30"}, "inet", []string{"192.0.2.2/30"}); err != nil {
		return nil, err
	}
	for _, cmd := range [][]string{
		{"router", "ip", "route", "add", "default", "via", "192.0.2.2"},
		{"router", "sysctl", "-q", "-w", "net.ipv4.ip_forward=1"},
		{"inet", "ip", "route", "add", "10.77.0.0/16", "via", "192.0.2.1"},
		{"inet", "ip", "route", "add", "local", "0.0.0.0/0", "dev", "lo", "table", "local"},
	} {
		if err := lab.Exec(ctx, cmd[0], cmd[1:]...); err != nil {
			return nil, err
		}
	}
	listen := []struct {
		ns   string
		addr netip.AddrPort
	}{
		{"ehr", netip.AddrPortFrom(namedPeers["ehr"], 443)},
		{"cli", netip.AddrPortFrom(namedPeers["monitoring-station"], 8443)},
	}
	for _, p := range pumpPorts {
		listen = append(listen, struct {
			ns   string
			addr netip.AddrPort
		}{"med", netip.AddrPortFrom(pumpAddr, uint16(p.Port))})
	}
	for _, l := range listen {
		ln, err := lab.Listen(l.ns, l.addr.String())
		if err != nil {
			return nil, err
		}
		r.listeners = append(r.listeners, ln)
	}
	if r.h, err = netns.GetFromName(lab.NS("router")); err != nil {
		return nil, err
	}
	if r.conn, err = nftnl.Dial(int(r.h), ""); err != nil {
		return nil, err
	}
	if err := r.conn.Apply(e); err != nil {
		return nil, err
	}
	return r, nil
}

func (r *realNet) close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	var errs []error
	for _, ln := range r.listeners {
		_ = ln.Close()
	}
	r.listeners = nil
	if r.conn != nil {
		errs = append(errs, r.conn.Close())
		r.conn = nil
	}
	if r.h >= 0 {
		errs = append(errs, r.h.Close())
		r.h = -1
	}
	errs = append(errs, r.lab.Close())
	return errors.Join(errs...)
}

// dial reports whether the network let a connection through: completed,
// or refused by the peer (a reset came back), as opposed to dropped.
func (r *realNet) dial(ns string, src netip.Addr, dst netip.AddrPort) (passed, connected bool, err error) {
	err = r.lab.Dial(ns, src.String(), dst.String(), netTimeout)
	switch {
	case err == nil:
		return true, true, nil
	case errors.Is(err, syscall.ECONNREFUSED):
		return true, false, err
	}
	return false, false, err
}
