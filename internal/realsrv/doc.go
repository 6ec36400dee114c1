// Package realsrv starts real third-party servers, installed from Debian
// packages, for tests of Ward's black-box drivers (net://, ssh://). Not API.
//
// Each server runs as a real process inside its own network namespace
// (internal/netlab, random per-run prefix), linked to the test process's
// namespace by a veth pair with a /30 out of 10.213.0.0/16: Server.Addr is
// the server's end, reachable from the test process and from nowhere else.
// Start waits (bounded) until every TCP port accepts connections; t's
// cleanup kills every process in the namespace (server process groups and
// login sessions alike) and removes the link, the namespace and the
// server's files. Nothing depends on a system-wide
// service: every server has its own configuration and data directory.
// StartHost puts several servers in one namespace at one address (a device
// with several services); Host.Ports lists them all.
//
//	srv, err := realsrv.Start(ctx, t, realsrv.Mosquitto)
//	// srv.Addr "10.213.x.y"; srv.Ports [{tcp 1883 mqtt}];
//	// srv.Truths[realsrv.AnonymousAccess] == true
//	h, err := realsrv.StartHost(ctx, t, []realsrv.Kind{realsrv.Storescp, realsrv.NginxHTTP, realsrv.OpenSSH})
//	// h.Addr, h.Ports() [{tcp 22 ssh} {tcp 80 http} {tcp 104 dicom}], h.Server(realsrv.OpenSSH).SSH.KnownHosts
//
// The 10.213.0.0/16 links are allocated under a lock file
// (/run/ward-realsrv.lock), so parallel test processes never collide.
// Each live host has an entry in /run/ward-realsrv/ naming its test
// process; a test binary killed before its cleanup (timeout, ^C) leaves
// servers that dropped root running (mosquitto, snmpd: the kernel clears
// their parent-death signal), and the next Start sweeps them, with their
// namespace, link and files.
//
// Configuration is the package's stock one wherever stock is insecure
// (that is what Ward must catch), changed only as far as needed to be
// reachable from the network, as commonly deployed. Every server carries
// the synthetic test patient "Testpatient^Ada", MRN "MRN-77123456",
// stored through the server's own protocol.
//
// Every Server has a truth table (Server.Truths, keys are the constants
// Cleartext, TLS, ...): what is true about it as configured. The package's
// tests prove each entry with the server's own client tools or a few lines
// of Go, and fail when a truth has no proof, so tests elsewhere can use
// the table as ground truth (e.g. "net:// must report every truth").
//
// # Storescp (dcmtk)
//
// `storescp --output-directory DATA 104`: dcmtk's storage SCP with its
// stock options (AE title STORESCP, which it does not enforce; no AE
// title lists; no TLS). At start the test study (a 2×2 Secondary Capture
// made by dump2dcm from a text dump) is sent with storescu from an AE
// title it has never seen, and lands as DataDir/SC.<SOP instance UID>.
// Truths: cleartext, no TLS, anonymous access (no user identity), any
// calling AE, any called AE, C-ECHO, C-STORE accepted (a write), patient
// data at DataDir/StudyFile.
//
// # Mosquitto
//
// Mosquitto 2.x (Debian 12) listens only on localhost by default; the
// fixture adds `listener 1883` and `allow_anonymous true` (no password
// file, no ACL), the common insecure deployment. A retained message with
// the test patient's vital signs is published at start on MQTTTopic.
// Truths: cleartext, no TLS, anonymous access, anonymous publish,
// subscribe to "#", patient data on MQTTTopic (retained).
//
// # NginxHTTP
//
// nginx with Debian's stock nginx.conf (paths moved into the server's
// directory) and one site on port 80: a device web UI whose PatientPath
// shows the test patient to anyone, and AdminPath behind HTTP Basic auth
// with admin:admin. Truths: cleartext, no TLS, anonymous access, patient
// data at PatientPath, default credentials admin:admin over http-basic,
// the Server header discloses nginx's version (stock server_tokens).
//
// # NginxWeakTLS
//
// The same site on port 443 only, with a self-signed RSA-1024 certificate
// for CN=ward-test-device (no subjectAltName; Server.CA holds it) that
// expired on 1 January 2021, `ssl_protocols TLSv1 TLSv1.1 TLSv1.2` and
// nginx's default cipher string at OpenSSL security level 0
// (`HIGH:!aNULL:!MD5:@SECLEVEL=0`), without which Debian 12's OpenSSL 3
// would refuse TLS 1.0 and the 1024-bit key. Truths: TLS, not cleartext,
// TLS 1.0 accepted (min), TLS 1.2 max (no 1.3), weak cipher AES128-SHA
// (RSA key exchange, CBC, SHA-1), self-signed, 1024-bit RSA key,
// certificate does not name Server.Addr, certificate expired, and the web
// truths of NginxHTTP behind TLS.
//
// # OpenSSH
//
// sshd -D with Debian's stock sshd_config (password authentication on, as
// by default; PermitRootLogin prohibit-password, the default) on port 22,
// with its own ed25519 host key (Server.SSH.KnownHosts names it for
// Addr:22, i.e. the bare address) and UsePAM no (pam_loginuid fails in
// containers; sshd then checks /etc/shadow itself). Accounts: files in
// /etc/netns/NS/ that `ip netns exec` binds over /etc/passwd, group and
// shadow for this namespace only, holding the machine's accounts plus
// "service" with password "service", and root with password "root"
// (which sshd's root-login policy refuses; root logs in with
// Server.SSH.RootKey instead, for drivers that look inside) and a home in
// the server's directory (the machine's ~/.bashrc stays out). Truths: not
// cleartext, no TLS,
// no anonymous access, password login, no root password login, default
// credentials service:service over ssh-password, banner discloses the
// OpenSSH version.
//
// # Snmpd (net-snmp)
//
// snmpd run as Debian runs it (as Debian-snmp, smux and mteTrigger off)
// with Debian's stock snmpd.conf (read community "public" from anywhere,
// system view only) minus the AgentX socket and include directory, and
// `agentaddress udp:161` instead of loopback only: the common insecure
// deployment. The one UDP service (Port{Proto: "udp"}); readiness is an
// answered GET. Truths: cleartext (community and answers on the wire),
// default credential "public" over snmp-v2c-community, no write access
// with it (SET refused: noAccess), sysDescr discloses the kernel release.
//
// # Vsftpd
//
// vsftpd with Debian's stock vsftpd.conf (standalone on every address via
// listen_ipv6, local accounts log in, ssl_enable=NO, no anonymous login),
// its log and secure_chroot_dir in the server's directory. Accounts as for
// OpenSSH (shared when both are on one host); "service" has
// exports/patient-list.csv naming the test patient. Failed logins take
// seconds (PAM's and vsftpd's stock failure delays). Truths: cleartext
// (USER/PASS on the wire), no TLS, no anonymous access, default
// credentials service:service over ftp-password, patient data at
// /exports/patient-list.csv (after login), banner discloses the version.
//
// # Telnetd
//
// openbsd-inetd running GNU inetutils telnetd through tcpd, the line
// Debian's telnetd package installs, with /bin/login and the stock PAM
// configuration (no pam_securetty, 3 s failure delay). Accounts as for
// OpenSSH. Truths: cleartext (password and session on the wire), no TLS,
// no anonymous access, default credentials service:service over
// telnet-login, root logs in with its password ("root": so root:root is
// accepted too, and a probe may report either), the pre-login banner
// discloses the kernel release.
//
// # NginxStrongTLS (hardened counterpart, not in Kinds; see Hardened)
//
// For checks that must find nothing wrong on a well-configured device:
// port 443 only, an ECDSA P-256 certificate valid now for Server.Addr
// (subjectAltName IP) issued by a test CA (Server.CA), `ssl_protocols
// TLSv1.2 TLSv1.3` with ECDHE-ECDSA AEAD suites only, server_tokens off,
// and every page behind HTTP Basic auth with a random password
// (Server.User, Server.Password). Truths: TLS, not cleartext, TLS 1.2
// min, TLS 1.3 max, no weak cipher (""), not self-signed, names its
// address, not expired, no anonymous access, no default credentials (""),
// http-basic, no version disclosed ("").
//
// # MosquittoSecure (hardened counterpart, not in Kinds)
//
// One TLS listener on 8883 (tls_version tlsv1.2, ECDHE-ECDSA AEAD suites)
// with a certificate like NginxStrongTLS's, allow_anonymous false and a
// password file with one account (Server.User, Server.Password), which
// published the retained patient message. Truths: TLS, not cleartext, TLS
// 1.2 min, TLS 1.3 max, no weak cipher, not self-signed, names its
// address, not expired, no anonymous access, no default credentials,
// mqtt-password.
//
// # Requirements
//
// Root (namespaces), iproute2 and nftables (netlab's check), and the
// Debian packages dcmtk, mosquitto, mosquitto-clients, nginx-light (or
// nginx), openssl, openssh-server, openssh-client, snmpd, snmp, vsftpd,
// openbsd-inetd, inetutils-telnetd (or telnetd) and tcpd. When something is missing Start skips the test with a
// one-line reason, or fails it when WARD_REQUIRE_REAL=1.
package realsrv
