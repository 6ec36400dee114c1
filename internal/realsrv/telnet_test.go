package realsrv

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// telnetConn is a minimal telnet client: it refuses every option the
// server proposes and collects the text.
type telnetConn struct {
	c    net.Conn
	text bytes.Buffer
}

func telnetDial(t *testing.T, addr string) *telnetConn {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	_ = c.SetDeadline(time.Now().Add(20 * time.Second))
	return &telnetConn{c: c}
}

const (
	iac  = 255
	will = 251
	wont = 252
	do   = 253
	dont = 254
	sb   = 250
	se   = 240
)

// readUntil reads until the text holds one of the markers (after from)
// and returns the text read so far.
func (tc *telnetConn) readUntil(markers ...string) (string, error) {
	from := tc.text.Len()
	buf := make([]byte, 4096)
	var pending []byte
	for {
		text := tc.text.String()
		for _, m := range markers {
			if strings.Contains(text[from:], m) {
				return text, nil
			}
		}
		if tc.text.Len() > 1<<20 {
			return text, fmt.Errorf("no %q in 1 MiB", markers)
		}
		n, err := tc.c.Read(buf)
		if err != nil {
			return tc.text.String(), fmt.Errorf("waiting for %q: %w", markers, err)
		}
		pending = append(pending, buf[:n]...)
		pending = tc.consume(pending)
	}
}

// consume strips telnet commands from b (answering negotiations) and
// returns an incomplete command left at its end.
func (tc *telnetConn) consume(b []byte) []byte {
	for i := 0; i < len(b); i++ {
		if b[i] != iac {
			tc.text.WriteByte(b[i])
			continue
		}
		if i+1 >= len(b) {
			return b[i:]
		}
		switch op := b[i+1]; op {
		case do, dont, will, wont:
			if i+2 >= len(b) {
				return b[i:]
			}
			if op == do {
				_, _ = tc.c.Write([]byte{iac, wont, b[i+2]})
			} else if op == will {
				_, _ = tc.c.Write([]byte{iac, dont, b[i+2]})
			}
			i += 2
		case sb:
			end := bytes.Index(b[i:], []byte{iac, se})
			if end < 0 {
				return b[i:]
			}
			i += end + 1
		case iac:
			tc.text.WriteByte(iac)
			i++
		default:
			i++
		}
	}
	return nil
}

func (tc *telnetConn) send(line string) error {
	_, err := tc.c.Write([]byte(line + "\r\n"))
	return err
}

// login answers the prompts and reports whether a shell came up; the
// shell then runs cmd and its output (up to marker) is returned.
func (tc *telnetConn) login(user, pass, cmd, marker string) (bool, string, error) {
	if _, err := tc.readUntil("login: "); err != nil {
		return false, "", err
	}
	if err := tc.send(user); err != nil {
		return false, "", err
	}
	if _, err := tc.readUntil("Password: "); err != nil {
		return false, "", err
	}
	if err := tc.send(pass); err != nil {
		return false, "", err
	}
	text, err := tc.readUntil("$ ", "# ", "Login incorrect")
	if err != nil || strings.Contains(text, "Login incorrect") {
		return false, text, err
	}
	if err := tc.send(cmd); err != nil {
		return false, "", err
	}
	text, err = tc.readUntil(marker)
	return err == nil, text, err
}

func TestTelnetd(t *testing.T) {
	t.Parallel()
	serve(t, Telnetd)
}

func telnetdVerifiers() map[string]verifier {
	// Refused logins cost seconds (pam_faildelay, stock): observations a
	// claim and its opposite share are made once.
	type obs struct {
		once sync.Once
		ok   bool
		text string
		err  error
	}
	var anon, root obs
	return map[string]verifier{
		TLS: verifyTLSFlag,
		Cleartext: func(t *testing.T, srv *Server, want any) error {
			r := newRelay(t, srv.Endpoint(TelnetPort))
			ok, text, err := telnetDial(t, r.Addr).login(srv.User, srv.Password, "echo "+PatientFamily+" $((6*7))", PatientFamily+" 42")
			if !ok {
				t.Fatalf("login through the relay: %v\n%s", err, text)
			}
			seen := string(r.Seen())
			return is("password and patient readable on the wire", strings.Contains(seen, srv.Password+"\r\n") && strings.Contains(seen, PatientFamily+" 42"), want)
		},
		AnonymousAccess: func(t *testing.T, srv *Server, want any) error {
			anon.once.Do(func() {
				anon.ok, anon.text, anon.err = telnetDial(t, srv.Endpoint(TelnetPort)).login("guest", "", "echo WARD-$((6*7))", "WARD-42")
			})
			return is(fmt.Sprintf("shell without an account (%v)", anon.err), anon.ok, want)
		},
		DefaultCredentials: func(t *testing.T, srv *Server, want any) error {
			user, pass, _ := strings.Cut(want.(string), ":")
			ok, text, err := telnetDial(t, srv.Endpoint(TelnetPort)).login(user, pass, "id -un", user+"\r\n")
			if !ok {
				return fmt.Errorf("login as %s: %v\n%s", want, err, text)
			}
			return nil
		},
		AuthMechanism: func(t *testing.T, srv *Server, want any) error {
			if want != "telnet-login" {
				return fmt.Errorf("no check for mechanism %q", want)
			}
			tc := telnetDial(t, srv.Endpoint(TelnetPort))
			if _, err := tc.readUntil("login: "); err != nil {
				return err
			}
			if err := tc.send(srv.User); err != nil {
				return err
			}
			_, err := tc.readUntil("Password: ")
			return err
		},
		RootPasswordLogin: func(t *testing.T, srv *Server, want any) error {
			root.once.Do(func() {
				root.ok, root.text, root.err = telnetDial(t, srv.Endpoint(TelnetPort)).login("root", SSHRootPassword, "id -u; echo WARD-$((6*7))", "WARD-42")
				root.ok = root.ok && strings.Contains(root.text, "\n0\r\n")
			})
			return is(fmt.Sprintf("root shell with root's password (%v)", root.err), root.ok, want)
		},
		ServerVersionDisclosed: func(t *testing.T, srv *Server, want any) error {
			text, err := telnetDial(t, srv.Endpoint(TelnetPort)).readUntil("login: ")
			before, _, _ := strings.Cut(text, "login: ")
			if err != nil || !strings.Contains(before, " "+want.(string)+" ") {
				return fmt.Errorf("before the login prompt %q: %v", before, err)
			}
			return nil
		},
	}
}

// TestCleanupEndsOpenSessions: a telnet login still open when the test
// ends runs in a session of its own, outside the server's process group;
// the cleanup still ends it, so the namespace really goes.
func TestCleanupEndsOpenSessions(t *testing.T) {
	t.Parallel()
	var shell int
	var ns string
	t.Run("session", func(st *testing.T) {
		srv, err := Start(context.Background(), st, Telnetd)
		if err != nil {
			st.Fatal(err)
		}
		ns = srv.NS
		// Dialled on the outer t: the connection outlives this subtest
		// and its cleanup.
		ok, text, err := telnetDial(t, srv.Endpoint(TelnetPort)).login(srv.User, srv.Password, `echo P""ID=$$ E""ND`, " END")
		if !ok {
			st.Fatalf("login: %v\n%s", err, text)
		}
		text, _, _ = strings.Cut(text[strings.LastIndex(text, "PID=")+4:], " END")
		if shell, err = strconv.Atoi(strings.TrimSpace(text)); err != nil {
			st.Fatalf("shell pid %q", text)
		}
		if _, err := os.Stat("/proc/" + itoa(shell)); err != nil {
			st.Fatalf("the logged-in shell %d is not running", shell)
		}
	})
	if shell == 0 {
		return
	}
	stat, err := os.ReadFile("/proc/" + itoa(shell) + "/stat")
	if err == nil && !bytes.Contains(stat, []byte(") Z ")) {
		t.Errorf("the logged-in shell %d outlived the server: %s", shell, stat)
	}
	if out, _ := exec.Command("ip", "netns", "list").Output(); strings.Contains(string(out), ns) {
		t.Errorf("namespace %s left behind", ns)
	}
}
