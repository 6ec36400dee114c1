package ssh

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"sync"
	"time"

	xssh "golang.org/x/crypto/ssh"

	"github.com/wardsec/ward/pkg/device"
)

// maxSessions bounds the sessions open at once on one connection, below
// OpenSSH's default MaxSessions of 10.
const maxSessions = 8

// DefaultLinger is how long a pooled connection nobody holds stays open,
// so the next scenario of a run finds it.
const DefaultLinger = 5 * time.Second

// Driver opens ssh:// targets over one SSH connection per device: every
// handle opened for the same user, address, key, known_hosts and timeout
// shares it (each handle keeps its own profile), so a run logs in once
// rather than once per scenario. A connection nobody holds is closed after
// the linger time. A connection that breaks is dialled again, once per
// command, with the host key checked again. Safe for concurrent use.
type Driver struct {
	linger time.Duration
	mu     sync.Mutex
	conns  map[string]*conn
}

// DriverOption configures a Driver.
type DriverOption func(*Driver)

// WithLinger sets how long an unused connection stays open (default
// DefaultLinger; 0 closes it with its last handle).
func WithLinger(d time.Duration) DriverOption { return func(dr *Driver) { dr.linger = d } }

// NewDriver returns a driver with an empty connection pool.
func NewDriver(opts ...DriverOption) *Driver {
	d := &Driver{linger: DefaultLinger, conns: map[string]*conn{}}
	for _, o := range opts {
		o(d)
	}
	return d
}

// Register adds the ssh driver to r, with a connection pool of its own.
func Register(r *device.Registry) error { return r.Register(Scheme, NewDriver().Open) }

// Open is a device.Opener sharing connections (see Driver).
func (dr *Driver) Open(ctx context.Context, u *url.URL) (device.Device, error) {
	c, err := parseTarget(u)
	if err != nil {
		return nil, err
	}
	key, err := poolKey(c)
	if err != nil {
		return nil, err
	}
	for {
		dr.mu.Lock()
		cn, ok := dr.conns[key]
		if !ok {
			// First handle: dial outside the pool lock while later opens
			// of the same device wait for this one dial (16 scenarios
			// dialling at once would trip sshd's MaxStartups).
			cn = &conn{cfg: c, pool: dr, key: key, refs: 1, ready: make(chan struct{}), sessions: make(chan struct{}, maxSessions)}
			dr.conns[key] = cn
			dr.mu.Unlock()
			client, err := connect(ctx, c)
			dr.mu.Lock()
			cn.mu.Lock()
			cn.client, cn.dialErr = client, err
			if err != nil {
				delete(dr.conns, key)
			}
			cn.mu.Unlock()
			close(cn.ready)
			dr.mu.Unlock()
			if err != nil {
				return nil, err
			}
			return newDevice(c, cn), nil
		}
		dr.mu.Unlock()
		select {
		case <-cn.ready:
		case <-ctx.Done():
			return nil, fmt.Errorf("ssh %s: %w", c.addr, ctx.Err())
		}
		dr.mu.Lock()
		cn.mu.Lock()
		if cn.dialErr != nil {
			err := cn.dialErr
			cn.mu.Unlock()
			dr.mu.Unlock()
			return nil, err // the device did not answer the dial this open waited for
		}
		if dr.conns[key] != cn {
			// Dropped (idle timeout) while this open waited: start over.
			cn.mu.Unlock()
			dr.mu.Unlock()
			continue
		}
		if cn.idle != nil {
			cn.idle.Stop()
			cn.idle = nil
		}
		cn.refs++
		cn.mu.Unlock()
		dr.mu.Unlock()
		return newDevice(c, cn), nil
	}
}

// Close closes every pooled connection now, idle or not. A handle still
// open dials again (once) on its next command, on a connection of its own.
func (dr *Driver) Close() error {
	dr.mu.Lock()
	conns := dr.conns
	dr.conns = map[string]*conn{}
	dr.mu.Unlock()
	for _, cn := range conns {
		cn.mu.Lock()
		if cn.idle != nil {
			cn.idle.Stop()
		}
		if cn.client != nil { // nil while its first dial runs
			cn.client.Close()
		}
		cn.mu.Unlock()
	}
	return nil
}

// poolKey names a connection: everything that decides who logs in where
// and with which trust, the key and known_hosts contents included (an
// edited known_hosts gets a fresh connection and a fresh host-key check).
func poolKey(c *config) (string, error) {
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00%s\x00%s\x00%s\x00%d\x00", c.user, c.addr, c.keyFile, c.knownHosts, c.timeout)
	for _, f := range []string{c.keyFile, c.knownHosts} {
		b, err := os.ReadFile(f)
		if err != nil {
			return "", badTarget("%v", err)
		}
		fmt.Fprintf(h, "%d\x00", len(b))
		h.Write(b)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// conn is one SSH connection shared by device handles.
type conn struct {
	cfg  *config
	pool *Driver // nil: not pooled, closed with its one handle
	key  string

	sessions chan struct{} // one token per open session, at most maxSessions
	ready    chan struct{} // closed when the first dial ended (pooled only)
	dialErr  error         // how it failed

	dialMu sync.Mutex // serialises re-dials
	mu     sync.Mutex
	client *xssh.Client
	gen    int // bumped on each re-dial
	refs   int
	idle   *time.Timer
}

// current returns the client and its generation.
func (cn *conn) current() (*xssh.Client, int) {
	cn.mu.Lock()
	defer cn.mu.Unlock()
	return cn.client, cn.gen
}

// redial replaces a broken client of generation gen; when another handle
// already did, its client is returned. Re-dials are serialised by dialMu
// (the generation only changes under it); mu is held only to swap, so a
// slow dial never blocks handles opening or closing.
func (cn *conn) redial(ctx context.Context, gen int) (*xssh.Client, error) {
	cn.dialMu.Lock()
	defer cn.dialMu.Unlock()
	cn.mu.Lock()
	if cn.gen != gen {
		c := cn.client
		cn.mu.Unlock()
		return c, nil
	}
	cn.mu.Unlock()
	client, err := connect(ctx, cn.cfg)
	if err != nil {
		return nil, fmt.Errorf("re-dial: %w", err)
	}
	cn.mu.Lock()
	old := cn.client
	cn.client, cn.gen = client, cn.gen+1
	cn.mu.Unlock()
	old.Close()
	return client, nil
}

// release drops one handle's reference; the last one closes the
// connection, after the pool's linger time.
func (cn *conn) release() error {
	if cn.pool == nil {
		cn.mu.Lock()
		defer cn.mu.Unlock()
		cn.refs--
		return cn.client.Close()
	}
	dr := cn.pool
	dr.mu.Lock()
	defer dr.mu.Unlock()
	cn.mu.Lock()
	defer cn.mu.Unlock()
	cn.refs--
	if cn.refs > 0 {
		return nil
	}
	if dr.linger <= 0 {
		cn.drop()
		return nil
	}
	cn.idle = time.AfterFunc(dr.linger, func() {
		dr.mu.Lock()
		defer dr.mu.Unlock()
		cn.mu.Lock()
		defer cn.mu.Unlock()
		if cn.refs == 0 && cn.idle != nil {
			cn.drop()
		}
	})
	return nil
}

// drop closes the connection and removes it from the pool; both locks
// are held.
func (cn *conn) drop() {
	if cn.pool.conns[cn.key] == cn {
		delete(cn.pool.conns, cn.key)
	}
	cn.idle = nil
	cn.client.Close()
}
