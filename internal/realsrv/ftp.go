package realsrv

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// FTPPort is vsftpd's control port.
const FTPPort = 21

// FTPPatientFile is a patient list in the service account's home, as a
// device's export directory.
const FTPPatientFile = "exports/patient-list.csv"

// vsftpdConf is Debian's stock /etc/vsftpd.conf with its system paths in
// the server's directory and listen_ipv6 kept (standalone, every address;
// Debian's init script runs it so): local accounts log in, no TLS
// (ssl_enable=NO), no anonymous login.
const vsftpdConf = `listen=NO
listen_ipv6=YES
anonymous_enable=NO
local_enable=YES
dirmessage_enable=YES
use_localtime=YES
xferlog_enable=YES
xferlog_file=%[1]s/vsftpd.log
connect_from_port_20=YES
secure_chroot_dir=%[1]s/empty
pam_service_name=vsftpd
ssl_enable=NO
`

// startVsftpd runs vsftpd with the stock configuration; the "service"
// account (password "service", shared with OpenSSH on one host) has a
// patient list in its home.
func startVsftpd(ctx context.Context, s *Server) error {
	home, err := accounts(ctx, s)
	if err != nil {
		return err
	}
	if err := writeFiles(home, map[string]string{
		FTPPatientFile: "mrn,family,given,ward\n" + PatientMRN + "," + PatientFamily + "," + PatientGiven + ",3B\n",
	}); err != nil {
		return err
	}
	// vsftpd refuses a secure_chroot_dir that its users could write.
	if err := os.Mkdir(filepath.Join(s.Dir, "empty"), 0o755); err != nil {
		return err
	}
	conf := filepath.Join(s.Dir, "vsftpd.conf")
	if err := os.WriteFile(conf, []byte(fmt.Sprintf(vsftpdConf, s.Dir)), 0o600); err != nil {
		return err
	}
	p, err := s.spawn("vsftpd", conf)
	if err != nil {
		return err
	}
	if err := s.waitPorts(ctx, p); err != nil {
		return err
	}
	// The packaged version (vsftpd -v writes to its stdin, of all places).
	out, err := run(ctx, s.Dir, "dpkg-query", "-W", "-f", "${Version}", "vsftpd")
	version, _, _ := strings.Cut(strings.TrimSpace(out), "-")
	if err != nil || version == "" {
		return fmt.Errorf("dpkg-query vsftpd: %q, %v", out, err)
	}
	s.User, s.Password = SSHUser, SSHPassword
	s.Truths = Truths{
		Cleartext:              true,
		TLS:                    false,
		AnonymousAccess:        false,
		DefaultCredentials:     SSHUser + ":" + SSHPassword,
		AuthMechanism:          "ftp-password",
		PatientData:            "/" + FTPPatientFile,
		ServerVersionDisclosed: "vsFTPd " + version,
	}
	return nil
}
