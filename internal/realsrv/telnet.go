package realsrv

import (
	"context"
	"os"
	"path/filepath"
	"strings"
)

// TelnetPort is the telnet port.
const TelnetPort = 23

// inetdConf is the line Debian's telnetd package puts into
// /etc/inetd.conf (through tcpd, whose empty hosts.allow/deny allow all).
const inetdConf = "telnet stream tcp nowait root /usr/sbin/tcpd /usr/sbin/telnetd\n"

// startTelnetd runs openbsd-inetd with GNU inetutils telnetd as Debian
// installs them: /bin/login with the stock PAM configuration, which has no
// pam_securetty, so root may log in too. Accounts as for OpenSSH.
func startTelnetd(ctx context.Context, s *Server) error {
	if _, err := accounts(ctx, s); err != nil {
		return err
	}
	conf := filepath.Join(s.Dir, "inetd.conf")
	if err := os.WriteFile(conf, []byte(inetdConf), 0o644); err != nil {
		return err
	}
	release, err := run(ctx, s.Dir, "uname", "-r")
	if err != nil {
		return err
	}
	// -i: stay in the foreground.
	p, err := s.spawn("/usr/sbin/inetd", "-i", conf)
	if err != nil {
		return err
	}
	if err := s.waitPorts(ctx, p); err != nil {
		return err
	}
	s.User, s.Password = SSHUser, SSHPassword
	s.Truths = Truths{
		Cleartext:              true,
		TLS:                    false,
		AnonymousAccess:        false,
		DefaultCredentials:     SSHUser + ":" + SSHPassword,
		AuthMechanism:          "telnet-login",
		RootPasswordLogin:      true,
		ServerVersionDisclosed: strings.TrimSpace(release),
	}
	return nil
}
