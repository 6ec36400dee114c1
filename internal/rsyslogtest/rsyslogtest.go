// Package rsyslogtest runs a real rsyslogd (Debian packages rsyslog and
// rsyslog-gnutls) in the foreground as an RFC 5425 receiver, syslog over
// TLS on loopback, for interop tests. Each receiver has its own config,
// work directory, CA and port; the test's cleanup stops it.
package rsyslogtest

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wardsec/ward/internal/pki"
	"github.com/wardsec/ward/internal/realtool"
)

// Received is one message as rsyslog parsed and stored it.
type Received struct {
	Priority   int
	Time       time.Time // TIMESTAMP as rsyslog read it
	Host, App  string
	MsgID      string
	Structured string // STRUCTURED-DATA as stored, escapes intact
	Msg        string
}

// Receiver is a running rsyslogd.
type Receiver struct {
	// Addr is the TLS listener (127.0.0.1:PORT).
	Addr string
	// CA is the PEM CA that issued the receiver's certificate (for
	// 127.0.0.1 and localhost).
	CA []byte

	out    string
	mu     sync.Mutex
	stderr bytes.Buffer
}

const template = `%pri%\t%timereported:::date-rfc3339%\t%hostname%\t%app-name%\t%msgid%\t%structured-data%\t%msg%\n`

// Start runs rsyslogd -n with a TLS (gtls) imtcp input on a free
// loopback port. It skips t when rsyslogd or its gtls driver is missing
// (fails under WARD_REQUIRE_REAL=1).
func Start(t testing.TB) *Receiver {
	t.Helper()
	bin := realtool.Need(t, "rsyslogd", "rsyslog")
	if !gtlsInstalled() {
		realtool.Missing(t, "rsyslog's TLS driver lmnsd_gtls.so not found (Debian package rsyslog-gnutls)")
	}
	dir := t.TempDir()
	now := time.Now()
	ca, err := pki.NewCA("rsyslog test CA", now)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := ca.Issue("rsyslog receiver", pki.Localhost, false, now.Add(-time.Hour), now.Add(24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	certPEM, keyPEM, err := pki.PEM(leaf)
	if err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{"ca.pem": ca.CertPEM(), "cert.pem": certPEM, "key.pem": keyPEM}
	r := &Receiver{CA: ca.CertPEM(), out: filepath.Join(dir, "received.log")}
	conf := fmt.Sprintf(`global(workDirectory=%[1]q maxMessageSize="64k"
  defaultNetstreamDriver="gtls" defaultNetstreamDriverCAFile=%[2]q
  defaultNetstreamDriverCertFile=%[3]q defaultNetstreamDriverKeyFile=%[4]q)
module(load="imtcp" streamDriver.name="gtls" streamDriver.mode="1" streamDriver.authMode="anon")
input(type="imtcp" port="0" address="127.0.0.1" listenPortFileName=%[5]q)
template(name="ward" type="string" string="%[6]s")
action(type="omfile" file=%[7]q template="ward")
`, dir, filepath.Join(dir, "ca.pem"), filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem"),
		filepath.Join(dir, "port"), template, r.out)
	files["rsyslog.conf"] = []byte(conf)
	for name, b := range files {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command(bin, "-n", "-f", filepath.Join(dir, "rsyslog.conf"), "-i", filepath.Join(dir, "rsyslogd.pid"))
	cmd.Stdout, cmd.Stderr = &lockedWriter{r: r}, &lockedWriter{r: r}
	if err := cmd.Start(); err != nil {
		t.Fatalf("rsyslogd: %v", err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(os.Interrupt)
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
	})
	deadline := time.Now().Add(15 * time.Second)
	for {
		b, err := os.ReadFile(filepath.Join(dir, "port"))
		if port, perr := strconv.Atoi(strings.TrimSpace(string(b))); err == nil && perr == nil && port > 0 {
			r.Addr = net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
			break
		}
		select {
		case err := <-done:
			t.Fatalf("rsyslogd exited: %v\n%s", err, r.log())
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("rsyslogd did not listen within 15 s\n%s", r.log())
		}
	}
	return r
}

func gtlsInstalled() bool {
	for _, pattern := range []string{"/usr/lib/*/rsyslog/lmnsd_gtls.so", "/usr/lib/rsyslog/lmnsd_gtls.so", "/usr/lib64/rsyslog/lmnsd_gtls.so"} {
		if m, _ := filepath.Glob(pattern); len(m) > 0 {
			return true
		}
	}
	return false
}

type lockedWriter struct{ r *Receiver }

func (w *lockedWriter) Write(p []byte) (int, error) {
	w.r.mu.Lock()
	defer w.r.mu.Unlock()
	if w.r.stderr.Len() < 64<<10 {
		w.r.stderr.Write(p)
	}
	return len(p), nil
}

func (r *Receiver) log() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.stderr.String()
}

// Wait returns what rsyslog stored once it holds at least n messages, or
// an error (with rsyslogd's own output) when ctx ends first.
func (r *Receiver) Wait(ctx context.Context, n int) ([]Received, error) {
	for {
		got, err := r.read()
		if err == nil && len(got) >= n {
			return got, nil
		}
		select {
		case <-ctx.Done():
			raw, _ := os.ReadFile(r.out)
			if len(raw) > 4096 {
				raw = raw[:4096]
			}
			return got, fmt.Errorf("rsyslog stored %d of %d messages (%v): %w\nstored: %q\nrsyslogd: %s", len(got), n, err, ctx.Err(), raw, r.log())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func (r *Receiver) read() ([]Received, error) {
	f, err := os.Open(r.out)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []Received
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		line := sc.Text()
		f := strings.SplitN(line, "\t", 7)
		if len(f) != 7 {
			// An incomplete last line: rsyslog is still writing.
			break
		}
		pri, err := strconv.Atoi(f[0])
		if err != nil {
			return out, fmt.Errorf("stored line %q: bad priority", line)
		}
		tm, err := time.Parse(time.RFC3339Nano, f[1])
		if err != nil {
			return out, fmt.Errorf("stored line %q: %w", line, err)
		}
		out = append(out, Received{Priority: pri, Time: tm, Host: f[2], App: f[3], MsgID: f[4], Structured: f[5], Msg: f[6]})
	}
	return out, sc.Err()
}
