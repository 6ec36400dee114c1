package realsrv

import (
	"strconv"
	"strings"
	"testing"
)

// sub receives one message on topic from addr without credentials.
func sub(t *testing.T, host string, port int, topic string) (string, error) {
	return tool(t, "mosquitto_sub", "-h", host, "-p", strconv.Itoa(port), "-t", topic, "-C", "1", "-W", "5")
}

func TestMosquitto(t *testing.T) {
	t.Parallel()
	serve(t, Mosquitto, map[string]verifier{
		Cleartext: func(t *testing.T, srv *Server, want any) {
			r := newRelay(t, srv.Endpoint(MQTTPort))
			host, port, _ := strings.Cut(r.Addr, ":")
			p, _ := strconv.Atoi(port)
			out, err := sub(t, host, p, MQTTTopic)
			if err != nil {
				t.Fatalf("subscribe through the relay: %v\n%s", err, out)
			}
			if got := strings.Contains(string(r.Seen()), PatientMRN); got != want {
				t.Errorf("patient readable on the wire=%v, truth says %v", got, want)
			}
		},
		TLS: verifyTLSFlag,
		AnonymousAccess: func(t *testing.T, srv *Server, want any) {
			out, err := sub(t, srv.Addr, MQTTPort, MQTTTopic)
			if got := err == nil; got != want {
				t.Errorf("anonymous subscribe works=%v, truth says %v: %v\n%s", got, want, err, out)
			}
		},
		AnonymousPublish: func(t *testing.T, srv *Server, want any) {
			topic := "ward-test/publish/" + randomAE(t)
			out, err := tool(t, "mosquitto_pub", "-h", srv.Addr, "-p", strconv.Itoa(MQTTPort), "-q", "1", "-r", "-t", topic, "-m", "hello")
			if err != nil && want == true {
				t.Fatalf("anonymous publish: %v\n%s", err, out)
			}
			// The broker really kept it: a fresh subscriber gets it back.
			out, err = sub(t, srv.Addr, MQTTPort, topic)
			if got := err == nil && strings.TrimSpace(out) == "hello"; got != want {
				t.Errorf("anonymous publish stored=%v, truth says %v: %v\n%s", got, want, err, out)
			}
		},
		WildcardSubscribe: func(t *testing.T, srv *Server, want any) {
			// Every retained message under "#" (other tests publish too),
			// until a second of silence; mosquitto_sub then exits non-zero.
			out, err := tool(t, "mosquitto_sub", "-h", srv.Addr, "-p", strconv.Itoa(MQTTPort), "-t", "#", "--retained-only", "-W", "1")
			if got := strings.Contains(out, PatientMRN); got != want {
				t.Errorf("'#' delivers the patient message=%v, truth says %v: %v\n%s", got, want, err, out)
			}
		},
		PatientData: func(t *testing.T, srv *Server, want any) {
			topic, ok := strings.CutPrefix(want.(string), "topic ")
			topic, retained := strings.CutSuffix(topic, " (retained)")
			if !ok || !retained {
				t.Fatalf("unexpected location %q", want)
			}
			out, err := sub(t, srv.Addr, MQTTPort, topic)
			if err != nil || strings.TrimSpace(out) != MQTTPayload {
				t.Errorf("topic %s: %v\n%q", topic, err, out)
			}
			if !strings.Contains(out, PatientDICOM) {
				t.Errorf("payload lacks the patient's name: %q", out)
			}
		},
	})
}
