package realsrv

import (
	"bufio"
	"context"
	"crypto/fips140"
	"fmt"
	"net"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	xssh "golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

// sshRun logs in with auth, checking the host key against the server's
// known_hosts file, runs cmd and returns its output.
func sshRun(t *testing.T, srv *Server, user string, auth []xssh.AuthMethod, cmd string) (string, error) {
	hk, err := knownhosts.New(srv.SSH.KnownHosts)
	if err != nil {
		t.Fatal(err)
	}
	c, err := xssh.Dial("tcp", srv.Endpoint(SSHPort), &xssh.ClientConfig{
		User: user, Auth: auth, HostKeyCallback: hk, Timeout: 5 * time.Second,
	})
	if err != nil {
		return "", err
	}
	defer c.Close()
	sess, err := c.NewSession()
	if err != nil {
		return "", err
	}
	defer sess.Close()
	out, err := sess.CombinedOutput(cmd)
	return strings.TrimSpace(string(out)), err
}

func TestOpenSSH(t *testing.T) {
	t.Parallel()
	serve(t, OpenSSH)
}

func sshVerifiers() map[string]verifier {
	pw := func(p string) []xssh.AuthMethod { return []xssh.AuthMethod{xssh.Password(p)} }
	return map[string]verifier{
		Cleartext: func(t *testing.T, srv *Server, want any) error {
			// A password login and a command whose output names the
			// patient, through a recording relay.
			r := newRelay(t, srv.Endpoint(SSHPort))
			hk, err := knownhosts.New(srv.SSH.KnownHosts)
			if err != nil {
				t.Fatal(err)
			}
			c, err := xssh.Dial("tcp", r.Addr, &xssh.ClientConfig{
				User: SSHUser, Auth: pw(SSHPassword), Timeout: 5 * time.Second,
				// The relay's address is not in known_hosts; the key is.
				HostKeyCallback: func(_ string, _ net.Addr, k xssh.PublicKey) error {
					return hk(srv.Endpoint(SSHPort), &net.TCPAddr{IP: net.ParseIP(srv.Addr), Port: SSHPort}, k)
				},
			})
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			sess, err := c.NewSession()
			if err != nil {
				t.Fatal(err)
			}
			out, err := sess.CombinedOutput("echo " + PatientFamily + " " + PatientMRN)
			sess.Close()
			if err != nil || !strings.Contains(string(out), PatientMRN) {
				t.Fatalf("command through the relay: %q, %v", out, err)
			}
			seen := string(r.Seen())
			return is("patient readable on the wire", strings.Contains(seen, PatientMRN) || strings.Contains(seen, PatientFamily), want)
		},
		TLS: verifyTLSFlag,
		AnonymousAccess: func(t *testing.T, srv *Server, want any) error {
			_, err := sshRun(t, srv, SSHUser, nil, "true")
			return is(fmt.Sprintf("login without credentials (%v)", err), err == nil, want)
		},
		PasswordLogin: func(t *testing.T, srv *Server, want any) error {
			if _, err := sshRun(t, srv, SSHUser, pw("not-"+SSHPassword), "true"); err == nil {
				t.Fatal("a wrong password logged in")
			}
			out, err := sshRun(t, srv, SSHUser, pw(SSHPassword), "id -un")
			return is(fmt.Sprintf("password login (%q, %v)", out, err), err == nil && out == SSHUser, want)
		},
		RootPasswordLogin: func(t *testing.T, srv *Server, want any) error {
			// Root itself can log in (with its key): a refusal is the
			// password policy, not a missing account.
			out, err := sshRun(t, srv, "root", []xssh.AuthMethod{xssh.PublicKeys(srv.SSH.RootSigner)}, "id -u")
			if err != nil || out != "0" {
				t.Fatalf("root key login: %q, %v", out, err)
			}
			_, err = sshRun(t, srv, "root", pw(SSHRootPassword), "true")
			return is(fmt.Sprintf("root password login (%v)", err), err == nil, want)
		},
		DefaultCredentials: func(t *testing.T, srv *Server, want any) error {
			user, pass, _ := strings.Cut(want.(string), ":")
			out, err := sshRun(t, srv, user, pw(pass), "id -un")
			if err != nil || out != user {
				return fmt.Errorf("login as %s: %q, %v", want, out, err)
			}
			return nil
		},
		AuthMechanism: func(t *testing.T, srv *Server, want any) error {
			if want != "ssh-password" {
				return fmt.Errorf("no check for mechanism %q", want)
			}
			// OpenSSH's client shows the methods the server offers (Go's
			// does not); BatchMode makes it stop before asking for one.
			out, _ := tool(t, "ssh", "-v", "-F", "/dev/null", "-o", "BatchMode=yes",
				"-o", "UserKnownHostsFile="+srv.SSH.KnownHosts, "-o", "StrictHostKeyChecking=yes",
				"-p", strconv.Itoa(SSHPort), SSHUser+"@"+srv.Addr, "true")
			_, methods, ok := strings.Cut(out, "Authentications that can continue: ")
			methods, _, _ = strings.Cut(methods, "\n")
			if !ok || !slices.Contains(strings.Split(strings.TrimSpace(methods), ","), "password") {
				return fmt.Errorf("password not among the methods offered:\n%s", out)
			}
			return nil
		},
		ServerVersionDisclosed: func(t *testing.T, srv *Server, want any) error {
			c, err := net.DialTimeout("tcp", srv.Endpoint(SSHPort), 5*time.Second)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			_ = c.SetDeadline(time.Now().Add(5 * time.Second))
			banner, err := bufio.NewReader(c).ReadString('\n')
			if err != nil || !strings.HasPrefix(banner, "SSH-2.0-"+want.(string)) {
				return fmt.Errorf("banner %q: %v", banner, err)
			}
			return nil
		},
	}
}

// TestSSHTarget: the ssh driver's target URI for the server names its
// address on port 22, the root key and the known_hosts file; and the key
// and host key it names really log in (as root, over port 22).
func TestSSHTarget(t *testing.T) {
	t.Parallel()
	if fips140.Enabled() {
		t.Skip("skipping: x/crypto/ssh's curve25519 key exchange is refused in FIPS 140-3 mode")
	}
	srv, err := Start(context.Background(), t, OpenSSH)
	if err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(srv.SSHTarget("profile=x.hcl"))
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	if u.Scheme != "ssh" || u.User.Username() != "root" || u.Host != srv.Addr+":22" || q.Get("profile") != "x.hcl" {
		t.Fatalf("target %s", u)
	}
	key, err := os.ReadFile(q.Get("key"))
	if err != nil {
		t.Fatal(err)
	}
	signer, err := xssh.ParsePrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	srv.SSH.KnownHosts = q.Get("known_hosts")
	if out, err := sshRun(t, srv, "root", []xssh.AuthMethod{xssh.PublicKeys(signer)}, "id -u"); err != nil || out != "0" {
		t.Errorf("root login with the target's key and known_hosts: %q, %v", out, err)
	}
	if (&Server{}).SSHTarget("") != "" {
		t.Error("SSHTarget of a non-SSH server")
	}
}
