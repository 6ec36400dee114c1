package device_test

import (
	"context"
	"errors"
	"fmt"
	"net/url"

	"github.com/wardsec/ward/pkg/device"
)

// thermometer is a device maker's own driver: identity only.
type thermometer struct{ serial string }

func (t thermometer) Identify(context.Context) (device.Identity, error) {
	return device.Identity{Manufacturer: "Acme", Model: "T-1", Serial: t.serial, Firmware: "2.0"}, nil
}
func (thermometer) Close() error { return nil }

// Device makers register their own driver under a scheme of their choosing.
func ExampleRegistry() {
	reg := device.NewRegistry()
	_ = reg.Register("acme", func(_ context.Context, u *url.URL) (device.Device, error) {
		return thermometer{serial: u.Host}, nil
	})
	d, err := reg.Open(context.Background(), "acme://T1-0042")
	if err != nil {
		panic(err)
	}
	id, _ := d.Identify(context.Background())
	fmt.Println(id.Model, id.Serial)

	_, err = reg.Open(context.Background(), "ftp://x")
	fmt.Println(errors.Is(err, device.ErrBadTarget))

	// A capability the driver lacks is an ErrUnsupported, never a pass.
	_, err = device.As[device.PatientData](d, device.Label[device.PatientData]())
	fmt.Println(errors.Is(err, device.ErrUnsupported), err)
	// Output:
	// T-1 T1-0042
	// true
	// true target does not support patient data
}
