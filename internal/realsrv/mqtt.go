package realsrv

import (
	"context"
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
// system paths, plus the two lines that make mosquitto 2.x reachable from
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
	s.Ports = []Port{{Proto: "tcp", Port: MQTTPort, Protocol: "mqtt"}}
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
