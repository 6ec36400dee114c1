package device_test

import (
	"context"
	"fmt"

	"github.com/wardsec/ward/pkg/device"
)

// busybox is a device maker's own driver for a unit whose shadow file it
// cannot read: that fact is unobserved, with the reason, so its check is
// not applicable rather than passed.
type busybox struct{}

func (busybox) Identify(context.Context) (device.Identity, error) { return device.Identity{}, nil }
func (busybox) Close() error                                      { return nil }
func (busybox) HostFacts(context.Context) (device.HostFacts, error) {
	return device.HostFacts{
		SSHD:        map[string]string{"passwordauthentication": "no", "permitrootlogin": "no"},
		SSHDSource:  "sshd -T",
		ExposedKeys: []string{},
		Unobserved:  map[string]string{device.FactAccounts: "/etc/shadow is not readable by the check login"},
	}, nil
}

func ExampleHostConfig() {
	var d device.Device = busybox{}
	hc, err := device.As[device.HostConfig](d, "host configuration")
	if err != nil {
		panic(err)
	}
	f, _ := hc.HostFacts(context.Background())
	fmt.Println(f.SSHD["passwordauthentication"], f.Unobserved[device.FactAccounts])
	// Output: no /etc/shadow is not readable by the check login
}
