package realsrv

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// sub receives one message on topic from host:port without credentials.
func sub(t *testing.T, host string, port int, topic string) (string, error) {
	return tool(t, "mosquitto_sub", "-h", host, "-p", strconv.Itoa(port), "-t", topic, "-C", "1", "-W", "5")
}

func TestMosquitto(t *testing.T) {
	t.Parallel()
	serve(t, Mosquitto)
}

func mosquittoVerifiers() map[string]verifier {
	return map[string]verifier{
		Cleartext: func(t *testing.T, srv *Server, want any) error {
			r := newRelay(t, srv.Endpoint(MQTTPort))
			host, port, _ := strings.Cut(r.Addr, ":")
			p, _ := strconv.Atoi(port)
			if out, err := sub(t, host, p, MQTTTopic); err != nil {
				t.Fatalf("subscribe through the relay: %v\n%s", err, out)
			}
			return is("patient readable on the wire", strings.Contains(string(r.Seen()), PatientMRN), want)
		},
		TLS: verifyTLSFlag,
		AnonymousAccess: func(t *testing.T, srv *Server, want any) error {
			out, err := sub(t, srv.Addr, MQTTPort, MQTTTopic)
			return is(fmt.Sprintf("anonymous subscribe works (%v, %q)", err, out), err == nil, want)
		},
		AnonymousPublish: func(t *testing.T, srv *Server, want any) error {
			topic := "ward-test/publish/" + randomAE(t)
			out, err := tool(t, "mosquitto_pub", "-h", srv.Addr, "-p", strconv.Itoa(MQTTPort), "-q", "1", "-r", "-t", topic, "-m", "hello")
			if err == nil {
				// The broker really kept it: a fresh subscriber gets it back.
				out, err = sub(t, srv.Addr, MQTTPort, topic)
			}
			return is(fmt.Sprintf("anonymous publish stored (%v, %q)", err, out), err == nil && strings.TrimSpace(out) == "hello", want)
		},
		WildcardSubscribe: func(t *testing.T, srv *Server, want any) error {
			// Every retained message under "#" (other checks publish too)
			// for two seconds; mosquitto_sub then exits non-zero.
			out, err := tool(t, "mosquitto_sub", "-h", srv.Addr, "-p", strconv.Itoa(MQTTPort), "-t", "#", "--retained-only", "-W", "2")
			return is(fmt.Sprintf("'#' delivers the patient message (%v, %q)", err, out), strings.Contains(out, PatientMRN), want)
		},
		PatientData: func(t *testing.T, srv *Server, want any) error {
			topic, ok := strings.CutPrefix(want.(string), "topic ")
			topic, retained := strings.CutSuffix(topic, " (retained)")
			if !ok || !retained {
				return fmt.Errorf("not a retained topic: %q", want)
			}
			out, err := sub(t, srv.Addr, MQTTPort, topic)
			if err != nil || strings.TrimSpace(out) != MQTTPayload || !strings.Contains(out, PatientDICOM) {
				return fmt.Errorf("topic %s: %v: %q", topic, err, out)
			}
			return nil
		},
	}
}

func TestMosquittoSecure(t *testing.T) {
	t.Parallel()
	serve(t, MosquittoSecure)
}

// subTLS subscribes over TLS, trusting the server's CA, with user:pass
// unless user is "".
func subTLS(t *testing.T, srv *Server, host string, port int, user, pass string, extra ...string) (string, error) {
	ca := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(ca, srv.CA, 0o600); err != nil {
		t.Fatal(err)
	}
	args := []string{"-h", host, "-p", strconv.Itoa(port), "--cafile", ca, "-t", MQTTTopic, "-C", "1", "-W", "5"}
	if user != "" {
		args = append(args, "-u", user, "-P", pass)
	}
	return tool(t, "mosquitto_sub", append(args, extra...)...)
}

func mosquittoSecureVerifiers() map[string]verifier {
	v := tlsVerifiers()
	delete(v, RSAKeyBits)
	v[TLS] = verifyTLSFlag
	v[Cleartext] = func(t *testing.T, srv *Server, want any) error {
		r := newRelay(t, srv.Endpoint(MQTTSPort))
		host, port, _ := strings.Cut(r.Addr, ":")
		p, _ := strconv.Atoi(port)
		// --insecure: the relay's address is not the certificate's.
		out, err := subTLS(t, srv, host, p, srv.User, srv.Password, "--insecure")
		if err != nil || !strings.Contains(out, PatientMRN) {
			t.Fatalf("subscribe through the relay: %v\n%s", err, out)
		}
		return is("patient readable on the wire", strings.Contains(string(r.Seen()), PatientMRN), want)
	}
	v[AnonymousAccess] = func(t *testing.T, srv *Server, want any) error {
		out, err := subTLS(t, srv, srv.Addr, MQTTSPort, "", "")
		return is(fmt.Sprintf("anonymous subscribe works (%v, %q)", err, out), err == nil, want)
	}
	v[DefaultCredentials] = func(t *testing.T, srv *Server, want any) error {
		if want != "" {
			user, pass, _ := strings.Cut(want.(string), ":")
			out, err := subTLS(t, srv, srv.Addr, MQTTSPort, user, pass)
			if err != nil {
				return fmt.Errorf("login as %s: %v\n%s", want, err, out)
			}
			return nil
		}
		for _, c := range commonDefaults {
			user, pass, _ := strings.Cut(c, ":")
			if out, err := subTLS(t, srv, srv.Addr, MQTTSPort, user, pass); err == nil {
				return fmt.Errorf("login as %s works:\n%s", c, out)
			}
		}
		return nil
	}
	v[AuthMechanism] = func(t *testing.T, srv *Server, want any) error {
		if want != "mqtt-password" {
			return fmt.Errorf("no check for mechanism %q", want)
		}
		if out, err := subTLS(t, srv, srv.Addr, MQTTSPort, srv.User, srv.Password+"x"); err == nil {
			return fmt.Errorf("a wrong password works:\n%s", out)
		}
		out, err := subTLS(t, srv, srv.Addr, MQTTSPort, srv.User, srv.Password)
		if err != nil || !strings.Contains(out, PatientMRN) {
			return fmt.Errorf("the right password: %v\n%s", err, out)
		}
		return nil
	}
	return v
}
