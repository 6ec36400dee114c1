package netlab

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/vishvananda/netns"
)

// ErrUnavailable: the machine cannot host a lab (not root, no ip or nft).
var ErrUnavailable = errors.New("netlab: network namespaces unavailable")

// Available reports why a lab cannot be built here, or nil.
func Available() error {
	if os.Geteuid() != 0 {
		return fmt.Errorf("%w: needs root", ErrUnavailable)
	}
	for _, tool := range []string{"ip", "nft"} {
		if _, err := exec.LookPath(tool); err != nil {
			return fmt.Errorf("%w: %s not installed", ErrUnavailable, tool)
		}
	}
	return nil
}

// Lab is a set of namespaces created for one test run.
type Lab struct {
	prefix string
	mu     sync.Mutex
	ns     []string
	links  int
}

// New creates an empty lab with a fresh random prefix.
func New() (*Lab, error) {
	if err := Available(); err != nil {
		return nil, err
	}
	b := make([]byte, 3)
	if _, err := rand.Read(b); err != nil {
		return nil, err
	}
	return &Lab{prefix: "wl" + hex.EncodeToString(b) + "-"}, nil
}

// Prefix is the run's namespace name prefix.
func (l *Lab) Prefix() string { return l.prefix }

// NS returns the full name of a lab namespace.
func (l *Lab) NS(name string) string { return l.prefix + name }

func run(ctx context.Context, args ...string) error {
	out, err := exec.CommandContext(ctx, args[0], args[1:]...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return nil
}

// AddNS creates a namespace with its loopback up.
func (l *Lab) AddNS(ctx context.Context, name string) error {
	full := l.NS(name)
	if err := run(ctx, "ip", "netns", "add", full); err != nil {
		return err
	}
	l.mu.Lock()
	l.ns = append(l.ns, full)
	l.mu.Unlock()
	return l.Exec(ctx, name, "ip", "link", "set", "lo", "up")
}

// Exec runs a command inside a lab namespace.
func (l *Lab) Exec(ctx context.Context, ns string, args ...string) error {
	return run(ctx, append([]string{"ip", "netns", "exec", l.NS(ns)}, args...)...)
}

// Output runs a command inside a lab namespace and returns its output.
func (l *Lab) Output(ctx context.Context, ns string, args ...string) (string, error) {
	out, err := exec.CommandContext(ctx, "ip", append([]string{"netns", "exec", l.NS(ns)}, args...)...).CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("%s: %w: %s", strings.Join(args, " "), err, out)
	}
	return string(out), nil
}

// Link joins two namespaces with a veth pair and gives each end its
// addresses (CIDR notation, the first one also sets the subnet).
func (l *Lab) Link(ctx context.Context, nsA string, addrsA []string, nsB string, addrsB []string) (ifA, ifB string, err error) {
	l.mu.Lock()
	l.links++
	n := l.links
	l.mu.Unlock()
	ifA, ifB = fmt.Sprintf("v%da", n), fmt.Sprintf("v%db", n)
	if err := run(ctx, "ip", "link", "add", ifA, "netns", l.NS(nsA), "type", "veth", "peer", "name", ifB, "netns", l.NS(nsB)); err != nil {
		return "", "", err
	}
	for _, side := range []struct {
		ns, ifc string
		addrs   []string
	}{{nsA, ifA, addrsA}, {nsB, ifB, addrsB}} {
		for _, a := range side.addrs {
			if err := l.Exec(ctx, side.ns, "ip", "addr", "add", a, "dev", side.ifc); err != nil {
				return "", "", err
			}
		}
		if err := l.Exec(ctx, side.ns, "ip", "link", "set", side.ifc, "up"); err != nil {
			return "", "", err
		}
	}
	return ifA, ifB, nil
}

// Close deletes every namespace of the lab (and with them their veths).
func (l *Lab) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	var errs []error
	for _, ns := range l.ns {
		if err := netns.DeleteNamed(ns); err != nil {
			errs = append(errs, fmt.Errorf("delete %s: %w", ns, err))
		}
	}
	l.ns = nil
	return errors.Join(errs...)
}

// In runs f on a thread switched into a lab namespace, then switches the
// thread back. Sockets f creates stay in that namespace.
func (l *Lab) In(ns string, f func() error) error {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	orig, err := netns.Get()
	if err != nil {
		return err
	}
	defer orig.Close()
	target, err := netns.GetFromName(l.NS(ns))
	if err != nil {
		return err
	}
	defer target.Close()
	if err := netns.Set(target); err != nil {
		return err
	}
	ferr := f()
	if err := netns.Set(orig); err != nil {
		// The thread is in the wrong namespace: keep it locked so the
		// runtime discards it instead of reusing it.
		runtime.LockOSThread()
		return errors.Join(ferr, err)
	}
	return ferr
}

// Listen opens a TCP listener in a namespace that accepts connections and
// closes them at once, until the listener is closed.
func (l *Lab) Listen(ns, addr string) (net.Listener, error) {
	var ln net.Listener
	err := l.In(ns, func() error {
		var err error
		ln, err = net.Listen("tcp", addr)
		return err
	})
	if err != nil {
		return nil, err
	}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	return ln, nil
}

// Dial connects from src (a local address in the namespace) to dst within
// timeout; nil means the TCP handshake completed.
func (l *Lab) Dial(ns, src, dst string, timeout time.Duration) error {
	return l.In(ns, func() error {
		d := net.Dialer{Timeout: timeout, LocalAddr: &net.TCPAddr{IP: net.ParseIP(src)}}
		c, err := d.Dial("tcp", dst)
		if err != nil {
			return err
		}
		return c.Close()
	})
}
