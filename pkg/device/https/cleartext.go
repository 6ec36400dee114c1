package https

import (
	"context"
	"time"

	"github.com/wardsec/ward/pkg/device"
	"github.com/wardsec/ward/pkg/netprobe"
)

// cleartext finds out, after a failed first request, whether the target
// answers a TLS ClientHello with something that is not TLS (plain HTTP,
// most often): then the failure is the device's finding, a management API
// without TLS (device.CleartextError), not an unreachable target.
func cleartext(ctx context.Context, hostport string, timeout time.Duration) error {
	if answer, saw := netprobe.SpeaksTLS(ctx, hostport, timeout); answer == netprobe.TLSNotSpoken {
		return &device.CleartextError{Service: "management API", Address: hostport, Saw: "it " + saw}
	}
	return nil
}
