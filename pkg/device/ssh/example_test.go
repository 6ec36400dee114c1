package ssh_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/wardsec/ward/pkg/device"
	wssh "github.com/wardsec/ward/pkg/device/ssh"
)

// The ssh driver registers like any other; a target without known_hosts
// is refused as a usage error before any connection is made.
func ExampleRegister() {
	reg := device.NewRegistry()
	if err := wssh.Register(reg); err != nil {
		panic(err)
	}
	_, err := reg.Open(context.Background(), "ssh://root@192.0.2.7:22?key=id_ed25519")
	fmt.Println(errors.Is(err, device.ErrBadTarget))

	p, err := wssh.ParseProfile([]byte(`{"root": "/", "data": ["var/lib/pump"], "documented_ports": ["tcp/443"]}`))
	fmt.Println(p.Data, p.Ports, err)
	// Output:
	// true
	// [var/lib/pump] [tcp/443] <nil>
}

// A program that checks devices itself (not through ward check) keeps one
// Driver for the run: every handle for the same device shares one login,
// and Close ends the connections when the run is done.
func ExampleNewDriver() {
	dr := wssh.NewDriver(wssh.WithLinger(2 * time.Second))
	defer dr.Close()
	reg := device.NewRegistry()
	if err := reg.Register(wssh.Scheme, dr.Open); err != nil {
		panic(err)
	}
	fmt.Println(reg.Schemes())
	// Output: [ssh]
}
