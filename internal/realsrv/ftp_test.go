package realsrv

import (
	"fmt"
	"net"
	"net/textproto"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// ftpConn is a minimal FTP client: enough to log in and fetch one file.
type ftpConn struct {
	*textproto.Conn
	raw    net.Conn
	Banner string
}

func ftpDial(t *testing.T, addr string) *ftpConn {
	t.Helper()
	raw, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	_ = raw.SetDeadline(time.Now().Add(10 * time.Second))
	c := &ftpConn{Conn: textproto.NewConn(raw), raw: raw}
	t.Cleanup(func() { c.Close() })
	_, msg, err := c.ReadResponse(220)
	if err != nil {
		t.Fatalf("banner: %v", err)
	}
	c.Banner = msg
	return c
}

// cmd sends a command and returns the reply code and text.
func (c *ftpConn) cmd(format string, args ...any) (int, string, error) {
	if _, err := c.Cmd(format, args...); err != nil {
		return 0, "", err
	}
	return c.ReadResponse(0)
}

// login reports whether user:pass is accepted (230).
func (c *ftpConn) login(user, pass string) (bool, error) {
	code, msg, err := c.cmd("USER %s", user)
	if err != nil || code != 331 {
		return false, fmt.Errorf("USER: %d %s %v", code, msg, err)
	}
	code, msg, err = c.cmd("PASS %s", pass)
	if code == 230 {
		return true, nil
	}
	return false, fmt.Errorf("PASS: %d %s %v", code, msg, err)
}

// retr fetches a file over a passive data connection.
func (c *ftpConn) retr(path string) (string, error) {
	code, msg, _ := c.cmd("PASV")
	if code != 227 {
		return "", fmt.Errorf("PASV: %d %s", code, msg)
	}
	open, close := strings.Index(msg, "("), strings.Index(msg, ")")
	if open < 0 || close < open {
		return "", fmt.Errorf("PASV reply %q", msg)
	}
	f := strings.Split(msg[open+1:close], ",")
	if len(f) != 6 {
		return "", fmt.Errorf("PASV reply %q", msg)
	}
	hi, _ := strconv.Atoi(f[4])
	lo, _ := strconv.Atoi(f[5])
	d, err := net.DialTimeout("tcp", net.JoinHostPort(strings.Join(f[:4], "."), strconv.Itoa(hi*256+lo)), 5*time.Second)
	if err != nil {
		return "", err
	}
	defer d.Close()
	if code, msg, _ := c.cmd("RETR %s", path); code != 150 {
		return "", fmt.Errorf("RETR: %d %s", code, msg)
	}
	_ = d.SetDeadline(time.Now().Add(5 * time.Second))
	body, err := readAll(d)
	if err != nil {
		return "", err
	}
	if _, _, err := c.ReadResponse(226); err != nil {
		return "", err
	}
	return string(body), nil
}

func TestVsftpd(t *testing.T) {
	t.Parallel()
	serve(t, Vsftpd)
}

func vsftpdVerifiers() map[string]verifier {
	var anon struct {
		once sync.Once
		ok   bool
		err  error
	}
	return map[string]verifier{
		TLS: verifyTLSFlag,
		Cleartext: func(t *testing.T, srv *Server, want any) error {
			r := newRelay(t, srv.Endpoint(FTPPort))
			c := ftpDial(t, r.Addr)
			if ok, err := c.login(srv.User, srv.Password); !ok {
				t.Fatalf("login through the relay: %v", err)
			}
			c.Close()
			time.Sleep(50 * time.Millisecond) // the relay's last bytes
			return is("password readable on the wire", strings.Contains(string(r.Seen()), "PASS "+srv.Password+"\r\n"), want)
		},
		AnonymousAccess: func(t *testing.T, srv *Server, want any) error {
			// Observed once: a refused login costs seconds (PAM's and
			// vsftpd's failure delays, stock), and the claim and its
			// opposite are judged on the same observation.
			anon.once.Do(func() {
				anon.ok, anon.err = ftpDial(t, srv.Endpoint(FTPPort)).login("anonymous", "ward@example.org")
			})
			return is(fmt.Sprintf("anonymous login (%v)", anon.err), anon.ok, want)
		},
		// A wrong password's refusal is the opposite claim's check.
		DefaultCredentials: func(t *testing.T, srv *Server, want any) error {
			user, pass, _ := strings.Cut(want.(string), ":")
			if ok, err := ftpDial(t, srv.Endpoint(FTPPort)).login(user, pass); !ok {
				return fmt.Errorf("login as %s: %v", want, err)
			}
			return nil
		},
		AuthMechanism: func(t *testing.T, srv *Server, want any) error {
			if want != "ftp-password" {
				return fmt.Errorf("no check for mechanism %q", want)
			}
			code, msg, err := ftpDial(t, srv.Endpoint(FTPPort)).cmd("USER %s", srv.User)
			if code != 331 {
				return fmt.Errorf("USER: %d %s %v (want 331, password required)", code, msg, err)
			}
			return nil
		},
		PatientData: func(t *testing.T, srv *Server, want any) error {
			c := ftpDial(t, srv.Endpoint(FTPPort))
			if ok, err := c.login(srv.User, srv.Password); !ok {
				t.Fatal(err)
			}
			body, err := c.retr(strings.TrimPrefix(want.(string), "/"))
			if err != nil || !strings.Contains(body, PatientMRN) || !strings.Contains(body, PatientFamily) {
				return fmt.Errorf("RETR %s: %v %q", want, err, body)
			}
			return nil
		},
		ServerVersionDisclosed: func(t *testing.T, srv *Server, want any) error {
			if b := ftpDial(t, srv.Endpoint(FTPPort)).Banner; !strings.Contains(b, want.(string)) {
				return fmt.Errorf("banner %q", b)
			}
			return nil
		},
	}
}
