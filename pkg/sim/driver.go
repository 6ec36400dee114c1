package sim

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/wardsec/ward/pkg/device"
)

// Scheme is the URI scheme of the in-process simulator driver.
const Scheme = "sim"

// Open is the device.Opener for sim:// targets:
//
//	sim://infusion-pump
//	sim://infusion-pump?weaken=no-audit,mutable-audit&serial=SIM-IP-000042
//	sim://infusion-pump?netns=1   (root: a real network, see WithNetworkNamespaces)
//
// The host names the profile. Each call builds a fresh device, so scenarios
// that tamper with one never disturb another. Its clock is frozen at the
// moment of opening and moves only through device.ClockControl. Each unit
// opened here has update signing keys of its own; units opened through
// one Line (Register uses one) share their maker's, as a product line's do.
func Open(ctx context.Context, u *url.URL) (device.Device, error) { return open(ctx, u) }

func open(ctx context.Context, u *url.URL, extra ...Option) (device.Device, error) {
	if u.Scheme != Scheme {
		return nil, fmt.Errorf("%w: scheme %q is not %q", device.ErrBadTarget, u.Scheme, Scheme)
	}
	profile := u.Host
	if profile == "" {
		profile = u.Opaque // "sim:infusion-pump"
	}
	if u.Path != "" && u.Path != "/" {
		return nil, fmt.Errorf("%w: sim target takes no path, got %q", device.ErrBadTarget, u.Path)
	}
	// A simulated unit's clock stands still unless a check advances it
	// (device.ClockControl): outcomes then never depend on how fast the
	// machine running the checks is (backoff windows, idle timers).
	start := time.Now()
	opts := append([]Option{WithClock(func() time.Time { return start })}, extra...)
	q, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return nil, fmt.Errorf("%w: query: %v", device.ErrBadTarget, err)
	}
	for k, vs := range q {
		switch k {
		case "weaken":
			for _, v := range vs {
				opts = append(opts, WithWeaknesses(strings.Split(v, ",")...))
			}
		case "serial":
			opts = append(opts, WithSerial(vs[len(vs)-1]))
		case "netns":
			if vs[len(vs)-1] == "1" {
				opts = append(opts, WithNetworkNamespaces())
			}
		default:
			return nil, fmt.Errorf("%w: unknown sim parameter %q (known: weaken, serial, netns)", device.ErrBadTarget, k)
		}
	}
	return New(ctx, profile, opts...)
}

// Register adds the sim driver to r. The units it opens come off one Line.
func Register(r *device.Registry) error { return r.Register(Scheme, NewLine().Open) }
