package realsrv

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/wardsec/ward/internal/netlab"
	"github.com/wardsec/ward/internal/sshdtest"
)

// Kind names one real server setup.
type Kind string

// The servers this package starts. Each has its own namespace, address and
// truth table (see the package documentation).
const (
	Storescp     Kind = "storescp"       // DICOM storage SCP (dcmtk), port 104
	Mosquitto    Kind = "mosquitto"      // MQTT broker, port 1883
	NginxHTTP    Kind = "nginx-http"     // device web UI without TLS, port 80
	NginxWeakTLS Kind = "nginx-weak-tls" // device web UI with weak TLS, port 443
	OpenSSH      Kind = "openssh"        // sshd with password login, port 22
	Snmpd        Kind = "snmpd"          // SNMP agent, community public, UDP 161
	Vsftpd       Kind = "vsftpd"         // FTP server, local accounts, no TLS, port 21
	Telnetd      Kind = "telnetd"        // telnet (inetd, /bin/login), port 23

	// NginxStrongTLS is a hardened counterpart (not in Kinds): a device
	// web UI a correct check must find nothing wrong with.
	NginxStrongTLS Kind = "nginx-strong-tls"
	// MosquittoSecure is a hardened counterpart (not in Kinds): MQTT over
	// TLS with passwords.
	MosquittoSecure Kind = "mosquitto-secure"
)

// Hardened lists the hardened counterparts, which can share one host.
func Hardened() []Kind { return []Kind{NginxStrongTLS, MosquittoSecure} }

// Kinds lists every insecure-as-deployed kind, in priority order; they
// can all share one host.
func Kinds() []Kind {
	return []Kind{Storescp, Mosquitto, NginxHTTP, NginxWeakTLS, OpenSSH, Snmpd, Vsftpd, Telnetd}
}

// The test patient every server carries somewhere (a synthetic person).
const (
	PatientFamily = "Testpatient"
	PatientGiven  = "Ada"
	PatientDICOM  = "Testpatient^Ada" // DICOM PN encoding
	PatientMRN    = "MRN-77123456"
)

// Port is one port a server listens on, as configured.
type Port struct {
	Proto    string // "tcp" or "udp"
	Port     int
	Protocol string // the contract's protocol name: "dicom", "mqtt", "http", "https", "ssh"
}

// Truth keys. Values are bool, int or string as documented per key.
const (
	// Cleartext (bool): the service carries application data without TLS.
	Cleartext = "cleartext"
	// TLS (bool): the service answers a TLS ClientHello with a ServerHello.
	TLS = "tls"
	// AnonymousAccess (bool): a client with no credentials is served.
	AnonymousAccess = "anonymous-access"
	// AnyCallingAE / AnyCalledAE (bool): a DICOM association from an
	// unknown calling AE title to an unknown called AE title is accepted.
	AnyCallingAE = "any-calling-ae"
	AnyCalledAE  = "any-called-ae"
	// WriteAccess (bool): the default credential may also write (SNMP SET).
	WriteAccess = "write-access"
	// CEcho (bool): a DICOM C-ECHO (verification) succeeds.
	CEcho = "c-echo"
	// CStore (bool): a DICOM C-STORE of a new object is accepted (a write).
	CStore = "c-store"
	// AnonymousPublish / WildcardSubscribe (bool): MQTT without credentials
	// may publish, and may subscribe to "#".
	AnonymousPublish  = "anonymous-publish"
	WildcardSubscribe = "wildcard-subscribe"
	// PatientData (string): where the test patient can be read by a
	// network client (a topic, a URL path, a DICOM file); "" when nowhere.
	PatientData = "patient-data"
	// DefaultCredentials (string): "user:password" (for SNMP: the
	// community) that the server accepts and that appears in common
	// default-credential lists; "" when none of those is accepted.
	DefaultCredentials = "default-credentials"
	// AuthMechanism (string): how credentials are presented
	// ("http-basic", "ssh-password", "snmp-v2c-community", "mqtt-password",
	// "ftp-password", "telnet-login").
	AuthMechanism = "auth-mechanism"
	// ServerVersionDisclosed (string): the product/version string the
	// server volunteers to any client (HTTP Server header, SSH banner,
	// the kernel release in SNMP's sysDescr); "" when none.
	ServerVersionDisclosed = "server-version-disclosed"
	// TLSMinVersion / TLSMaxVersion (string): "TLS1.0" ... "TLS1.3".
	TLSMinVersion = "tls-min-version"
	TLSMaxVersion = "tls-max-version"
	// WeakCipher (string): an OpenSSL cipher name the server negotiates
	// that has no forward secrecy and uses 3DES or CBC.
	WeakCipher = "weak-cipher"
	// SelfSigned (bool), RSAKeyBits (int), HostnameMismatch (bool): the
	// certificate is self-signed, its RSA key size, and it does not name
	// the address the server is reached at.
	SelfSigned       = "self-signed"
	RSAKeyBits       = "rsa-key-bits"
	HostnameMismatch = "hostname-mismatch"
	// CertExpired (bool): the certificate's notAfter has passed.
	CertExpired = "cert-expired"
	// PasswordLogin (bool), RootPasswordLogin (bool): SSH accepts password
	// authentication; root logs in with its password (SSH, telnet).
	PasswordLogin     = "password-login"
	RootPasswordLogin = "root-password-login"
)

// Truths is a server's truth table: what is true about it as configured.
type Truths map[string]any

// Server is a running real server in a network namespace of its own (or
// shared with other servers of the same Host).
type Server struct {
	Kind Kind
	// Addr is the server's address, reachable from the test process.
	Addr string
	// HostAddr is the test process's address on the link to the server.
	HostAddr string
	// NS is the namespace name (for ip netns exec).
	NS string
	// Ports are the ports the server listens on.
	Ports []Port
	// Truths is the verified truth table (see the package documentation).
	Truths Truths
	// Dir holds the server's configuration and data (DataDir is inside).
	Dir string
	// DataDir is where the server stores what clients send it (storescp's
	// received objects), or "".
	DataDir string
	// CA is the PEM certificate a TLS server presents (self-signed), or nil.
	CA []byte
	// User and Password are an account the server accepts (a default
	// credential on the weak servers, a random one on the strong), or "".
	User, Password string
	// SSH holds what a client needs to reach an OpenSSH server, or nil.
	SSH *SSHInfo
	// Log collects the server's stdout and stderr.
	Log *sshdtest.SyncBuffer

	host *Host
	tb   testing.TB
}

// Endpoint returns host:port for a TCP port of the server.
func (s *Server) Endpoint(port int) string {
	return net.JoinHostPort(s.Addr, strconv.Itoa(port))
}

// Host is one network namespace, one address, with one or more servers:
// a device with several services.
type Host struct {
	Addr, HostAddr, NS string
	// Servers in the order they were asked for.
	Servers []*Server

	lab    *netlab.Lab
	hostIf string
	etcDir string // /etc/netns/NS, when a server needs one
	// serviceHome is the "service" account's home, once accounts exist.
	serviceHome string
	mu          sync.Mutex
	procs       []*proc
	dirs        []string
	cleaned     bool
}

// Server returns the host's server of that kind, or nil.
func (h *Host) Server(kind Kind) *Server {
	for _, s := range h.Servers {
		if s.Kind == kind {
			return s
		}
	}
	return nil
}

// Ports lists every port of every server on the host, by port number.
func (h *Host) Ports() []Port {
	var ps []Port
	for _, s := range h.Servers {
		ps = append(ps, s.Ports...)
	}
	slices.SortFunc(ps, func(a, b Port) int { return a.Port - b.Port })
	return ps
}

// Option adjusts Start.
type Option func(*config)

type config struct {
	startTimeout time.Duration
}

// WithStartTimeout bounds how long Start waits for the servers' ports
// (default 15 s; the servers normally answer within a second).
func WithStartTimeout(d time.Duration) Option { return func(c *config) { c.startTimeout = d } }

// need lists the programs each kind needs, with the Debian package.
var need = map[Kind][][2]string{
	Storescp:       {{"storescp", "dcmtk"}, {"storescu", "dcmtk"}, {"dump2dcm", "dcmtk"}},
	Mosquitto:      {{"mosquitto", "mosquitto"}, {"mosquitto_pub", "mosquitto-clients"}},
	NginxHTTP:      {{"nginx", "nginx-light"}, {"openssl", "openssl"}},
	NginxWeakTLS:   {{"nginx", "nginx-light"}, {"openssl", "openssl"}},
	OpenSSH:        {{"/usr/sbin/sshd", "openssh-server"}, {"openssl", "openssl"}},
	NginxStrongTLS: {{"nginx", "nginx-light"}, {"openssl", "openssl"}},
	Snmpd:          {{"/usr/sbin/snmpd", "snmpd"}, {"snmpget", "snmp"}},
	Vsftpd:         {{"/usr/sbin/vsftpd", "vsftpd"}, {"openssl", "openssl"}, {"dpkg-query", "dpkg"}},
	Telnetd:        {{"/usr/sbin/inetd", "openbsd-inetd"}, {"/usr/sbin/telnetd", "inetutils-telnetd"}, {"/usr/sbin/tcpd", "tcpd"}, {"openssl", "openssl"}},
	MosquittoSecure: {{"mosquitto", "mosquitto"}, {"mosquitto_passwd", "mosquitto"},
		{"mosquitto_pub", "mosquitto-clients"}, {"openssl", "openssl"}},
}

// ports are each kind's ports, known before start so that StartHost can
// refuse two servers on one port.
var ports = map[Kind][]Port{
	Storescp:        {{Proto: "tcp", Port: DICOMPort, Protocol: "dicom"}},
	Mosquitto:       {{Proto: "tcp", Port: MQTTPort, Protocol: "mqtt"}},
	NginxHTTP:       {{Proto: "tcp", Port: HTTPPort, Protocol: "http"}},
	NginxWeakTLS:    {{Proto: "tcp", Port: HTTPSPort, Protocol: "https"}},
	OpenSSH:         {{Proto: "tcp", Port: SSHPort, Protocol: "ssh"}},
	NginxStrongTLS:  {{Proto: "tcp", Port: HTTPSPort, Protocol: "https"}},
	Snmpd:           {{Proto: "udp", Port: SNMPPort, Protocol: "snmp"}},
	Vsftpd:          {{Proto: "tcp", Port: FTPPort, Protocol: "ftp"}},
	Telnetd:         {{Proto: "tcp", Port: TelnetPort, Protocol: "telnet"}},
	MosquittoSecure: {{Proto: "tcp", Port: MQTTSPort, Protocol: "mqtt"}},
}

var starters = map[Kind]func(context.Context, *Server) error{
	Storescp:        startStorescp,
	Mosquitto:       startMosquitto,
	NginxHTTP:       startNginxHTTP,
	NginxWeakTLS:    startNginxTLS,
	OpenSSH:         startOpenSSH,
	NginxStrongTLS:  startNginxStrongTLS,
	Snmpd:           startSnmpd,
	Vsftpd:          startVsftpd,
	Telnetd:         startTelnetd,
	MosquittoSecure: startMosquittoSecure,
}

// Missing reports why kind cannot run on this machine, or "".
func Missing(kind Kind) string {
	progs, ok := need[kind]
	if !ok {
		return fmt.Sprintf("unknown server kind %q", kind)
	}
	for _, p := range progs {
		if _, err := exec.LookPath(p[0]); err != nil {
			return fmt.Sprintf("%s not installed (apt-get install %s)", filepath.Base(p[0]), p[1])
		}
	}
	if err := netlab.Available(); err != nil {
		return err.Error()
	}
	return ""
}

// Start starts a real server of the given kind in a fresh network
// namespace linked to the test process's namespace by a veth pair, waits
// until its ports accept connections, and stops it (processes, namespace,
// link, files) at t's cleanup. When the machine cannot run it (not root,
// a package missing) Start skips t with a one-line reason, or fails t when
// WARD_REQUIRE_REAL=1.
func Start(ctx context.Context, t testing.TB, kind Kind, opts ...Option) (*Server, error) {
	t.Helper()
	h, err := StartHost(ctx, t, []Kind{kind}, opts...)
	if err != nil {
		return nil, err
	}
	return h.Servers[0], nil
}

// StartHost is Start for several servers in one namespace, at one
// address: one device with several services. Kinds must differ, and so
// must their ports (NginxWeakTLS and NginxStrongTLS both use 443).
func StartHost(ctx context.Context, t testing.TB, kinds []Kind, opts ...Option) (*Host, error) {
	t.Helper()
	if len(kinds) == 0 {
		t.Fatal("realsrv: no server kinds")
	}
	for i, kind := range kinds {
		if _, ok := need[kind]; !ok {
			t.Fatalf("realsrv: unknown server kind %q", kind)
		}
		for _, other := range kinds[:i] {
			for _, p := range ports[kind] {
				if slices.ContainsFunc(ports[other], func(q Port) bool { return q.Proto == p.Proto && q.Port == p.Port }) {
					t.Fatalf("realsrv: %s and %s both use %s/%d: one host cannot hold both", other, kind, p.Proto, p.Port)
				}
			}
		}
	}
	// Only then what this machine lacks: a wrong call fails everywhere.
	for _, kind := range kinds {
		if why := Missing(kind); why != "" {
			sshdtest.NeedReal(t, fmt.Sprintf("%s: %s", kind, why))
		}
	}
	cfg := config{startTimeout: 15 * time.Second}
	for _, o := range opts {
		o(&cfg)
	}
	h := &Host{}
	t.Cleanup(func() {
		if err := h.close(); err != nil {
			t.Errorf("realsrv cleanup: %v", err)
		}
	})
	if err := h.network(ctx); err != nil {
		return nil, fmt.Errorf("realsrv: network: %w", err)
	}
	sctx, cancel := context.WithTimeout(ctx, cfg.startTimeout)
	defer cancel()
	for _, kind := range kinds {
		s := &Server{Kind: kind, Addr: h.Addr, HostAddr: h.HostAddr, NS: h.NS, Ports: slices.Clone(ports[kind]),
			Log: &sshdtest.SyncBuffer{}, host: h, tb: t}
		// Workers of some servers drop root (www-data, mosquitto): the
		// directory must be readable by them, so not t.TempDir (mode 0700).
		dir, err := os.MkdirTemp("", "ward-realsrv-")
		if err != nil {
			return nil, err
		}
		h.mu.Lock()
		h.dirs = append(h.dirs, dir)
		err = h.record()
		h.mu.Unlock()
		if err != nil {
			return nil, err
		}
		s.Dir = dir
		if err := os.Chmod(dir, 0o755); err != nil {
			return nil, err
		}
		if err := starters[kind](sctx, s); err != nil {
			return nil, fmt.Errorf("realsrv %s: %w\n%s", kind, err, s.Log.String())
		}
		h.Servers = append(h.Servers, s)
	}
	return h, nil
}

// addrLock serialises address allocation across test processes (go test
// runs packages in parallel processes) and, since each caller opens it
// afresh and flock locks belong to the open file, within one.
const addrLock = "/run/ward-realsrv.lock"

// registry holds one file per live host (named after its namespace)
// with the test process's pid, the host-side link and the directories,
// so that the next Start can remove what a killed test binary left.
const registry = "/run/ward-realsrv"

// record writes the host's registry entry.
func (h *Host) record() error {
	if err := os.MkdirAll(registry, 0o755); err != nil {
		return err
	}
	lines := append([]string{strconv.Itoa(os.Getpid()), h.hostIf, h.etcDir}, h.dirs...)
	return os.WriteFile(filepath.Join(registry, h.NS), []byte(strings.Join(lines, "\n")+"\n"), 0o600)
}

// sweep removes the hosts of test processes that died without cleaning
// up (killed by a timeout or ^C): their servers, links, namespaces and
// files. Best effort; the caller holds addrLock.
func sweep(ctx context.Context) {
	ents, err := os.ReadDir(registry)
	if err != nil {
		return
	}
	for _, e := range ents {
		file := filepath.Join(registry, e.Name())
		b, err := os.ReadFile(file)
		if err != nil {
			continue
		}
		lines := strings.Split(strings.TrimSpace(string(b)), "\n")
		pid, err := strconv.Atoi(lines[0])
		if err != nil || len(lines) < 3 || !strings.HasPrefix(e.Name(), "wl") {
			continue
		}
		if err := syscall.Kill(pid, 0); err == nil || errors.Is(err, syscall.EPERM) {
			continue // its test process still runs
		}
		ns := e.Name()
		_ = killNamespace(ctx, ns)
		_ = ip(ctx, "link", "del", lines[1])
		_ = ip(ctx, "netns", "del", ns)
		for _, d := range lines[2:] {
			if d != "" && (strings.HasPrefix(d, "/etc/netns/wl") || strings.Contains(d, "ward-realsrv-")) {
				_ = os.RemoveAll(d)
			}
		}
		_ = os.Remove(file)
	}
}

// linkNet is the range the host/namespace /30 links are carved from.
const linkNet = "10.213."

// network creates the namespace and a veth pair from the host into it,
// with a free /30 out of 10.213.0.0/16.
func (h *Host) network(ctx context.Context) error {
	lab, err := netlab.New()
	if err != nil {
		return err
	}
	h.lab = lab
	if err := lab.AddNS(ctx, "srv"); err != nil {
		return err
	}
	h.NS = lab.NS("srv")
	// Interface names: at most 15 bytes, unique on the host.
	h.hostIf = strings.TrimSuffix(lab.Prefix(), "-") + "h"

	f, err := os.OpenFile(addrLock, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		return err
	}
	defer syscall.Flock(int(f.Fd()), syscall.LOCK_UN) //nolint:errcheck // released at close anyway
	sweep(ctx)
	if err := h.record(); err != nil {
		return err
	}

	out, err := exec.CommandContext(ctx, "ip", "-o", "-4", "addr", "show").Output()
	if err != nil {
		return fmt.Errorf("ip addr show: %w", err)
	}
	used := string(out)
	var b [4]byte
	for try := 0; ; try++ {
		if try == 100 {
			return errors.New("no free /30 in 10.213.0.0/16")
		}
		if _, err := rand.Read(b[:]); err != nil {
			return err
		}
		n := int(binary.BigEndian.Uint32(b[:])%16384) * 4
		host := fmt.Sprintf("%s%d.%d", linkNet, n/256, n%256+1)
		srv := fmt.Sprintf("%s%d.%d", linkNet, n/256, n%256+2)
		if strings.Contains(used, " "+host+"/") || strings.Contains(used, " "+srv+"/") {
			continue
		}
		h.HostAddr, h.Addr = host, srv
		break
	}
	if err := ip(ctx, "link", "add", h.hostIf, "type", "veth", "peer", "name", "eth0", "netns", h.NS); err != nil {
		h.hostIf = ""
		return err
	}
	if err := ip(ctx, "addr", "add", h.HostAddr+"/30", "dev", h.hostIf); err != nil {
		return err
	}
	if err := ip(ctx, "link", "set", h.hostIf, "up"); err != nil {
		return err
	}
	if err := lab.Exec(ctx, "srv", "ip", "addr", "add", h.Addr+"/30", "dev", "eth0"); err != nil {
		return err
	}
	return lab.Exec(ctx, "srv", "ip", "link", "set", "eth0", "up")
}

func ip(ctx context.Context, args ...string) error {
	out, err := exec.CommandContext(ctx, "ip", args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("ip %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return nil
}

type proc struct {
	cmd    *exec.Cmd
	exited chan struct{}
}

// spawn starts a long-running program of the server inside its
// namespace, in its own process group so that close can kill it with
// every child.
func (s *Server) spawn(name string, args ...string) (*proc, error) {
	return s.spawnEnv(nil, name, args...)
}

// spawnEnv is spawn with extra environment variables.
func (s *Server) spawnEnv(env []string, name string, args ...string) (*proc, error) {
	cmd := exec.Command("ip", append([]string{"netns", "exec", s.NS, name}, args...)...)
	cmd.Dir = s.Dir
	if env != nil {
		cmd.Env = append(os.Environ(), env...)
	}
	cmd.Stdout, cmd.Stderr = s.Log, s.Log
	// Pdeathsig: a test binary killed by its timeout takes its servers
	// along. (It fires when the forking thread exits; Go keeps threads
	// alive unless a goroutine exits while locked to one.)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	p := &proc{cmd: cmd, exited: make(chan struct{})}
	go func() { _ = cmd.Wait(); close(p.exited) }()
	h := s.host
	h.mu.Lock()
	h.procs = append(h.procs, p)
	h.mu.Unlock()
	return p, nil
}

// run runs a short command in the test process's namespace (a client
// seeding the server) and returns its combined output.
func run(ctx context.Context, dir, name string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("%s %s: %w: %s", name, strings.Join(args, " "), err, bytes.TrimSpace(out))
	}
	return string(out), nil
}

// hashPassword runs `openssl passwd SCHEME -stdin`: a password on the
// command line that starts with "-" would be read as an option (a random
// one does, one time in 64).
func hashPassword(ctx context.Context, dir, scheme, pw string) (string, error) {
	cmd := exec.CommandContext(ctx, "openssl", "passwd", scheme, "-stdin")
	cmd.Dir = dir
	cmd.Stdin = strings.NewReader(pw + "\n")
	out, err := cmd.CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("openssl passwd %s -stdin: %w: %s", scheme, err, bytes.TrimSpace(out))
	}
	return string(out), nil
}

// waitPorts waits until every TCP port accepts a connection from the test
// process, the process exits, or ctx ends.
func (s *Server) waitPorts(ctx context.Context, p *proc) error {
	for _, port := range s.Ports {
		if port.Proto != "tcp" {
			continue
		}
		addr := s.Endpoint(port.Port)
		for {
			select {
			case <-p.exited:
				return fmt.Errorf("exited before listening on %s (%v)", addr, p.cmd.ProcessState)
			default:
			}
			d := net.Dialer{Timeout: 200 * time.Millisecond}
			c, err := d.DialContext(ctx, "tcp", addr)
			if err == nil {
				c.Close()
				break
			}
			select {
			case <-ctx.Done():
				return fmt.Errorf("not listening on %s: %w", addr, ctx.Err())
			case <-p.exited:
			case <-time.After(20 * time.Millisecond):
			}
		}
	}
	return nil
}

// close kills the servers, removes the link, the namespace and the files.
func (h *Host) close() error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.cleaned {
		return nil
	}
	h.cleaned = true
	var errs []error
	for _, p := range h.procs {
		_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
		select {
		case <-p.exited:
		case <-time.After(10 * time.Second):
			errs = append(errs, fmt.Errorf("pid %d did not exit", p.cmd.Process.Pid))
		}
		// Children (nginx's worker) die on their own schedule; wait until
		// the group is gone so that the namespace really goes too.
		for deadline := time.Now().Add(5 * time.Second); len(liveGroup(p.cmd.Process.Pid)) > 0; {
			if time.Now().After(deadline) {
				errs = append(errs, fmt.Errorf("process group %d still alive", p.cmd.Process.Pid))
				break
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	// Sessions that left the group (telnetd and sshd start each login in
	// a session of its own) still live in the namespace: kill whatever
	// does, until nothing does.
	if h.NS != "" {
		if err := killNamespace(ctx, h.NS); err != nil {
			errs = append(errs, err)
		}
	}
	if h.hostIf != "" {
		// Deleting one end of a veth deletes both; do it now rather than
		// wait for the kernel's asynchronous namespace teardown.
		if err := ip(ctx, "link", "del", h.hostIf); err != nil {
			errs = append(errs, err)
		}
	}
	if h.lab != nil {
		if err := h.lab.Close(); err != nil {
			errs = append(errs, err)
		}
	}
	if h.etcDir != "" {
		if err := os.RemoveAll(h.etcDir); err != nil {
			errs = append(errs, err)
		}
	}
	for _, d := range h.dirs {
		if err := os.RemoveAll(d); err != nil {
			errs = append(errs, err)
		}
	}
	if h.NS != "" {
		if err := os.Remove(filepath.Join(registry, h.NS)); err != nil && !errors.Is(err, os.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func writeFiles(dir string, files map[string]string) error {
	for name, body := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			return err
		}
	}
	return nil
}

// killNamespace kills every process in the namespace and waits until
// none is left (zombies do not count: they have left the namespace).
func killNamespace(ctx context.Context, ns string) error {
	for {
		out, err := exec.CommandContext(ctx, "ip", "netns", "pids", ns).Output()
		if err != nil {
			return fmt.Errorf("ip netns pids %s: %w", ns, err)
		}
		pids := strings.Fields(string(out))
		if len(pids) == 0 {
			return nil
		}
		for _, f := range pids {
			if pid, err := strconv.Atoi(f); err == nil {
				_ = syscall.Kill(pid, syscall.SIGKILL)
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("processes %v outlive their namespace %s: %w", pids, ns, ctx.Err())
		case <-time.After(5 * time.Millisecond):
		}
	}
}

// liveGroup lists the processes of group pgid that have not exited.
// Zombies do not count: they hold no sockets and no namespace, and the
// orphans among them wait for init, which may reap them only seconds later.
func liveGroup(pgid int) []int {
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	var pids []int
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		stat, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue // exited meanwhile
		}
		// pid (comm) state ppid pgrp ...; comm may hold spaces and parens.
		i := bytes.LastIndexByte(stat, ')')
		if i < 0 {
			continue
		}
		f := strings.Fields(string(stat[i+1:]))
		if len(f) < 3 || f[0] == "Z" || f[0] == "X" {
			continue
		}
		if g, _ := strconv.Atoi(f[2]); g == pgid {
			pids = append(pids, pid)
		}
	}
	return pids
}
