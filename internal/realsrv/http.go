package realsrv

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// Web UI ports.
const (
	HTTPPort  = 80
	HTTPSPort = 443
)

// Web UI paths.
const (
	// PatientPath is a page that shows the test patient to anyone.
	PatientPath = "/patient.html"
	// AdminPath is protected by HTTP Basic auth with AdminUser:AdminPassword.
	AdminPath = "/admin/"
	// AdminMarker appears only on the admin page (proof a login worked).
	AdminMarker = "Device administration: firmware 2.4.1"
)

// The web UI's default credential (appliance vendors' favourite).
const (
	AdminUser     = "admin"
	AdminPassword = "admin"
)

// TLS certificate of the weak-TLS server: a self-signed RSA-1024 key whose
// subject names a host name, not the address the server is reached at,
// and which expired on 1 January 2021.
const (
	CertCN   = "ward-test-device"
	CertBits = 1024
)

// The certificate's validity: long past (openssl req -x509 cannot
// backdate, openssl ca can).
const (
	certNotBefore = "20200101000000Z"
	certNotAfter  = "20210101000000Z"
)

// caConf is the least `openssl ca` needs to sign one certificate.
const caConf = `[ca]
default_ca = d
[d]
database = ca/index.txt
new_certs_dir = ca
serial = ca/serial
default_md = sha256
policy = p
unique_subject = no
[p]
commonName = supplied
`

// selfSign makes the weak server's key and its expired self-signed
// certificate with OpenSSL's own tools.
func selfSign(ctx context.Context, dir, cert, key string) error {
	if err := writeFiles(dir, map[string]string{"ca/index.txt": "", "ca/serial": "01\n", "ca/ca.cnf": caConf}); err != nil {
		return err
	}
	csr := filepath.Join(dir, "ca", "req.csr")
	for _, args := range [][]string{
		{"genrsa", "-out", key, strconv.Itoa(CertBits)},
		{"req", "-new", "-key", key, "-subj", "/CN=" + CertCN, "-out", csr},
		{"ca", "-batch", "-config", "ca/ca.cnf", "-selfsign", "-keyfile", key, "-in", csr,
			"-startdate", certNotBefore, "-enddate", certNotAfter, "-notext", "-out", cert},
	} {
		if _, err := run(ctx, dir, "openssl", args...); err != nil {
			return err
		}
	}
	return nil
}

// webFiles is a small device web UI.
var webFiles = map[string]string{
	"html/index.html": `<!doctype html><title>Ward test device</title>
<h1>Infusion manager</h1><p><a href="patient.html">Current patient</a> | <a href="admin/">Administration</a></p>
`,
	"html/patient.html": `<!doctype html><title>Current patient</title>
<h1>Current patient</h1><p>Name: ` + PatientFamily + `, ` + PatientGiven + `</p><p>MRN: ` + PatientMRN + `</p>
<p>Rate: 12.5 mL/h</p>
`,
	"html/admin/index.html": `<!doctype html><title>Administration</title><h1>` + AdminMarker + `</h1>
`,
}

// nginxConf is Debian's stock /etc/nginx/nginx.conf (user, events, mime
// types, gzip) with its system paths moved into the server's directory,
// one worker instead of one per core (start-up time), no dynamic modules,
// and the sites-enabled include replaced by one site.
// %[1]s is the directory, %[2]s the http-level TLS lines, %[3]s the listen
// line and its TLS lines, %[4]s further server-level lines.
const nginxConf = `user www-data;
worker_processes 1;
pid %[1]s/nginx.pid;
error_log stderr;
events {
	worker_connections 768;
}
http {
	sendfile on;
	tcp_nopush on;
	types_hash_max_size 2048;
	include /etc/nginx/mime.types;
	default_type application/octet-stream;
	access_log %[1]s/access.log;
	client_body_temp_path %[1]s/tmp/body;
	proxy_temp_path %[1]s/tmp/proxy;
	fastcgi_temp_path %[1]s/tmp/fastcgi;
	uwsgi_temp_path %[1]s/tmp/uwsgi;
	scgi_temp_path %[1]s/tmp/scgi;
	gzip on;
%[2]s
	server {
		%[3]s
		root %[1]s/html;
		index index.html;
		server_name _;
%[4]s
		location / {
			try_files $uri $uri/ =404;
		}
		location /admin/ {
			auth_basic "Device administration";
			auth_basic_user_file %[1]s/htpasswd;
		}
	}
}
`

// weakTLS: TLS 1.0 to 1.2 as in Debian's stock nginx.conf (minus 1.3, as
// on older devices), nginx's default cipher string, and OpenSSL's
// security level 0 so that TLS 1.0 and the RSA-1024 key really work on
// Debian 12's OpenSSL 3 (whose default level 2 would refuse both).
const weakTLS = `	ssl_protocols TLSv1 TLSv1.1 TLSv1.2;
	ssl_ciphers HIGH:!aNULL:!MD5:@SECLEVEL=0;
	ssl_prefer_server_ciphers on;`

func startNginxHTTP(ctx context.Context, s *Server) error {
	s.User, s.Password = AdminUser, AdminPassword
	version, err := startNginx(ctx, s, "", fmt.Sprintf("listen %d default_server;", HTTPPort), "")
	if err != nil {
		return err
	}
	s.Truths = Truths{
		Cleartext:              true,
		TLS:                    false,
		AnonymousAccess:        true,
		PatientData:            PatientPath,
		DefaultCredentials:     AdminUser + ":" + AdminPassword,
		AuthMechanism:          "http-basic",
		ServerVersionDisclosed: version,
	}
	return nil
}

func startNginxTLS(ctx context.Context, s *Server) error {
	cert, key := filepath.Join(s.Dir, "cert.pem"), filepath.Join(s.Dir, "key.pem")
	if err := selfSign(ctx, s.Dir, cert, key); err != nil {
		return err
	}
	pem, err := os.ReadFile(cert)
	if err != nil {
		return err
	}
	s.CA = pem
	listen := fmt.Sprintf("listen %d ssl default_server;\n\t\tssl_certificate %s;\n\t\tssl_certificate_key %s;", HTTPSPort, cert, key)
	s.User, s.Password = AdminUser, AdminPassword
	version, err := startNginx(ctx, s, weakTLS, listen, "")
	if err != nil {
		return err
	}
	s.Truths = Truths{
		Cleartext:              false,
		TLS:                    true,
		TLSMinVersion:          "TLS1.0",
		TLSMaxVersion:          "TLS1.2",
		WeakCipher:             "AES128-SHA",
		SelfSigned:             true,
		RSAKeyBits:             CertBits,
		HostnameMismatch:       true,
		CertExpired:            true,
		AnonymousAccess:        true,
		PatientData:            PatientPath,
		DefaultCredentials:     AdminUser + ":" + AdminPassword,
		AuthMechanism:          "http-basic",
		ServerVersionDisclosed: version,
	}
	return nil
}

// startNginx writes the site and runs nginx; it returns the product and
// version nginx reports (what its Server header volunteers).
func startNginx(ctx context.Context, s *Server, httpTLS, listen, serverExtra string) (string, error) {
	out, err := run(ctx, s.Dir, "nginx", "-v")
	if err != nil {
		return "", err
	}
	_, version, ok := strings.Cut(strings.TrimSpace(out), "version: ")
	if !ok {
		return "", fmt.Errorf("nginx -v: unexpected %q", out)
	}
	if err := writeFiles(s.Dir, webFiles); err != nil {
		return "", err
	}
	if err := os.MkdirAll(filepath.Join(s.Dir, "tmp"), 0o755); err != nil {
		return "", err
	}
	hash, err := hashPassword(ctx, s.Dir, "-apr1", s.Password)
	if err != nil {
		return "", err
	}
	if err := os.WriteFile(filepath.Join(s.Dir, "htpasswd"), []byte(s.User+":"+strings.TrimSpace(hash)+"\n"), 0o644); err != nil {
		return "", err
	}
	conf := filepath.Join(s.Dir, "nginx.conf")
	if err := os.WriteFile(conf, []byte(fmt.Sprintf(nginxConf, s.Dir, httpTLS, listen, serverExtra)), 0o644); err != nil {
		return "", err
	}
	// -e: nginx opens its compiled-in error log before reading the config.
	p, err := s.spawn("nginx", "-e", "stderr", "-p", s.Dir, "-c", conf, "-g", "daemon off;")
	if err != nil {
		return "", err
	}
	return version, s.waitPorts(ctx, p)
}

// strongTLS: TLS 1.2 and 1.3 only, forward-secret AEAD suites only (as
// Mozilla's "intermediate" profile), at OpenSSL's default security level.
const strongTLS = `	ssl_protocols TLSv1.2 TLSv1.3;
	ssl_ciphers ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305;
	ssl_prefer_server_ciphers off;`

// strongSite: every page behind HTTP Basic auth with a random password,
// no version in the Server header.
const strongSite = `		server_tokens off;
		auth_basic "Device";
		auth_basic_user_file %s/htpasswd;`

// startNginxStrongTLS is the hardened counterpart of the weak server, for
// tests that must not report findings on a well-configured device: a
// current ECDSA P-256 certificate issued by a test CA (Server.CA) for the
// server's address, TLS 1.2+ with strong suites, and no anonymous page.
func startNginxStrongTLS(ctx context.Context, s *Server) error {
	cert, key := filepath.Join(s.Dir, "cert.pem"), filepath.Join(s.Dir, "key.pem")
	ca, err := issue(ctx, s.Dir, s.Addr, cert, key)
	if err != nil {
		return err
	}
	s.CA = ca
	pw := make([]byte, 18)
	if _, err := rand.Read(pw); err != nil {
		return err
	}
	s.User, s.Password = AdminUser, "pw"+base64.RawURLEncoding.EncodeToString(pw) // never a leading "-" a tool would read as an option
	listen := fmt.Sprintf("listen %d ssl default_server;\n\t\tssl_certificate %s;\n\t\tssl_certificate_key %s;", HTTPSPort, cert, key)
	if _, err := startNginx(ctx, s, strongTLS, listen, fmt.Sprintf(strongSite, s.Dir)); err != nil {
		return err
	}
	s.Truths = Truths{
		Cleartext:              false,
		TLS:                    true,
		TLSMinVersion:          "TLS1.2",
		TLSMaxVersion:          "TLS1.3",
		WeakCipher:             "",
		SelfSigned:             false,
		HostnameMismatch:       false,
		CertExpired:            false,
		AnonymousAccess:        false,
		DefaultCredentials:     "",
		AuthMechanism:          "http-basic",
		ServerVersionDisclosed: "",
	}
	return nil
}

// issue makes a test CA and a P-256 server certificate for addr signed by
// it, valid from an hour ago for 30 days; it returns the CA's PEM.
func issue(ctx context.Context, dir, addr, cert, key string) ([]byte, error) {
	caKey, caCert := filepath.Join(dir, "ca", "ca.key"), filepath.Join(dir, "ca", "ca.pem")
	csr, ext := filepath.Join(dir, "ca", "req.csr"), filepath.Join(dir, "ca", "ext.cnf")
	if err := writeFiles(dir, map[string]string{
		"ca/ext.cnf": "subjectAltName=IP:" + addr + ",DNS:" + CertCN + "\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n",
	}); err != nil {
		return nil, err
	}
	ec := []string{"-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"}
	for _, args := range [][]string{
		append([]string{"req", "-x509", "-days", "30", "-subj", "/CN=Ward test CA", "-keyout", caKey, "-out", caCert}, ec...),
		append([]string{"req", "-subj", "/CN=" + CertCN, "-keyout", key, "-out", csr}, ec...),
		{"x509", "-req", "-in", csr, "-CA", caCert, "-CAkey", caKey, "-set_serial", "2", "-days", "30", "-extfile", ext, "-out", cert},
	} {
		if _, err := run(ctx, dir, "openssl", args...); err != nil {
			return nil, err
		}
	}
	return os.ReadFile(caCert)
}
