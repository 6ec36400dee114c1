package ssh

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/fips140"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	xssh "golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"

	"github.com/wardsec/ward/pkg/device"
	"github.com/wardsec/ward/pkg/osv"
)

// Scheme is the URI scheme of the SSH driver.
const Scheme = "ssh"

// DefaultTimeout bounds connecting and each remote command unless the
// target or its profile says otherwise.
const DefaultTimeout = 10 * time.Second

// maxOutput caps what one remote command may return, so a device that
// streams forever cannot exhaust the checker's memory.
const maxOutput = 64 << 20

var (
	// ErrHostKeyMismatch reports a device whose host key differs from the
	// one known_hosts holds for it (or one known_hosts marks revoked):
	// possibly a man in the middle. Nothing is sent to such a host.
	ErrHostKeyMismatch = errors.New("host key mismatch")
	// ErrUnknownHost reports a device known_hosts has no key for. Ward
	// never trusts a key on first use.
	ErrUnknownHost = errors.New("host not in known_hosts")
	// ErrTimeout reports a device that did not answer in time: connecting,
	// handshaking or running a command.
	ErrTimeout = errors.New("device did not answer in time")
	// ErrCommand reports a remote command that failed on the device.
	ErrCommand = errors.New("remote command failed")
	// ErrOutsideProfile reports a stored-file name outside the profile's
	// data paths.
	ErrOutsideProfile = errors.New("path not among the profile's data paths")
)

// Device is an embedded-Linux device reached over SSH. It implements
// device.Device, device.RawStorage, device.AuditSource (when the profile
// names an audit trail), device.PlantedData and device.PortLister.
type Device struct {
	addr       string
	conn       *conn
	profile    *Profile
	advisories []osv.Advisory
	timeout    time.Duration

	mu     sync.Mutex
	broken error // set once a command timed out: the connection is gone

	closeOnce sync.Once
	closeErr  error
}

// config is what Open gathers from a target URI.
type config struct {
	user, addr, keyFile, knownHosts string
	profile                         *Profile
	advisories                      []osv.Advisory
	timeout                         time.Duration
}

// Open is the device.Opener for ssh:// targets, on a connection of the
// handle's own (Driver shares one per device):
//
//	ssh://user@host:port?key=FILE&known_hosts=FILE[&profile=FILE][&timeout=10s]
//
// The host key must match known_hosts; a missing known_hosts, key or
// profile file is a usage error (device.ErrBadTarget).
func Open(ctx context.Context, u *url.URL) (device.Device, error) {
	c, err := parseTarget(u)
	if err != nil {
		return nil, err
	}
	return dial(ctx, c)
}

func badTarget(format string, args ...any) error {
	return fmt.Errorf("%w: ssh: %s", device.ErrBadTarget, fmt.Sprintf(format, args...))
}

func parseTarget(u *url.URL) (*config, error) {
	if u.Scheme != Scheme {
		return nil, badTarget("scheme %q is not %q", u.Scheme, Scheme)
	}
	if u.User == nil || u.User.Username() == "" {
		return nil, badTarget("target names no user (ssh://user@host:port)")
	}
	if _, ok := u.User.Password(); ok {
		return nil, badTarget("passwords in target URIs are not supported; use key=FILE")
	}
	if u.Hostname() == "" {
		return nil, badTarget("target names no host")
	}
	port := u.Port()
	if port == "" {
		port = "22"
	}
	if u.Path != "" && u.Path != "/" {
		return nil, badTarget("target takes no path, got %q", u.Path)
	}
	q, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return nil, badTarget("query: %v", err)
	}
	c := &config{user: u.User.Username(), addr: net.JoinHostPort(u.Hostname(), port), timeout: DefaultTimeout}
	for k, vs := range q {
		v := vs[len(vs)-1]
		switch k {
		case "key":
			c.keyFile = v
		case "known_hosts":
			c.knownHosts = v
		case "profile":
			b, err := os.ReadFile(v)
			if err != nil {
				return nil, badTarget("profile: %v", err)
			}
			if c.profile, err = ParseProfile(b); err != nil {
				return nil, badTarget("profile %s: %v", v, err)
			}
			if f := c.profile.Advisories; f != "" {
				if !filepath.IsAbs(f) {
					f = filepath.Join(filepath.Dir(v), f)
				}
				b, err := readBounded(f, osv.MaxFileSize)
				if err != nil {
					return nil, badTarget("profile %s: advisories: %v", v, err)
				}
				if c.advisories, err = osv.Parse(b); err != nil {
					return nil, badTarget("profile %s: advisories %s: %v", v, f, err)
				}
			}
		case "timeout":
			d, err := time.ParseDuration(v)
			if err != nil || d <= 0 {
				return nil, badTarget("timeout %q is not a positive duration", v)
			}
			c.timeout = d
		default:
			return nil, badTarget("unknown parameter %q (known: key, known_hosts, profile, timeout)", k)
		}
	}
	if c.knownHosts == "" {
		return nil, badTarget("known_hosts=FILE is required: Ward never trusts a host key blindly")
	}
	if c.keyFile == "" {
		return nil, badTarget("key=FILE is required (the private key to log in with)")
	}
	if c.profile == nil {
		c.profile = &Profile{}
		_ = c.profile.validate() // defaults only; an empty profile is valid
	}
	if c.profile.CommandTimeout != "" && q.Get("timeout") == "" {
		c.timeout, _ = time.ParseDuration(c.profile.CommandTimeout)
	}
	return c, nil
}

// hostKeyCallback checks the device's key against known_hosts and turns
// its errors into the driver's sentinels. It also returns the key
// algorithms known_hosts holds for addr, so the handshake asks for one of
// those rather than the client's favourite (a device with an RSA and an
// Ed25519 key, of which only the RSA one is known, must not fail).
func hostKeyCallback(file, addr string) (xssh.HostKeyCallback, []string, error) {
	if _, err := os.Stat(file); err != nil {
		return nil, nil, badTarget("known_hosts: %v", err)
	}
	cb, err := knownhosts.New(file)
	if err != nil {
		return nil, nil, badTarget("known_hosts %s: %v", file, err)
	}
	check := func(host string, remote net.Addr, key xssh.PublicKey) error {
		err := cb(host, remote, key)
		var ke *knownhosts.KeyError
		var re *knownhosts.RevokedError
		switch {
		case err == nil:
			return nil
		case errors.As(err, &re):
			return fmt.Errorf("%w: %s presented %s, which %s marks revoked", ErrHostKeyMismatch, host, xssh.FingerprintSHA256(key), file)
		case errors.As(err, &ke) && len(ke.Want) > 0:
			return fmt.Errorf("%w: %s presented %s key %s, not the one in %s (line %d)", ErrHostKeyMismatch, host, key.Type(), xssh.FingerprintSHA256(key), file, ke.Want[0].Line)
		case errors.As(err, &ke):
			return fmt.Errorf("%w: %s (%s key %s) has no entry in %s", ErrUnknownHost, host, key.Type(), xssh.FingerprintSHA256(key), file)
		}
		return err
	}
	// Ask known_hosts which keys it holds: a probe key matches none, and
	// the KeyError lists the known ones.
	probe, _, _ := ed25519.GenerateKey(nil)
	pk, _ := xssh.NewPublicKey(probe)
	var algos []string
	var ke *knownhosts.KeyError
	// The callback wants host:port, exactly as the handshake will pass it:
	// knownhosts.Normalize would drop a port of 22, after which the lookup
	// fails to parse the address, no algorithm is asked for, and a device
	// showing another key type than the listed one reads as a mismatch.
	if err := cb(addr, &net.TCPAddr{}, pk); errors.As(err, &ke) {
		for _, k := range ke.Want {
			switch t := k.Key.Type(); t {
			case xssh.KeyAlgoRSA:
				algos = append(algos, xssh.KeyAlgoRSASHA512, xssh.KeyAlgoRSASHA256, xssh.KeyAlgoRSA)
			default:
				algos = append(algos, t)
			}
		}
	}
	return check, slices.Compact(algos), nil
}

// dial opens a device handle on a connection of its own.
func dial(ctx context.Context, c *config) (*Device, error) {
	cn := &conn{cfg: c, refs: 1, sessions: make(chan struct{}, maxSessions)}
	client, err := connect(ctx, c)
	if err != nil {
		return nil, err
	}
	cn.client = client
	return newDevice(c, cn), nil
}

func newDevice(c *config, cn *conn) *Device {
	return &Device{addr: c.addr, conn: cn, profile: c.profile, advisories: c.advisories, timeout: c.timeout}
}

// connect dials the device, checks its host key and logs in.
func connect(ctx context.Context, c *config) (*xssh.Client, error) {
	keyPEM, err := os.ReadFile(c.keyFile)
	if err != nil {
		return nil, badTarget("key: %v", err)
	}
	signer, err := xssh.ParsePrivateKey(keyPEM)
	if err != nil {
		return nil, badTarget("key %s: %v (passphrase-protected keys are not supported)", c.keyFile, err)
	}
	check, algos, err := hostKeyCallback(c.knownHosts, c.addr)
	if err != nil {
		return nil, err
	}
	cfg := &xssh.ClientConfig{
		User:              c.user,
		Auth:              []xssh.AuthMethod{xssh.PublicKeys(signer)},
		HostKeyCallback:   check,
		HostKeyAlgorithms: algos,
		Timeout:           c.timeout,
	}
	if fips140.Enabled() {
		// In FIPS 140-3 mode Go refuses X25519 and GCM with counter nonces
		// (what SSH's AES-GCM uses), so offer only approved suites.
		cfg.KeyExchanges = []string{xssh.KeyExchangeECDHP256, xssh.KeyExchangeECDHP384, xssh.KeyExchangeECDHP521}
		cfg.Ciphers = []string{xssh.CipherAES256CTR, xssh.CipherAES128CTR}
		cfg.MACs = []string{xssh.HMACSHA256ETM, xssh.HMACSHA512ETM, xssh.HMACSHA256}
	}
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	var d net.Dialer
	nc, err := d.DialContext(ctx, "tcp", c.addr)
	if err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("ssh %s: connect: %w after %s", c.addr, ErrTimeout, c.timeout)
		}
		return nil, fmt.Errorf("ssh %s: connect: %w", c.addr, err)
	}
	// A device that accepts TCP and then says nothing must not stall the
	// run: the deadline covers the whole handshake, and cancelling ctx
	// closes the connection.
	dl, _ := ctx.Deadline()
	_ = nc.SetDeadline(dl)
	stop := context.AfterFunc(ctx, func() { nc.Close() })
	cc, chans, reqs, err := xssh.NewClientConn(nc, c.addr, cfg)
	stopped := stop()
	if err != nil {
		nc.Close()
		var ne net.Error
		if ctx.Err() != nil || !stopped || (errors.As(err, &ne) && ne.Timeout()) {
			return nil, fmt.Errorf("ssh %s: handshake: %w after %s", c.addr, ErrTimeout, c.timeout)
		}
		return nil, fmt.Errorf("ssh %s: %w", c.addr, err)
	}
	_ = nc.SetDeadline(time.Time{})
	return xssh.NewClient(cc, chans, reqs), nil
}

// Close implements device.Device. A pooled connection stays open for
// other handles (and briefly for the next scenario); see Driver.
func (d *Device) Close() error {
	d.closeOnce.Do(func() { d.closeErr = d.conn.release() })
	return d.closeErr
}

// limitedBuffer keeps at most max bytes and notes that more came. It does
// not embed bytes.Buffer: io.Copy would use the embedded ReadFrom and
// bypass Write, and with it the cap.
type limitedBuffer struct {
	buf    bytes.Buffer
	max    int
	over   bool
	onOver func() // called once, when more than max bytes first come
}

func (b *limitedBuffer) Write(p []byte) (int, error) {
	if b.buf.Len()+len(p) > b.max {
		if !b.over && b.onOver != nil {
			b.onOver() // stop the command now, not at the timeout
		}
		b.over = true
		return 0, errors.New("output too large")
	}
	return b.buf.Write(p)
}

// Bytes returns what was kept.
func (b *limitedBuffer) Bytes() []byte { return b.buf.Bytes() }

// run executes cmd on the device, bounded by the driver's timeout and ctx.
// On timeout the connection is closed (the only way to stop a hung
// channel) and every later call fails at once with the same cause.
func (d *Device) run(ctx context.Context, what, cmd string, stdin []byte) ([]byte, error) {
	d.mu.Lock()
	broken := d.broken
	d.mu.Unlock()
	if broken != nil {
		return nil, broken
	}
	ctx, cancel := context.WithTimeout(ctx, d.timeout)
	defer cancel()
	type result struct {
		out []byte
		err error
	}
	done := make(chan result, 1)
	// Handles share the connection; sshd refuses sessions beyond its
	// MaxSessions (10 by default), so wait for a slot. Waiting is not a
	// hung device: it never breaks the connection.
	select {
	case d.conn.sessions <- struct{}{}:
	case <-ctx.Done():
		return nil, fmt.Errorf("ssh %s: %s: waiting for a free session: %w", d.addr, what, ctx.Err())
	}
	client, gen := d.conn.current()
	var used atomic.Pointer[xssh.Client]
	used.Store(client)
	go func() {
		defer func() { <-d.conn.sessions }()
		s, err := newSession(ctx, client)
		var refused *xssh.OpenChannelError
		if err != nil && !errors.As(err, &refused) && ctx.Err() == nil {
			// The shared connection died under us (the device restarted
			// sshd, a network blip, another handle's timeout closed it):
			// dial once more, then give up.
			var c2 *xssh.Client
			if c2, err = d.conn.redial(ctx, gen); err == nil {
				used.Store(c2)
				s, err = newSession(ctx, c2)
			}
		}
		if err != nil {
			done <- result{err: fmt.Errorf("ssh %s: %s: open session: %w", d.addr, what, err)}
			return
		}
		defer s.Close()
		stdout := &limitedBuffer{max: maxOutput, onOver: func() { _ = s.Close() }}
		stderr := &limitedBuffer{max: 4096}
		s.Stdout, s.Stderr = stdout, stderr
		if stdin != nil {
			s.Stdin = bytes.NewReader(stdin)
		}
		err = s.Run(cmd)
		switch {
		case stdout.over:
			err = fmt.Errorf("ssh %s: %s: %w: more than %d bytes of output", d.addr, what, ErrCommand, maxOutput)
		case err != nil:
			msg := firstLine(stderr.Bytes())
			if msg == "" {
				msg = err.Error()
			}
			err = fmt.Errorf("ssh %s: %s: %w: %s", d.addr, what, ErrCommand, msg)
		}
		done <- result{stdout.Bytes(), err}
	}()
	select {
	case r := <-done:
		return r.out, r.err
	case <-ctx.Done():
		err := fmt.Errorf("ssh %s: %s: %w after %s", d.addr, what, ErrTimeout, d.timeout)
		if errors.Is(ctx.Err(), context.Canceled) {
			err = fmt.Errorf("ssh %s: %s: %w", d.addr, what, context.Canceled)
		}
		d.mu.Lock()
		if d.broken == nil {
			d.broken = fmt.Errorf("%w (connection closed)", err)
		}
		d.mu.Unlock()
		used.Load().Close() // the only way to stop a hung channel
		return nil, err
	}
}

// newSession opens a session, retrying while sshd refuses the channel:
// it frees the slots of sessions just closed a moment after the client
// has, so a busy shared connection briefly meets MaxSessions.
func newSession(ctx context.Context, c *xssh.Client) (*xssh.Session, error) {
	for wait := 5 * time.Millisecond; ; wait *= 2 {
		s, err := c.NewSession()
		var refused *xssh.OpenChannelError
		if err == nil || !errors.As(err, &refused) || wait > time.Second {
			return s, err
		}
		select {
		case <-time.After(wait):
		case <-ctx.Done():
			return nil, err
		}
	}
}

// abs is a profile path on the device.
func (d *Device) abs(rel string) string { return path.Join(d.profile.Root, rel) }

// readFile reads one file below the root.
func (d *Device) readFile(ctx context.Context, rel string) ([]byte, error) {
	return d.run(ctx, "read "+rel, "cat -- "+shellQuote(d.abs(rel)), nil)
}

// Identify implements device.Device: identity from the profile's sources,
// falling back to /etc/os-release (or /usr/lib/os-release).
func (d *Device) Identify(ctx context.Context) (device.Identity, error) {
	var osr map[string]string
	osRelease := func() (map[string]string, error) {
		if osr != nil {
			return osr, nil
		}
		// A device without os-release (a bare busybox image) simply has
		// no fallbacks; the profile can name every field.
		out, err := d.run(ctx, "read os-release", "cat -- "+shellQuote(d.abs("etc/os-release"))+" 2>/dev/null || cat -- "+shellQuote(d.abs("usr/lib/os-release"))+" 2>/dev/null || true", nil)
		if err != nil {
			return nil, err
		}
		osr = parseOSRelease(out)
		return osr, nil
	}
	get := func(s Source, fallbacks ...string) (string, error) {
		switch {
		case s.Value != "":
			return s.Value, nil
		case s.File != "":
			b, err := d.readFile(ctx, s.File)
			return firstLine(b), err
		case s.OSRelease != "":
			fallbacks = []string{s.OSRelease}
		}
		if len(fallbacks) == 0 {
			return "", nil
		}
		m, err := osRelease()
		if err != nil {
			return "", err
		}
		for _, k := range fallbacks {
			if v := m[k]; v != "" {
				return v, nil
			}
		}
		return "", nil
	}
	src := d.profile.Identity
	var id device.Identity
	var err error
	fields := []struct {
		dst       *string
		src       Source
		fallbacks []string
	}{
		{&id.Manufacturer, src.Manufacturer, []string{"VENDOR_NAME"}},
		{&id.Model, src.Model, []string{"PRETTY_NAME", "NAME"}},
		{&id.Serial, src.Serial, nil},
		{&id.Firmware, src.Firmware, []string{"IMAGE_VERSION", "VERSION_ID", "BUILD_ID"}},
		{&id.UDI, src.UDI, nil},
	}
	for _, f := range fields {
		if *f.dst, err = get(f.src, f.fallbacks...); err != nil {
			return device.Identity{}, fmt.Errorf("identify: %w", err)
		}
	}
	return id, nil
}

// stored are the paths raw storage covers: the data paths and the log
// files (logs lie on the same flash; an attacker with the chip reads them
// too, so the at-rest scan searches them).
func (d *Device) stored() []string { return slices.Concat(d.profile.Data, d.profile.Logs) }

// inData reports whether name lies within one of paths.
func (d *Device) inData(name string, paths []string) (string, error) {
	c, err := relPath(name)
	if err != nil {
		return "", fmt.Errorf("%w: %q: %v", ErrOutsideProfile, name, err)
	}
	for _, p := range paths {
		p = path.Clean(p)
		if c == p || strings.HasPrefix(c, p+"/") {
			return c, nil
		}
	}
	return "", fmt.Errorf("%w: %q", ErrOutsideProfile, name)
}

// ListStored implements device.RawStorage: every regular file below the
// profile's data paths and its log files, relative to the root.
func (d *Device) ListStored(ctx context.Context) ([]string, error) {
	paths := d.stored()
	if len(paths) == 0 {
		// No data paths is no storage to search: not applicable, never
		// an empty (and so clean-looking) dump.
		return nil, &device.UnsupportedError{Capability: "raw storage (no data or log paths in the ssh profile)"}
	}
	args := make([]string, len(paths))
	for i, p := range paths {
		args[i] = shellQuote(d.abs(p))
	}
	out, err := d.run(ctx, "list data", "find "+strings.Join(args, " ")+" -type f -print0", nil)
	if err != nil {
		return nil, err
	}
	prefix := strings.TrimSuffix(d.profile.Root, "/") + "/"
	var names []string
	for f := range strings.SplitSeq(string(out), "\x00") {
		if f == "" {
			continue
		}
		rel, ok := strings.CutPrefix(f, prefix)
		if !ok {
			return nil, fmt.Errorf("ssh %s: list data: %w: %q is not below %s", d.addr, ErrParse, f, d.profile.Root)
		}
		names = append(names, rel)
	}
	if !slices.ContainsFunc(names, func(n string) bool { _, err := d.inData(n, d.profile.Data); return err == nil }) {
		// The data store is empty (or the profile names the wrong
		// place): the logs alone would make a clean-looking dump.
		return nil, &device.UnsupportedError{Capability: fmt.Sprintf("raw storage with data in it (no files under the ssh profile's data paths %q)", d.profile.Data)}
	}
	slices.Sort(names)
	return slices.Compact(names), nil // a log inside a data path is listed once
}

// ReadStored implements device.RawStorage: data and log files.
func (d *Device) ReadStored(ctx context.Context, name string) ([]byte, error) {
	c, err := d.inData(name, d.stored())
	if err != nil {
		return nil, err
	}
	return d.readFile(ctx, c)
}

// WriteStored implements device.RawStorage, as an attacker editing the
// storage would: through a temporary file renamed into place, so an
// interrupted write never leaves a half-written record behind.
func (d *Device) WriteStored(ctx context.Context, name string, data []byte) error {
	c, err := d.inData(name, d.profile.Data) // logs are read, never written
	if err != nil {
		return err
	}
	dst := d.abs(c)
	tmp := dst + ".ward-tmp"
	cmd := "cat > " + shellQuote(tmp) + " && mv -f -- " + shellQuote(tmp) + " " + shellQuote(dst)
	if data == nil {
		data = []byte{}
	}
	_, err = d.run(ctx, "write "+c, cmd, data)
	return err
}

// AuditLog implements device.AuditSource from the profile's audit files.
func (d *Device) AuditLog(ctx context.Context) (device.AuditExport, error) {
	a := d.profile.Audit
	if a == nil {
		return device.AuditExport{}, &device.UnsupportedError{Capability: "audit trail (no audit files in the ssh profile)"}
	}
	var exp device.AuditExport
	var err error
	if exp.Log, err = d.readFile(ctx, a.Log); err != nil {
		return exp, err
	}
	exp.LogPath = a.Log
	if a.Checkpoint != "" {
		if exp.Checkpoint, err = d.readFile(ctx, a.Checkpoint); err != nil {
			return exp, err
		}
		exp.CheckpointPath = a.Checkpoint
	}
	if a.PublicKey != "" {
		k, _ := base64.StdEncoding.DecodeString(a.PublicKey) // validated on load
		exp.PublicKey = ed25519.PublicKey(k)
	}
	return exp, nil
}

// Logs reads the profile's log files, by path.
func (d *Device) Logs(ctx context.Context) (map[string][]byte, error) {
	out := make(map[string][]byte, len(d.profile.Logs))
	for _, l := range d.profile.Logs {
		b, err := d.readFile(ctx, l)
		if err != nil {
			return nil, err
		}
		out[l] = b
	}
	return out, nil
}

// PlantedValues implements device.PlantedData with the profile's test data.
func (d *Device) PlantedValues(context.Context) ([]string, error) {
	if len(d.profile.TestData) == 0 {
		return nil, &device.UnsupportedError{Capability: "known test data (no test_data in the ssh profile)"}
	}
	return slices.Clone(d.profile.TestData), nil
}

// ListeningPorts implements device.PortLister with `ss -Htuln`: TCP
// listeners and bound UDP sockets, numeric (without -n, ss prints "ssh"
// for port 22).
func (d *Device) ListeningPorts(ctx context.Context) ([]device.ListeningPort, error) {
	out, err := d.run(ctx, "list listening ports", "ss -Htuln", nil)
	if err != nil {
		return nil, err
	}
	ports, err := parseSS(out)
	if err != nil {
		return nil, fmt.Errorf("ssh %s: %w", d.addr, err)
	}
	return ports, nil
}

// DocumentedPorts implements device.PortLister from the profile. A
// profile that documents no ports says nothing about them: unsupported,
// so the check is not applicable rather than failing every port.
func (d *Device) DocumentedPorts(context.Context) ([]device.ListeningPort, error) {
	if len(d.profile.Ports) == 0 {
		return nil, &device.UnsupportedError{Capability: "documented ports (no documented_ports in the ssh profile)"}
	}
	out := make([]device.ListeningPort, 0, len(d.profile.Ports))
	for _, s := range d.profile.Ports {
		p, _ := parsePortSpec(s) // validated on load
		out = append(out, p)
	}
	return out, nil
}

// Profile returns the device profile in use.
func (d *Device) Profile() Profile { return *d.profile }

var (
	_ device.Device      = (*Device)(nil)
	_ device.RawStorage  = (*Device)(nil)
	_ device.AuditSource = (*Device)(nil)
	_ device.PlantedData = (*Device)(nil)
	_ device.PortLister  = (*Device)(nil)
)

// readBounded reads a local input file of at most max bytes.
func readBounded(name string, max int64) ([]byte, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > max {
		return nil, fmt.Errorf("%s: larger than %d bytes", name, max)
	}
	return b, nil
}
