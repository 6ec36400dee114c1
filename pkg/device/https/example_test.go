package https_test

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/wardsec/ward/internal/pki"
	"github.com/wardsec/ward/pkg/device"
	"github.com/wardsec/ward/pkg/device/https"
)

// thermometer is a device maker's own device: identity and a login.
type thermometer struct{}

func (thermometer) Identify(context.Context) (device.Identity, error) {
	return device.Identity{Manufacturer: "Acme", Model: "T-1", Serial: "0042", Firmware: "2.0"}, nil
}
func (thermometer) Close() error { return nil }
func (thermometer) Login(_ context.Context, c device.Credentials) (string, error) {
	if c.User == "kim.lee" && c.Password == "Correct-Horse-Battery-9" {
		return "tok", nil
	}
	return "", fmt.Errorf("acme: %w", device.ErrDenied)
}
func (thermometer) Logout(context.Context, string) error { return nil }

// A device maker serves their device over the management API; Ward's
// https driver reaches it with the same capabilities and errors.
func Example() {
	now := time.Now()
	ca, _ := pki.NewCA("Acme dev CA", now)
	leaf, _ := ca.Issue("t-1", pki.Localhost, false, now.Add(-time.Hour), now.Add(time.Hour))
	srv, _ := https.NewServer(thermometer{})
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- https.Serve(ctx, ln, srv, https.TLSConfig(leaf, nil)) }()

	reg := device.NewRegistry()
	_ = https.Register(reg)
	_, err := reg.Open(context.Background(), "https://"+ln.Addr().String()+"?ca-sha256="+ca.Fingerprint())
	fmt.Println(err != nil, "(the device's chain lacks the pinned CA)")

	leaf.Certificate = append(leaf.Certificate, caDER(ca))
	stop()
	<-done
	ln, _ = net.Listen("tcp", "127.0.0.1:0")
	ctx, stop = context.WithCancel(context.Background())
	defer stop()
	go func() { done <- https.Serve(ctx, ln, srv, https.TLSConfig(leaf, nil)) }()
	d, err := reg.Open(context.Background(), "https://"+ln.Addr().String()+"?ca-sha256="+ca.Fingerprint())
	if err != nil {
		panic(err)
	}
	defer d.Close()
	id, _ := d.Identify(context.Background())
	fmt.Println(id.Manufacturer, id.Model, id.Serial)

	a, _ := device.As[device.Authenticator](d, "login")
	_, err = a.Login(context.Background(), device.Credentials{User: "kim.lee", Password: "guess"})
	fmt.Println(errors.Is(err, device.ErrDenied))
	_, err = device.As[device.PatientData](d, "patient data")
	fmt.Println(err)
	// Output:
	// true (the device's chain lacks the pinned CA)
	// Acme T-1 0042
	// true
	// target does not support patient data
}

func caDER(ca *pki.CA) []byte {
	pair, _ := tls.X509KeyPair(ca.CertPEM(), ca.KeyPEM())
	return pair.Certificate[0]
}
