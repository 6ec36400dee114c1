package sim

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/wardsec/ward/pkg/audit"
	"github.com/wardsec/ward/pkg/device"
	"github.com/wardsec/ward/pkg/update"
	"github.com/wardsec/ward/pkg/update/repo"
)

// A Line builds units the way one maker's production line does: every unit
// trusts the same update signing keys and leaves the factory running the
// same firmware, installed through pkg/update with every check. The Line
// does that work once per weakness set (a fresh TUF repository costs four
// key generations, seven signatures and a verified install, milliseconds
// a unit) and hands each unit its own copy: its own repository to publish
// into, its own slots, slot state and anti-rollback counter. Everything a
// unit keeps secret (its storage key, its audit signing key, accounts,
// sessions) is still its own, made fresh in New. A unit built without a
// Line gets a line of its own (new keys for every unit). A Line is safe
// for concurrent use; a fleet run shares one (Register).
type Line struct {
	mu      sync.Mutex
	shipped map[string]*shipped // by weakness set
}

// NewLine returns an empty production line.
func NewLine() *Line { return &Line{shipped: map[string]*shipped{}} }

// WithLine builds the unit on l.
func WithLine(l *Line) Option {
	return func(c *config) error {
		if l == nil {
			return fmt.Errorf("%w: nil Line", device.ErrBadTarget)
		}
		c.line = l
		return nil
	}
}

// Open is the package's Open (a device.Opener for sim:// targets) building
// every unit on l.
func (l *Line) Open(ctx context.Context, u *url.URL) (device.Device, error) {
	return open(ctx, u, WithLine(l))
}

// lineReuse is how long after it was built, on the units' clocks, shipped
// update material is handed out. Its metadata expiry dates count from the
// build (the timestamp role's: a day), so a unit opened later, or whose
// clock a check moved, gets material built on its own clock instead: as
// if the maker published the factory release at most this long before.
const lineReuse = time.Minute

// shipped is a unit's update side as the factory ships it. Nothing in it
// changes after it is built: units copy it.
type shipped struct {
	at       time.Time  // the clock it was built on
	maker    *repo.Repo // the maker's repository after the factory release; never published to again
	attacker *repo.Repo // an attacker's repository, with keys of its own
	releases int        // releases published into maker
	image    []byte     // the factory firmware in slot A
	sbom     []byte     // its SBOM, as slot A keeps it
	state    []byte     // the slot state after provisioning
	floor    uint64     // the anti-rollback counter after provisioning
	events   []audit.Event
}

// shippedFor returns the update material for a unit with weaknesses weak
// whose clock reads now, building it when the line has none that fits.
func (l *Line) shippedFor(ctx context.Context, weak weakSet, now time.Time) (*shipped, error) {
	key := strings.Join(weak.list(), ",")
	// Built under the lock: concurrent first units wait for one build
	// instead of all doing it.
	l.mu.Lock()
	defer l.mu.Unlock()
	if sh := l.shipped[key]; sh != nil && !now.Before(sh.at) && now.Sub(sh.at) <= lineReuse {
		return sh, nil
	}
	sh, err := ship(ctx, weak, now)
	if err != nil {
		return nil, err
	}
	l.shipped[key] = sh
	return sh, nil
}

// ship makes the maker's repository with the factory release, an
// attacker's repository, and provisions the factory firmware through the
// same installer a unit with weaknesses weak has, recording what it audits.
func ship(ctx context.Context, weak weakSet, at time.Time) (*shipped, error) {
	now := func() time.Time { return at }
	maker, err := repo.New(repo.WithClock(now))
	if err != nil {
		return nil, fmt.Errorf("sim: update repository: %w", err)
	}
	attacker, err := repo.New(repo.WithClock(now))
	if err != nil {
		return nil, fmt.Errorf("sim: attacker repository: %w", err)
	}
	u := &updater{now: now, slots: &update.MemSlots{}, maker: maker, tampered: map[string][]byte{}}
	factory, err := u.publish(factoryVersion, device.Release{Newer: true})
	if err != nil {
		return nil, err
	}
	rec := &eventRecorder{}
	inst, state, counter, err := u.install(weak, rec)
	if err != nil {
		return nil, err
	}
	if err := inst.Provision(ctx, factory); err != nil {
		return nil, fmt.Errorf("sim: provision factory firmware: %w", err)
	}
	sh := &shipped{at: at, maker: maker, attacker: attacker, releases: u.releases, image: u.slots.Bytes(update.SlotA), events: rec.events}
	if sh.sbom, err = u.slots.SBOM(ctx, update.SlotA); err != nil {
		return nil, err
	}
	if sh.state, err = state.Load(ctx); err != nil {
		return nil, err
	}
	if sh.floor, err = counter.Get(ctx); err != nil {
		return nil, err
	}
	return sh, nil
}

// eventRecorder keeps what the factory's installer audits, for every unit
// to record in its own log.
type eventRecorder struct {
	mu     sync.Mutex
	events []audit.Event
}

func (r *eventRecorder) Append(_ context.Context, e audit.Event) (audit.Record, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	// Each unit's log stamps the event with its own clock.
	e.Time = time.Time{}
	r.events = append(r.events, e)
	return audit.Record{}, nil
}
