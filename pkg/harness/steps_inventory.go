package harness

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/wardsec/ward/pkg/device"
	"github.com/wardsec/ward/pkg/inventory"
)

// WithInventory checks targets against the site's asset inventory (the
// inventory controls: NPRM-164.308-a-1, FDA-PMC-ID-1). Without it, a target
// that can state its provisioned identity (device.ProvisionedIdentity:
// simulators and test builds) is checked against a one-record inventory of
// that identity; on any other target those scenarios are not-applicable.
// The evidence says which inventory was used. After the last target, the
// run records in inv what it saw of each reachable target (Inventory.Observe:
// last seen, reported firmware; see the pipeline in pipeline.go and
// WithInventoryWriteBack).
func WithInventory(inv *inventory.Inventory) Option {
	return func(r *Runner) { r.inv = inv }
}

// inventoryWorld is a scenario's inventory state.
type inventoryWorld struct {
	site *inventory.Inventory // from WithInventory; nil when none was given
	seen *device.Identity     // what the device announced on the network
	ref  *inventory.Inventory // what the scenario checks against
}

func registerInventorySteps(s *StepSet) {
	s.Step(`^the harness identifies the device on the network$`, stepIdentifyOnNetwork)
	s.Step(`^the device matches exactly one inventory record$`, stepMatchesOneRecord)
	s.Step(`^"([^"]+)" queries the device's identity$`, stepQueryIdentity)
	s.Step(`^the UDI, model, serial and firmware it reports equal the inventory record$`, stepIdentityEqualsRecord)
	s.Step(`^someone without a session queries the device's identity$`, stepQueryIdentityNoSession)
	s.Step(`^the query is refused as unauthenticated$`, stepQueryRefused)
}

// reference returns the inventory to check against: the site's, or one
// record of the identity the device was provisioned with. A target with
// neither makes the scenario not-applicable.
func (iw *inventoryWorld) reference(ctx context.Context, w *world) (*inventory.Inventory, bool, error) {
	if iw.site != nil {
		return iw.site, false, nil
	}
	if iw.ref != nil {
		return iw.ref, true, nil
	}
	pi, err := device.As[device.ProvisionedIdentity](w.dev, device.LabelOr[device.ProvisionedIdentity]("a site inventory (ward check --inventory FILE)"))
	if err != nil {
		return nil, false, skip(w, err)
	}
	id, err := pi.ProvisionedIdentity(ctx)
	if err != nil {
		return nil, false, fmt.Errorf("provisioned identity: %w", err)
	}
	iw.ref = &inventory.Inventory{Records: []inventory.Record{{
		AssetID: "provisioned", Manufacturer: id.Manufacturer, Model: id.Model, Serial: id.Serial,
		UDI: id.UDI, Firmware: id.Firmware, PHI: inventory.PHINone,
	}}}
	return iw.ref, true, nil
}

func observation(target string, id device.Identity) inventory.Observation {
	return inventory.Observation{Target: target, Manufacturer: id.Manufacturer, Model: id.Model, Serial: id.Serial, Firmware: id.Firmware, UDI: id.UDI}
}

func describeInventory(inv *inventory.Inventory, provisional bool) string {
	if provisional {
		return "unit's provisioned identity (no site inventory given)"
	}
	return fmt.Sprintf("site inventory of %d record(s)", len(inv.Records))
}

func stepIdentifyOnNetwork(ctx context.Context) error {
	w := worldFrom(ctx)
	id, err := w.dev.Identify(ctx)
	if err != nil {
		return fmt.Errorf("identify: %w", err)
	}
	w.inv.seen = &id
	w.observe("the device announces manufacturer %q, model %q, serial %q, UDI %q, firmware %q", id.Manufacturer, id.Model, id.Serial, id.UDI, id.Firmware)
	return nil
}

// recordFor finds the single inventory record for an identity the device
// gave, or says why there is none.
func recordFor(ctx context.Context, w *world, id device.Identity) (*inventory.Record, error) {
	ref, provisional, err := w.inv.reference(ctx, w)
	if err != nil {
		return nil, err
	}
	w.observe("checked against the %s", describeInventory(ref, provisional))
	if strings.TrimSpace(id.Serial) == "" && strings.TrimSpace(id.UDI) == "" {
		return nil, fmt.Errorf("unknown device: it reports neither a serial number nor a UDI (model %q), so no inventory record can be tied to it", id.Model)
	}
	obs := observation(w.target, id)
	n := 0
	var rec *inventory.Record
	for i := range ref.Records {
		one := &inventory.Inventory{Records: ref.Records[i : i+1]}
		if r, ok := one.Find(obs); ok {
			n++
			rec = r
		}
	}
	switch n {
	case 0:
		return nil, fmt.Errorf("unknown device: %s %s serial %q UDI %q matches none of the %d inventory record(s)", id.Manufacturer, id.Model, id.Serial, id.UDI, len(ref.Records))
	case 1:
		return rec, nil
	}
	return nil, fmt.Errorf("ambiguous: serial %q UDI %q matches %d inventory records", id.Serial, id.UDI, n)
}

func stepMatchesOneRecord(ctx context.Context) error {
	w := worldFrom(ctx)
	if w.inv.seen == nil {
		return errors.New("scenario bug: the device was not identified")
	}
	rec, err := recordFor(ctx, w, *w.inv.seen)
	if err != nil {
		return err
	}
	w.observe("matches inventory record %q (%s, %s)", rec.AssetID, rec.Location, rec.Owner)
	return nil
}

// queried is the identity an authenticated query returned.
type queriedKey struct{}

func stepQueryIdentity(ctx context.Context, user string) (context.Context, error) {
	w := worldFrom(ctx)
	q, tok, err := withSession[device.IdentityQuerier](w, device.Label[device.IdentityQuerier](), user)
	if err != nil {
		return ctx, err
	}
	id, err := q.QueryIdentity(ctx, tok)
	if err != nil {
		return ctx, fmt.Errorf("identity query as %q: %w", user, err)
	}
	w.observe("%q's identity query returned manufacturer %q, model %q, serial %q, UDI %q, firmware %q", user, id.Manufacturer, id.Model, id.Serial, id.UDI, id.Firmware)
	return context.WithValue(ctx, queriedKey{}, id), nil
}

func stepIdentityEqualsRecord(ctx context.Context) error {
	w := worldFrom(ctx)
	id, ok := ctx.Value(queriedKey{}).(device.Identity)
	if !ok {
		return errors.New("scenario bug: no identity was queried")
	}
	rec, err := recordFor(ctx, w, id)
	if err != nil {
		return err
	}
	// Every field must be reported: a device that answers with blanks
	// identifies nothing.
	for field, v := range map[string]string{"model": id.Model, "serial": id.Serial, "firmware": id.Firmware} {
		if strings.TrimSpace(v) == "" {
			return fmt.Errorf("the identity query reports no %s", field)
		}
	}
	if rec.UDI != "" && id.UDI == "" {
		return fmt.Errorf("the identity query reports no UDI; inventory record %q has %q", rec.AssetID, rec.UDI)
	}
	if mm := inventory.Compare(rec, observation(w.target, id)); len(mm) > 0 {
		var diffs []string
		for _, m := range mm {
			diffs = append(diffs, fmt.Sprintf("%s %q (inventory %q)", m.Field, m.Device, m.Inventory))
		}
		return fmt.Errorf("the device's own identity differs from inventory record %q: %s", rec.AssetID, strings.Join(diffs, ", "))
	}
	w.observe("the queried identity equals inventory record %q", rec.AssetID)
	return nil
}

type queryErrKey struct{}

func stepQueryIdentityNoSession(ctx context.Context) (context.Context, error) {
	w := worldFrom(ctx)
	q, err := capability[device.IdentityQuerier](w, device.Label[device.IdentityQuerier]())
	if err != nil {
		return ctx, err
	}
	_, err = q.QueryIdentity(ctx, "")
	w.observe("identity query without a session: %s", describe(err))
	return context.WithValue(ctx, queryErrKey{}, &err), nil
}

func stepQueryRefused(ctx context.Context) error {
	p, ok := ctx.Value(queryErrKey{}).(*error)
	if !ok {
		return errors.New("scenario bug: no unauthenticated query was tried")
	}
	switch err := *p; {
	case err == nil:
		return errors.New("the device answered the identity query without a session")
	case !errors.Is(err, device.ErrUnauthenticated):
		return fmt.Errorf("the query failed, but not as unauthenticated: %w", err)
	}
	return nil
}
