package nftnl

import (
	"context"
	"errors"

	"github.com/wardsec/ward/pkg/segment"
)

// Watcher feeds a Guard from the gateway's counters: each policed device's
// egress chain counts the connections it opens (only a connection's first
// packet reaches it; established traffic is accepted before), allowed or
// refused, so the difference between two polls is the device's new flows.
type Watcher struct {
	c    *Conn
	g    *segment.Guard
	last map[string]uint64 // device -> egress count at the last poll
}

// NewWatcher returns a Watcher; the first Poll only takes the baseline.
func NewWatcher(c *Conn, g *segment.Guard) *Watcher { return &Watcher{c: c, g: g} }

// Poll reads the counters and reports each device's new flows to the
// guard (which quarantines on a spike), returning them by device.
func (w *Watcher) Poll(ctx context.Context) (map[string]uint64, error) {
	ctr, err := w.c.Counters()
	if err != nil {
		return nil, err
	}
	now := map[string]uint64{}
	for _, d := range w.g.Engine().Ruleset().Devices {
		n := ctr["default deny: "+d.Name+" egress"]
		for _, r := range d.Egress {
			n += ctr[r.ID]
		}
		now[d.Name] = n
	}
	first := w.last == nil
	deltas := map[string]uint64{}
	var errs []error
	for name, n := range now {
		if prev := w.last[name]; !first && n > prev {
			deltas[name] = n - prev
			if err := w.g.ObserveDevice(ctx, name, n-prev); err != nil {
				errs = append(errs, err)
			}
		}
	}
	w.last = now
	return deltas, errors.Join(errs...)
}
