package realsrv

import (
	"bytes"
	"context"
	"crypto/fips140"
	"crypto/tls"
	"fmt"
	"io"
	"maps"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// verifier checks one claim about a running server: nil when the server
// behaves as want says. t is for fixtures (relays, temp dirs) and for
// fatal setup errors only; the claim's verdict is the returned error.
type verifier func(t *testing.T, srv *Server, want any) error

// opposite is a claim a verifier must reject: the negation of a bool, a
// different number, a changed string. A verifier that accepts both a
// truth and its opposite proves nothing.
func opposite(key string, want any) any {
	if key == TLSMinVersion || key == TLSMaxVersion {
		// A neighbouring version: a wrong claim the verifier can test.
		if i := slices.Index(tlsVersionNames, want); i >= 0 && i+1 < len(tlsVersionNames) {
			return tlsVersionNames[i+1]
		} else if i > 0 {
			return tlsVersionNames[i-1]
		}
	}
	switch w := want.(type) {
	case bool:
		return !w
	case int:
		return w + 1
	case string:
		return w + "-not"
	}
	panic(fmt.Sprintf("truth value of type %T", want))
}

// verifiers maps each kind to the proofs of its truths.
func verifiers(kind Kind) map[string]verifier {
	switch kind {
	case Storescp:
		return storescpVerifiers()
	case Mosquitto:
		return mosquittoVerifiers()
	case NginxHTTP:
		return webVerifiers()
	case NginxWeakTLS:
		return weakTLSVerifiers()
	case NginxStrongTLS:
		return strongTLSVerifiers()
	case OpenSSH:
		return sshVerifiers()
	case Snmpd:
		return snmpVerifiers()
	case MosquittoSecure:
		return mosquittoSecureVerifiers()
	case Vsftpd:
		return vsftpdVerifiers()
	case Telnetd:
		return telnetdVerifiers()
	}
	panic("no verifiers for " + kind)
}

// serve starts kinds on one host inside a subtest, proves every truth of
// every server there (and that each proof rejects the opposite claim),
// and after the subtest (so after the host's cleanup) checks that no
// process, namespace, link or directory was left behind.
func serve(t *testing.T, kinds ...Kind) { serveOpts(t, true, kinds...) }

// serveOpts is serve, checking each proof against the opposite claim too
// when opposites is set.
func serveOpts(t *testing.T, opposites bool, kinds ...Kind) {
	if fips140.Enabled() {
		// The fixtures start, but Go's TLS and SSH clients refuse the
		// legacy protocols and keys these proofs must use.
		t.Skip("skipping: the truth proofs need TLS 1.0, RSA-1024 and curve25519, which FIPS 140-3 mode refuses")
	}
	var h *Host
	var pids []int
	begin := time.Now()
	t.Run("truths", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		var err error
		h, err = StartHost(ctx, t, kinds)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%v up at %s in %v", kinds, h.Addr, time.Since(begin).Round(time.Millisecond))
		for _, p := range h.procs {
			pids = append(pids, p.cmd.Process.Pid)
		}
		for _, srv := range h.Servers {
			// Not parallel: go test's -parallel (GOMAXPROCS) slots are
			// better spent on the top-level tests, which start servers.
			t.Run(string(srv.Kind), func(t *testing.T) { proveTruths(t, srv, opposites) })
		}
	})
	if h == nil || h.NS == "" {
		return // skipped or failed to start
	}
	t.Logf("%v: truths verified and host cleaned up after %v", kinds, time.Since(begin).Round(time.Millisecond))
	out, err := exec.Command("ip", "netns", "list").Output()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(out), h.NS) {
		t.Errorf("namespace %s left behind", h.NS)
	}
	if err := exec.Command("ip", "link", "show", h.hostIf).Run(); err == nil {
		t.Errorf("link %s left behind", h.hostIf)
	}
	for _, pid := range pids {
		// The process group: every server process (nginx's workers too).
		if _, err := os.Stat("/proc/" + itoa(pid)); err == nil {
			t.Errorf("process %d left behind", pid)
		}
		if live := liveGroup(pid); len(live) > 0 {
			t.Errorf("processes of group %d left behind: %v", pid, live)
		}
	}
	for _, d := range append(slices.Clone(h.dirs), h.etcDir) {
		if _, err := os.Stat(d); d != "" && err == nil {
			t.Errorf("directory %s left behind", d)
		}
	}
}

func itoa(i int) string { return strconv.Itoa(i) }

// relay forwards one TCP connection at a time from a loopback port to
// target and records every byte in both directions: what a passive
// observer on the path would see.
type relay struct {
	Addr string
	mu   sync.Mutex
	seen bytes.Buffer
}

func newRelay(t *testing.T, target string) *relay {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	r := &relay{Addr: ln.Addr().String()}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go r.pipe(c, target)
		}
	}()
	return r
}

func (r *relay) pipe(c net.Conn, target string) {
	defer c.Close()
	u, err := net.DialTimeout("tcp", target, 5*time.Second)
	if err != nil {
		return
	}
	defer u.Close()
	done := make(chan struct{}, 2)
	cp := func(dst, src net.Conn) {
		buf := make([]byte, 4096)
		for {
			n, err := src.Read(buf)
			if n > 0 {
				r.mu.Lock()
				r.seen.Write(buf[:n])
				r.mu.Unlock()
				if _, werr := dst.Write(buf[:n]); werr != nil {
					break
				}
			}
			if err != nil {
				break
			}
		}
		if tc, ok := dst.(*net.TCPConn); ok {
			_ = tc.CloseWrite()
		}
		done <- struct{}{}
	}
	go cp(u, c)
	go cp(c, u)
	<-done
	<-done
}

// Seen is every byte relayed so far.
func (r *relay) Seen() []byte {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.seen.Bytes())
}

// tool runs a client program with a time bound and returns its output.
func tool(t *testing.T, name string, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, name, args...).CombinedOutput()
	return string(out), err
}

func mustTool(t *testing.T, name string, args ...string) string {
	t.Helper()
	out, err := tool(t, name, args...)
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return out
}

// tlsHandshake tries a TLS handshake (any version Go supports, no
// certificate checks) and returns the connection state.
func tlsHandshake(addr string, cfg *tls.Config) (tls.ConnectionState, error) {
	if cfg == nil {
		cfg = &tls.Config{}
	}
	cfg.InsecureSkipVerify = true // we inspect the certificate ourselves
	if cfg.MinVersion == 0 {
		cfg.MinVersion = tls.VersionTLS10
	}
	d := &net.Dialer{Timeout: 3 * time.Second}
	c, err := tls.DialWithDialer(d, "tcp", addr, cfg)
	if err != nil {
		return tls.ConnectionState{}, err
	}
	defer c.Close()
	return c.ConnectionState(), nil
}

// verifyTLSFlag: a TLS ClientHello gets a ServerHello (want true) or not
// (want false) on every TCP port of the server.
func verifyTLSFlag(t *testing.T, srv *Server, want any) error {
	for _, p := range srv.Ports {
		if p.Proto != "tcp" {
			continue
		}
		_, err := tlsHandshake(srv.Endpoint(p.Port), nil)
		if got := err == nil; got != want {
			return fmt.Errorf("port %d: TLS handshake succeeded=%v (err %v)", p.Port, got, err)
		}
	}
	return nil
}

// is compares an observation with a claim.
func is(what string, got bool, want any) error {
	if got != want {
		return fmt.Errorf("%s: %v", what, got)
	}
	return nil
}

func firstLine(err error) string {
	s, _, _ := strings.Cut(err.Error(), "\n")
	return s
}

// readAll reads at most 1 MiB (servers under test are still untrusted).
func readAll(r io.Reader) ([]byte, error) { return io.ReadAll(io.LimitReader(r, 1<<20)) }

// TestHostWithEveryServer: every server on one address, as on one device
// with several services; every truth still holds there. (That each proof
// rejects the opposite claim is the single-server tests' job.)
func TestHostWithEveryServer(t *testing.T) {
	t.Parallel()
	serveOpts(t, false, Kinds()...)
}

// TestHardenedHost: both hardened servers on one address, a device a
// correct check finds nothing wrong with.
func TestHardenedHost(t *testing.T) {
	t.Parallel()
	serveOpts(t, false, Hardened()...)
}

// TestHostPorts: a host's ports are its servers' ports, each accepting
// connections at the host's address, and nothing else listens there.
func TestHostPorts(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	h, err := StartHost(ctx, t, []Kind{Mosquitto, NginxHTTP})
	if err != nil {
		t.Fatal(err)
	}
	if h.Server(Mosquitto) == nil || h.Server(NginxHTTP) == nil || h.Server(Storescp) != nil {
		t.Fatalf("Server lookup: %v", h.Servers)
	}
	want := []Port{{"tcp", HTTPPort, "http"}, {"tcp", MQTTPort, "mqtt"}}
	if got := h.Ports(); !slices.Equal(got, want) {
		t.Fatalf("Ports() = %v, want %v", got, want)
	}
	// What listens inside the namespace, as the kernel sees it.
	out, err := exec.CommandContext(ctx, "ip", "netns", "exec", h.NS, "ss", "-Hltn").Output()
	if err != nil {
		t.Fatal(err)
	}
	var listening []int
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Fields(line)
		if len(f) < 4 {
			continue
		}
		_, port, _ := net.SplitHostPort(f[3])
		n, _ := strconv.Atoi(port)
		if !slices.Contains(listening, n) {
			listening = append(listening, n)
		}
	}
	slices.Sort(listening)
	if !slices.Equal(listening, []int{HTTPPort, MQTTPort}) {
		t.Errorf("listening in the namespace: %v\n%s", listening, out)
	}
}

// proveTruths proves each truth of srv, and that each proof rejects the
// opposite claim.
func proveTruths(t *testing.T, srv *Server, opposites bool) {
	if len(srv.Truths) == 0 {
		t.Errorf("%s: no truths", srv.Kind)
	}
	vs := verifiers(srv.Kind)
	for _, key := range slices.Sorted(maps.Keys(srv.Truths)) {
		want := srv.Truths[key]
		v, ok := vs[key]
		if !ok {
			t.Errorf("%s: truth %q has no verifier: the table would be asserted, not verified", srv.Kind, key)
			continue
		}
		t.Run(key, func(t *testing.T) {
			if err := v(t, srv, want); err != nil {
				t.Errorf("%s=%v is not true: %v", key, want, err)
			}
			if !opposites {
				return
			}
			if err := v(t, srv, opposite(key, want)); err == nil {
				t.Errorf("the verifier also accepts %s=%v: it proves nothing", key, opposite(key, want))
			} else {
				t.Logf("rejects %s=%v: %v", key, opposite(key, want), firstLine(err))
			}
		})
	}
	for key := range vs {
		if _, ok := srv.Truths[key]; !ok {
			t.Errorf("%s: verifier for %q but no such truth", srv.Kind, key)
		}
	}
}

// TestSweepRemovesWhatADeadTestLeft: a host whose test process died (its
// registry entry names a pid that no longer runs) is removed by the next
// Start's sweep: servers killed, link, namespace and files gone.
func TestSweepRemovesWhatADeadTestLeft(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	h, err := StartHost(ctx, t, []Kind{Mosquitto, OpenSSH})
	if err != nil {
		t.Fatal(err)
	}
	pids := []int{}
	for _, p := range h.procs {
		pids = append(pids, p.cmd.Process.Pid)
	}
	// A pid that surely ran and surely ended.
	dead := exec.Command("true")
	if err := dead.Run(); err != nil {
		t.Fatal(err)
	}
	entry := filepath.Join(registry, h.NS)
	b, err := os.ReadFile(entry)
	if err != nil {
		t.Fatal(err)
	}
	_, rest, _ := strings.Cut(string(b), "\n")
	if err := os.WriteFile(entry, []byte(itoa(dead.Process.Pid)+"\n"+rest), 0o600); err != nil {
		t.Fatal(err)
	}
	h.mu.Lock()
	h.cleaned = true // the sweep, not the cleanup, must remove it all
	h.mu.Unlock()
	sweep(ctx)
	for _, p := range h.procs {
		select {
		case <-p.exited:
		case <-time.After(5 * time.Second):
			t.Errorf("server %d survived the sweep", p.cmd.Process.Pid)
		}
	}
	for _, pid := range pids {
		deadline := time.Now().Add(5 * time.Second)
		for len(liveGroup(pid)) > 0 && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond)
		}
		if live := liveGroup(pid); len(live) > 0 {
			t.Errorf("processes of group %d survived: %v", pid, live)
		}
	}
	if out, _ := exec.Command("ip", "netns", "list").Output(); strings.Contains(string(out), h.NS) {
		t.Errorf("namespace %s survived", h.NS)
	}
	if err := exec.Command("ip", "link", "show", h.hostIf).Run(); err == nil {
		t.Errorf("link %s survived", h.hostIf)
	}
	for _, p := range append(slices.Clone(h.dirs), h.etcDir, entry) {
		if _, err := os.Stat(p); err == nil {
			t.Errorf("%s survived", p)
		}
	}
	// A live owner's entry is left alone: this process's own hosts.
	h2, err := StartHost(ctx, t, []Kind{NginxHTTP})
	if err != nil {
		t.Fatal(err)
	}
	sweep(ctx)
	if _, err := os.Stat(filepath.Join(registry, h2.NS)); err != nil {
		t.Errorf("a live test's host was swept: %v", err)
	}
}

// TestHostRefusesAPortClash: two servers on one port cannot be told
// apart (the second's readiness check could reach the first), so
// StartHost fails the test before starting anything; and the same kind
// twice is such a clash.
func TestHostRefusesAPortClash(t *testing.T) {
	t.Parallel()
	for _, kinds := range [][]Kind{{NginxWeakTLS, NginxStrongTLS}, {Mosquitto, Mosquitto}} {
		var failed bool
		done := make(chan struct{})
		// StartHost calls t.Fatalf: run it on a TB whose FailNow ends only
		// this goroutine.
		tb := &fatalRecorder{TB: t}
		go func() {
			defer close(done)
			defer func() { failed = tb.failed }()
			_, _ = StartHost(context.Background(), tb, kinds)
		}()
		<-done
		if !failed || !strings.Contains(tb.msg, "both use") {
			t.Errorf("StartHost(%v): failed=%v %q", kinds, failed, tb.msg)
		}
	}
}

// fatalRecorder records a Fatal instead of failing the test.
type fatalRecorder struct {
	testing.TB
	failed bool
	msg    string
}

func (f *fatalRecorder) Fatalf(format string, args ...any) {
	f.failed, f.msg = true, fmt.Sprintf(format, args...)
	runtime.Goexit()
}

func (f *fatalRecorder) Fatal(args ...any) {
	f.failed, f.msg = true, fmt.Sprint(args...)
	runtime.Goexit()
}
