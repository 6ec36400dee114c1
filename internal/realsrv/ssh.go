package realsrv

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	xssh "golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"

	"github.com/wardsec/ward/internal/sshdtest"
)

// SSHPort is where sshd listens: the well-known port (the ssh driver must
// cope with port 22 in known_hosts, which loopback tests never exercise).
const SSHPort = 22

// The weak account, and root's password inside the server's namespace
// (which sshd's stock PermitRootLogin prohibit-password refuses).
const (
	SSHUser         = "service"
	SSHPassword     = "service"
	SSHRootPassword = "root"
)

// SSHInfo is what a client needs to reach an OpenSSH server.
type SSHInfo struct {
	User, Password string         // the weak password account
	HostKey        xssh.PublicKey // the server's ed25519 host key
	KnownHosts     string         // known_hosts file naming Addr (port 22) with HostKey
	RootKey        string         // private key file authorised for root
	RootSigner     xssh.Signer    // the same key, for Go clients
}

// SSHTarget is the ssh:// target URI (the ssh driver's syntax, as in
// internal/sshdtest) that logs in as root with RootKey and checks the host
// key against KnownHosts, plus extra query text ("profile=..."). "" when
// the server is not an OpenSSH server.
func (s *Server) SSHTarget(extra string) string {
	if s.SSH == nil {
		return ""
	}
	u := fmt.Sprintf("ssh://root@%s?key=%s&known_hosts=%s", s.Endpoint(SSHPort), s.SSH.RootKey, s.SSH.KnownHosts)
	if extra != "" {
		u += "&" + extra
	}
	return u
}

// sshdConf is Debian's stock /etc/ssh/sshd_config (the Include of the
// machine's sshd_config.d dropped) with the server's own host key, pid
// file and authorised keys. Password authentication is on, as it is by
// default. UsePAM is off: pam_loginuid cannot write the login uid in a
// container, and without PAM sshd checks /etc/shadow itself, with the same
// outcome for passwords.
const sshdConf = `Port %[2]d
HostKey %[1]s/ssh_host_ed25519_key
PidFile %[1]s/sshd.pid
AuthorizedKeysFile %[1]s/authorized_keys/%%u
StrictModes no
KbdInteractiveAuthentication no
UsePAM no
X11Forwarding yes
PrintMotd no
AcceptEnv LANG LC_*
Subsystem	sftp	/usr/lib/openssh/sftp-server
`

// startOpenSSH runs sshd in the namespace. Its accounts come from files
// that `ip netns exec` binds over /etc/passwd, /etc/group and /etc/shadow
// for processes of this namespace only (/etc/netns/NAME): the machine's
// accounts plus "service" (password "service"), with root's password
// "root"; the machine's own account files are never touched.
func startOpenSSH(ctx context.Context, s *Server) error {
	// sshd refuses to start without its privilege-separation directory.
	if err := os.MkdirAll("/run/sshd", 0o755); err != nil {
		return err
	}
	info := &SSHInfo{User: SSHUser, Password: SSHPassword}
	s.User, s.Password = SSHUser, SSHPassword
	if _, err := accounts(ctx, s); err != nil {
		return err
	}
	_, hostPriv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return err
	}
	_, rootPriv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return err
	}
	sshdtest.WriteKey(s.tb, filepath.Join(s.Dir, "ssh_host_ed25519_key"), hostPriv)
	info.RootKey = filepath.Join(s.Dir, "root_ed25519")
	sshdtest.WriteKey(s.tb, info.RootKey, rootPriv)
	if info.RootSigner, err = xssh.NewSignerFromKey(rootPriv); err != nil {
		return err
	}
	if info.HostKey, err = xssh.NewPublicKey(hostPriv.Public()); err != nil {
		return err
	}
	if err := writeFiles(s.Dir, map[string]string{
		"authorized_keys/root": string(xssh.MarshalAuthorizedKey(info.RootSigner.PublicKey())),
		"sshd_config":          fmt.Sprintf(sshdConf, s.Dir, SSHPort),
	}); err != nil {
		return err
	}
	info.KnownHosts = filepath.Join(s.Dir, "known_hosts")
	line := knownhosts.Line([]string{knownhosts.Normalize(s.Endpoint(SSHPort))}, info.HostKey) + "\n"
	if err := os.WriteFile(info.KnownHosts, []byte(line), 0o600); err != nil {
		return err
	}
	s.SSH = info

	out, _ := run(ctx, s.Dir, "/usr/sbin/sshd", "-V") // prints its version and exits 1
	version, _, _ := strings.Cut(strings.TrimSpace(out), ",")
	if !strings.HasPrefix(version, "OpenSSH_") {
		return fmt.Errorf("sshd -V: unexpected %q", out)
	}
	p, err := s.spawn("/usr/sbin/sshd", "-D", "-e", "-f", filepath.Join(s.Dir, "sshd_config"))
	if err != nil {
		return err
	}
	if err := s.waitPorts(ctx, p); err != nil {
		return err
	}
	s.Truths = Truths{
		Cleartext:              false,
		TLS:                    false,
		AnonymousAccess:        false,
		PasswordLogin:          true,
		RootPasswordLogin:      false,
		DefaultCredentials:     SSHUser + ":" + SSHPassword,
		AuthMechanism:          "ssh-password",
		ServerVersionDisclosed: version,
	}
	return nil
}

// accounts writes /etc/netns/NAME/{passwd,group,shadow} once per host
// (servers start one after the other) and returns the home directory of
// the "service" account.
func accounts(ctx context.Context, s *Server) (string, error) {
	h := s.host
	if h.serviceHome != "" {
		return h.serviceHome, nil
	}
	home, err := writeAccounts(ctx, s)
	if err != nil {
		return "", err
	}
	h.serviceHome = home
	return home, nil
}

func writeAccounts(ctx context.Context, s *Server) (string, error) {
	h := s.host
	h.mu.Lock()
	h.etcDir = filepath.Join("/etc/netns", s.NS)
	err := h.record()
	h.mu.Unlock()
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(h.etcDir, 0o755); err != nil {
		return "", err
	}
	home, rootHome := filepath.Join(s.Dir, "home", SSHUser), filepath.Join(s.Dir, "home", "root")
	for _, d := range []string{home, rootHome} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return "", err
		}
	}
	hash := func(pw string) (string, error) {
		out, err := hashPassword(ctx, s.Dir, "-6", pw)
		return strings.TrimSpace(out), err
	}
	userHash, err := hash(SSHPassword)
	if err != nil {
		return "", err
	}
	rootHash, err := hash(SSHRootPassword)
	if err != nil {
		return "", err
	}
	const uid = "64077" // far from the machine's own accounts
	files := map[string]struct {
		add  string
		mode os.FileMode
		edit func(line string) string
	}{
		// Root's home moves into the server's directory: the machine's own
		// ~/.bashrc, which bash sources for every command sshd runs, is
		// the machine's business and can take seconds.
		"passwd": {add: SSHUser + ":x:" + uid + ":" + uid + ":Service account:" + home + ":/bin/sh\n", mode: 0o644, edit: func(line string) string {
			if f := strings.Split(line, ":"); len(f) == 7 && f[0] == "root" {
				f[5] = rootHome
				return strings.Join(f, ":")
			}
			return line
		}},
		"group": {add: SSHUser + ":x:" + uid + ":\n", mode: 0o644},
		"shadow": {add: SSHUser + ":" + userHash + ":20000:0:99999:7:::\n", mode: 0o640, edit: func(line string) string {
			if f := strings.SplitN(line, ":", 3); len(f) == 3 && f[0] == "root" {
				return "root:" + rootHash + ":" + f[2]
			}
			return line
		}},
	}
	for name, f := range files {
		orig, err := os.ReadFile(filepath.Join("/etc", name))
		if err != nil {
			return "", err
		}
		var b bytes.Buffer
		for _, line := range strings.SplitAfter(string(orig), "\n") {
			if strings.HasPrefix(line, SSHUser+":") {
				continue
			}
			if f.edit != nil {
				line = f.edit(line)
			}
			b.WriteString(line)
		}
		if b.Len() > 0 && !bytes.HasSuffix(b.Bytes(), []byte("\n")) {
			b.WriteByte('\n')
		}
		b.WriteString(f.add)
		if err := os.WriteFile(filepath.Join(h.etcDir, name), b.Bytes(), f.mode); err != nil {
			return "", err
		}
	}
	return home, nil
}
