// Package sshdtest starts a real OpenSSH server on loopback for tests of
// the ssh driver and the commands that use it. Not API.
package sshdtest

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"encoding/pem"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	xssh "golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"

	"github.com/wardsec/ward/internal/netlab"
)

const sshdPath = "/usr/sbin/sshd"

// NeedReal skips (or, under WARD_REQUIRE_REAL=1, fails) a test that needs
// a real component.
func NeedReal(t testing.TB, why string) {
	t.Helper()
	if os.Getenv("WARD_REQUIRE_REAL") == "1" {
		t.Fatalf("WARD_REQUIRE_REAL=1 but %s", why)
	}
	t.Skip("skipping: " + why)
}

// Server is a real OpenSSH server on loopback, with the files a target
// URI needs to reach it.
type Server struct {
	Dir        string
	Port       int
	HostKey    xssh.PublicKey // the Ed25519 host key, the one KnownHosts lists
	RSAHostKey xssh.PublicKey // set with WithRSAHostKey
	Config     string         // the sshd_config file
	PID        int            // the listening sshd (its children serve connections)
	UserKey    string         // private key file
	KnownHosts string         // known_hosts holding the right host key
	Log        *SyncBuffer
}

// Addr is host:port.
func (s *Server) Addr() string { return "127.0.0.1:" + strconv.Itoa(s.Port) }

// Target builds the ssh:// URI for this server with extra query text.
func (s *Server) Target(extra string) string {
	u := fmt.Sprintf("ssh://root@%s?key=%s&known_hosts=%s", s.Addr(), s.UserKey, s.KnownHosts)
	if extra != "" {
		u += "&" + extra
	}
	return u
}

// WriteKey writes priv as an OpenSSH private key file.
func WriteKey(t testing.TB, file string, priv ed25519.PrivateKey) {
	t.Helper()
	blk, err := xssh.MarshalPrivateKey(priv, "")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(file, pem.EncodeToMemory(blk), 0o600); err != nil {
		t.Fatal(err)
	}
}

func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// SyncBuffer collects sshd's log for failure messages.
type SyncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *SyncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *SyncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// Option changes how Start runs sshd.
type Option func(*options)

type options struct {
	rsa   bool
	lab   *netlab.Lab
	ns    string
	port  int
	extra string
}

// WithRSAHostKey gives sshd an RSA host key besides the Ed25519 one, listed
// first; KnownHosts still lists only the Ed25519 key. A client that does
// not ask for the known key type is then shown the RSA key.
func WithRSAHostKey() Option { return func(o *options) { o.rsa = true } }

// InNamespace runs sshd inside the lab namespace ns, on 0.0.0.0:port of
// that namespace, reached at 127.0.0.1:port (port 22 exercises the paths where OpenSSH leaves the
// port out of known_hosts). Connections must be made from inside the
// namespace (lab.In).
func InNamespace(lab *netlab.Lab, ns string, port int) Option {
	return func(o *options) { o.lab, o.ns, o.port = lab, ns, port }
}

// WithConfig appends sshd_config lines (later lines do not override
// earlier ones in sshd, so only settings Start leaves unset take effect).
func WithConfig(lines string) Option { return func(o *options) { o.extra += lines + "\n" } }

// Start starts `sshd -D -e -f CONFIG` on a free loopback port with a
// fresh host key and one authorised user key, and stops it at cleanup.
func Start(t testing.TB, opts ...Option) *Server {
	t.Helper()
	var o options
	for _, f := range opts {
		f(&o)
	}
	if _, err := os.Stat(sshdPath); err != nil {
		NeedReal(t, "no OpenSSH server at "+sshdPath+" (apt-get install openssh-server)")
	}
	if os.Geteuid() != 0 {
		NeedReal(t, "starting sshd needs root")
	}
	// sshd refuses to start without its privilege-separation directory.
	if err := os.MkdirAll("/run/sshd", 0o755); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	s := &Server{Dir: dir}
	hostPub, hostPriv, _ := ed25519.GenerateKey(rand.Reader)
	userPub, userPriv, _ := ed25519.GenerateKey(rand.Reader)
	WriteKey(t, filepath.Join(dir, "host_ed25519"), hostPriv)
	s.UserKey = filepath.Join(dir, "user_ed25519")
	WriteKey(t, s.UserKey, userPriv)
	upk, _ := xssh.NewPublicKey(userPub)
	if err := os.WriteFile(filepath.Join(dir, "authorized_keys"), xssh.MarshalAuthorizedKey(upk), 0o600); err != nil {
		t.Fatal(err)
	}
	s.HostKey, _ = xssh.NewPublicKey(hostPub)
	hostKeys := "HostKey " + filepath.Join(dir, "host_ed25519") + "\n"
	if o.rsa {
		rk, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			t.Fatal(err)
		}
		blk, err := xssh.MarshalPrivateKey(rk, "")
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "host_rsa"), pem.EncodeToMemory(blk), 0o600); err != nil {
			t.Fatal(err)
		}
		s.RSAHostKey, _ = xssh.NewPublicKey(&rk.PublicKey)
		hostKeys = "HostKey " + filepath.Join(dir, "host_rsa") + "\n" + hostKeys
	}

	// HOME points at the temp dir: root's own ~/.bashrc (which bash
	// sources for every command sshd runs) is this machine's business
	// and can take seconds.
	log := &SyncBuffer{}
	s.Log = log
	for attempt := 0; ; attempt++ {
		if o.lab != nil {
			s.Port = o.port
		} else {
			s.Port = freePort(t)
		}
		listen := "127.0.0.1"
		if o.lab != nil {
			listen = "0.0.0.0" // the namespace is the test's own: listen as a device does
		}
		conf := fmt.Sprintf(`Port %d
ListenAddress %s
%sAuthorizedKeysFile %s/authorized_keys
PasswordAuthentication no
KbdInteractiveAuthentication no
PubkeyAuthentication yes
PermitRootLogin prohibit-password
UsePAM no
StrictModes no
PidFile %s/sshd.pid
SetEnv HOME=%s
%s`, s.Port, listen, hostKeys, dir, dir, dir, o.extra)
		cfg := filepath.Join(dir, "sshd_config")
		s.Config = cfg
		if err := os.WriteFile(cfg, []byte(conf), 0o600); err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(sshdPath, "-D", "-e", "-f", cfg)
		if o.lab != nil {
			cmd = exec.Command("ip", "netns", "exec", o.lab.NS(o.ns), sshdPath, "-D", "-e", "-f", cfg)
		}
		cmd.Stdout, cmd.Stderr = log, log
		if err := cmd.Start(); err != nil {
			t.Fatalf("start sshd: %v", err)
		}
		s.PID = cmd.Process.Pid
		exited := make(chan struct{})
		go func() { _ = cmd.Wait(); close(exited) }()
		t.Cleanup(func() {
			_ = cmd.Process.Kill()
			<-exited
		})
		dialer := func(addr string) error {
			c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
			if err == nil {
				c.Close()
			}
			return err
		}
		if o.lab != nil {
			dialer = func(addr string) error {
				return o.lab.In(o.ns, func() error {
					c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
					if err == nil {
						c.Close()
					}
					return err
				})
			}
		}
		if waitListening(s.Addr(), exited, dialer, 10*time.Second) {
			break
		}
		if attempt == 2 || o.lab != nil {
			t.Fatalf("sshd did not start listening on %s:\n%s", s.Addr(), log.String())
		}
	}
	s.KnownHosts = filepath.Join(dir, "known_hosts")
	line := knownhosts.Line([]string{knownhosts.Normalize(s.Addr())}, s.HostKey) + "\n"
	if err := os.WriteFile(s.KnownHosts, []byte(line), 0o600); err != nil {
		t.Fatal(err)
	}
	return s
}

// waitListening waits until addr accepts connections, or sshd exits (a
// port taken between freePort and sshd's bind), or the time is up.
func waitListening(addr string, exited <-chan struct{}, dial func(string) error, max time.Duration) bool {
	deadline := time.Now().Add(max)
	for time.Now().Before(deadline) {
		select {
		case <-exited:
			return false
		default:
		}
		if dial(addr) == nil {
			return true
		}
		time.Sleep(20 * time.Millisecond)
	}
	return false
}

// Lab creates a network namespace of a fresh netlab lab for a test and
// removes it at cleanup; it skips (or fails under WARD_REQUIRE_REAL=1)
// where namespaces are unavailable.
func Lab(t testing.TB, ns string) *netlab.Lab {
	t.Helper()
	if err := netlab.Available(); err != nil {
		NeedReal(t, err.Error())
	}
	lab, err := netlab.New()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := lab.Close(); err != nil {
			t.Errorf("netlab: %v", err)
		}
	})
	if err := lab.AddNS(context.Background(), ns); err != nil {
		t.Fatal(err)
	}
	return lab
}

// DropConnections kills the sshd processes serving this server's
// connections (children of its listener, found by their parent pid), as
// a device restarting its SSH service would; the listener stays.
func (s *Server) DropConnections(t testing.TB) int {
	t.Helper()
	ents, err := os.ReadDir("/proc")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		stat, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		// "pid (comm) state ppid ...": comm may hold spaces, so parse
		// after its closing parenthesis.
		i := bytes.LastIndexByte(stat, ')')
		if i < 0 {
			continue
		}
		f := bytes.Fields(stat[i+1:])
		if len(f) < 2 {
			continue
		}
		if ppid, _ := strconv.Atoi(string(f[1])); ppid == s.PID {
			if p, err := os.FindProcess(pid); err == nil && p.Kill() == nil {
				n++
			}
		}
	}
	return n
}
