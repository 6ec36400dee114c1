package nftnl_test

import (
	"context"
	"log"

	"github.com/vishvananda/netns"

	"github.com/wardsec/ward/pkg/segment"
	"github.com/wardsec/ward/pkg/segment/nftnl"
)

// Example loads a policy into a gateway namespace over netlink and keeps
// its quarantine sets in step with a traffic guard. It needs root and a
// namespace named "gateway", so it is compiled but not run; the namespace
// tests run the same calls.
func Example() {
	ctx := context.Background()
	e, err := segment.Compile(ctx, &segment.Policy{})
	if err != nil {
		log.Fatal(err)
	}
	ns, err := netns.GetFromName("gateway")
	if err != nil {
		log.Fatal(err)
	}
	defer ns.Close()
	conn, err := nftnl.Dial(int(ns), "ward")
	if err != nil {
		log.Fatal(err)
	}
	defer conn.Close()
	if err := conn.Apply(e); err != nil {
		log.Fatal(err)
	}
	g, err := segment.NewGuard(e, segment.GuardOnChange(func(_ context.Context, e *segment.Engine) error {
		return conn.SyncQuarantine(e)
	}))
	if err != nil {
		log.Fatal(err)
	}
	_ = g // feed it flows (Observe) or counter deltas (ObserveDevice)
}
