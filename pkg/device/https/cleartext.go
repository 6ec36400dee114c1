package https

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"strconv"
	"time"

	"github.com/wardsec/ward/pkg/device"
)

// cleartext finds out, after a failed first request, whether the target
// answers a TLS ClientHello with something that is not TLS (plain HTTP,
// most often): then the failure is the device's finding, a management API
// without TLS (device.CleartextError), not an unreachable target. The
// handshake verifies nothing and carries nothing: it only observes.
func cleartext(ctx context.Context, hostport string, timeout time.Duration) error {
	raw, err := (&net.Dialer{Timeout: timeout}).DialContext(ctx, "tcp", hostport)
	if err != nil {
		return nil
	}
	defer raw.Close()
	_ = raw.SetDeadline(time.Now().Add(timeout))
	host, _, _ := net.SplitHostPort(hostport)
	err = tls.Client(raw, &tls.Config{InsecureSkipVerify: true, ServerName: host}).HandshakeContext(ctx)
	var rh tls.RecordHeaderError
	if errors.As(err, &rh) {
		return &device.CleartextError{Service: "management API", Address: hostport,
			Saw: "it answered a TLS ClientHello with " + strconv.QuoteToASCII(string(rh.RecordHeader[:]))}
	}
	return nil
}
