// Package sshdtest starts a real OpenSSH server on loopback for tests of
// the ssh driver and the commands that use it. Not API.
package sshdtest

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
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
	HostKey    xssh.PublicKey
	UserKey    string // private key file
	KnownHosts string // known_hosts holding the right host key
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

// Start starts `sshd -D -e -f CONFIG` on a free loopback port with a
// fresh host key and one authorised user key, and stops it at cleanup.
func Start(t testing.TB) *Server {
	t.Helper()
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

	// HOME points at the temp dir: root's own ~/.bashrc (which bash
	// sources for every command sshd runs) is this machine's business
	// and can take seconds.
	log := &SyncBuffer{}
	s.Log = log
	for attempt := 0; ; attempt++ {
		s.Port = freePort(t)
		conf := fmt.Sprintf(`Port %d
ListenAddress 127.0.0.1
HostKey %s/host_ed25519
AuthorizedKeysFile %s/authorized_keys
PasswordAuthentication no
KbdInteractiveAuthentication no
PubkeyAuthentication yes
PermitRootLogin prohibit-password
UsePAM no
StrictModes no
PidFile %s/sshd.pid
SetEnv HOME=%s
`, s.Port, dir, dir, dir, dir)
		cfg := filepath.Join(dir, "sshd_config")
		if err := os.WriteFile(cfg, []byte(conf), 0o600); err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(sshdPath, "-D", "-e", "-f", cfg)
		cmd.Stdout, cmd.Stderr = log, log
		if err := cmd.Start(); err != nil {
			t.Fatalf("start sshd: %v", err)
		}
		exited := make(chan struct{})
		go func() { _ = cmd.Wait(); close(exited) }()
		t.Cleanup(func() {
			_ = cmd.Process.Kill()
			<-exited
		})
		if waitListening(s.Addr(), exited, 10*time.Second) {
			break
		}
		if attempt == 2 {
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
func waitListening(addr string, exited <-chan struct{}, max time.Duration) bool {
	deadline := time.Now().Add(max)
	for time.Now().Before(deadline) {
		select {
		case <-exited:
			return false
		default:
		}
		if c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond); err == nil {
			c.Close()
			return true
		}
		time.Sleep(20 * time.Millisecond)
	}
	return false
}
