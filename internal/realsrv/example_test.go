package realsrv_test

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/wardsec/ward/internal/realsrv"
)

// A test that points a network probe at a real MQTT broker and checks it
// against the broker's truth table. (Examples cannot receive a
// *testing.T; the function below is what a test file would contain.)
func Example() {
	TestProbeFindsAnonymousMQTT := func(t *testing.T) {
		srv, err := realsrv.Start(context.Background(), t, realsrv.Mosquitto)
		if err != nil {
			t.Fatal(err)
		}
		c, err := net.DialTimeout("tcp", srv.Endpoint(realsrv.MQTTPort), time.Second)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		// ... run the probe over c, then compare its findings:
		if srv.Truths[realsrv.AnonymousAccess] == true {
			t.Log("the probe must report anonymous access on", srv.Endpoint(realsrv.MQTTPort))
		}
	}
	_ = TestProbeFindsAnonymousMQTT
}
