package harness

import (
	"context"
	"errors"
	"testing"

	"github.com/wardsec/ward/pkg/device"
)

func TestReachDecidesByHostAndAllowlist(t *testing.T) {
	r := newReach(context.Background(), "https://10.0.0.5:8443?ca-sha256=x", []string{"10.0.0.7:2575", "feed.example", "[fd00::1]:2575"})
	for addr, ok := range map[string]bool{
		"10.0.0.5:2575":   true,  // the target's own host, any port
		"10.0.0.7:2575":   true,  // allowed host:port
		"10.0.0.7:2576":   false, // not that port
		"FEED.example:80": true,  // allowed host, any port, any case
		"[fd00::1]:2575":  true,
		"[fd00::1]:2576":  false,
		"127.0.0.1:2575":  false, // Ward's own loopback is not the device
		"10.0.0.6:2575":   false,
		"garbage":         false,
	} {
		err := r.check(nil, []device.Endpoint{{Name: "feed", Address: addr}})
		if ok != (err == nil) {
			t.Errorf("%s: check = %v, want allowed=%v", addr, err, ok)
		}
		if err != nil && !errors.Is(err, ErrForeignEndpoint) {
			t.Errorf("%s: %v does not match ErrForeignEndpoint", addr, err)
		}
	}
	// A name the operator wrote is the target's own host, under that name
	// and at the addresses it resolved to (localhost: no DNS traffic).
	r = newReach(context.Background(), "ssh://root@LocalHost:22", nil)
	if err := r.check(nil, []device.Endpoint{{Address: "localhost:2575"}, {Address: "127.0.0.1:2575"}}); err != nil {
		t.Errorf("own host name refused: %v", err)
	}
}

type inProcess struct{ device.Device }

func (inProcess) InProcess() bool { return true }

func TestReachLoopbackOnlyForInProcessDevices(t *testing.T) {
	r := newReach(context.Background(), "resident://pump", nil)
	eps := []device.Endpoint{{Name: "hl7-feed", Address: "127.0.0.1:2575"}}
	if err := r.check(inProcess{}, eps); err != nil {
		t.Errorf("in-process device's loopback feed refused: %v", err)
	}
	if err := r.check(nil, eps); err == nil {
		t.Error("a device not in Ward's process reached Ward's loopback")
	}
}
