package realsrv

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
)

// MQTTPort is mosquitto's listener: the well-known cleartext MQTT port.
const MQTTPort = 1883

// MQTTTopic carries the retained test-patient message.
const MQTTTopic = "ward-test/monitor-01/patient"

// MQTTPayload is the retained message: vital signs of the test patient,
// as a bedside monitor might publish them.
const MQTTPayload = `{"patient":{"name":"` + PatientDICOM + `","mrn":"` + PatientMRN + `"},"spo2":97,"hr":72}`

// mosquittoConf is Debian's stock /etc/mosquitto/mosquitto.conf without its
// system paths (so persistence off: retained messages live in memory; log
// to stderr), plus the two lines that make mosquitto 2.x reachable from
// the network as commonly deployed: a listener on every address and
// anonymous clients allowed (no password file, no ACL).
const mosquittoConf = `persistence false
log_dest stderr
listener %d
allow_anonymous true
`

// startMosquitto runs mosquitto and publishes the retained test-patient
// message through it without credentials.
func startMosquitto(ctx context.Context, s *Server) error {
	conf := filepath.Join(s.Dir, "mosquitto.conf")
	if err := os.WriteFile(conf, []byte(fmt.Sprintf(mosquittoConf, MQTTPort)), 0o644); err != nil {
		return err
	}
	p, err := s.spawn("mosquitto", "-c", conf)
	if err != nil {
		return err
	}
	if err := s.waitPorts(ctx, p); err != nil {
		return err
	}
	if _, err := run(ctx, s.Dir, "mosquitto_pub", "-h", s.Addr, "-p", strconv.Itoa(MQTTPort),
		"-i", "ward-seed", "-q", "1", "-r", "-t", MQTTTopic, "-m", MQTTPayload); err != nil {
		return fmt.Errorf("publish the retained test message: %w", err)
	}
	s.Truths = Truths{
		Cleartext:         true,
		TLS:               false,
		AnonymousAccess:   true,
		AnonymousPublish:  true,
		WildcardSubscribe: true,
		PatientData:       "topic " + MQTTTopic + " (retained)",
	}
	return nil
}

// MQTTSPort is the hardened broker's TLS listener.
const MQTTSPort = 8883

// mosquittoSecureConf: one TLS listener (TLS 1.2 minimum, forward-secret
// AEAD suites), no anonymous clients, a password file.
const mosquittoSecureConf = `persistence false
log_dest stderr
listener %[2]d
certfile %[1]s/cert.pem
keyfile %[1]s/key.pem
tls_version tlsv1.2
ciphers ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305
allow_anonymous false
password_file %[1]s/passwd
`

// startMosquittoSecure is the hardened counterpart of Mosquitto, for
// checks that must find nothing wrong: MQTT over TLS only, with a
// certificate issued for the address by a test CA (Server.CA), and a
// password (Server.User, Server.Password) for every client.
func startMosquittoSecure(ctx context.Context, s *Server) error {
	ca, err := issue(ctx, s.Dir, s.Addr, filepath.Join(s.Dir, "cert.pem"), filepath.Join(s.Dir, "key.pem"))
	if err != nil {
		return err
	}
	s.CA = ca
	caFile := filepath.Join(s.Dir, "ca", "ca.pem")
	// The broker drops root before it reads its key.
	if err := os.Chmod(filepath.Join(s.Dir, "key.pem"), 0o644); err != nil {
		return err
	}
	pw := make([]byte, 18)
	if _, err := rand.Read(pw); err != nil {
		return err
	}
	s.User, s.Password = "monitor-01", "pw"+base64.RawURLEncoding.EncodeToString(pw) // never a leading "-" a tool would read as an option
	passwd := filepath.Join(s.Dir, "passwd")
	if _, err := run(ctx, s.Dir, "mosquitto_passwd", "-c", "-b", passwd, s.User, s.Password); err != nil {
		return err
	}
	if err := os.Chmod(passwd, 0o644); err != nil {
		return err
	}
	conf := filepath.Join(s.Dir, "mosquitto.conf")
	if err := os.WriteFile(conf, []byte(fmt.Sprintf(mosquittoSecureConf, s.Dir, MQTTSPort)), 0o644); err != nil {
		return err
	}
	p, err := s.spawn("mosquitto", "-c", conf)
	if err != nil {
		return err
	}
	if err := s.waitPorts(ctx, p); err != nil {
		return err
	}
	if _, err := run(ctx, s.Dir, "mosquitto_pub", "-h", s.Addr, "-p", strconv.Itoa(MQTTSPort), "--cafile", caFile,
		"-u", s.User, "-P", s.Password, "-i", "ward-seed", "-q", "1", "-r", "-t", MQTTTopic, "-m", MQTTPayload); err != nil {
		return fmt.Errorf("publish the retained test message: %w", err)
	}
	s.Truths = Truths{
		Cleartext:          false,
		TLS:                true,
		TLSMinVersion:      "TLS1.2",
		TLSMaxVersion:      "TLS1.3",
		WeakCipher:         "",
		SelfSigned:         false,
		HostnameMismatch:   false,
		CertExpired:        false,
		AnonymousAccess:    false,
		DefaultCredentials: "",
		AuthMechanism:      "mqtt-password",
	}
	return nil
}
