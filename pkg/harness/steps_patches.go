package harness

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/wardsec/ward/pkg/device"
	"github.com/wardsec/ward/pkg/inventory"
)

// Patch currency (FD&C 524B(b)(2)): released patches come from the site
// inventory when one is given, else from the maker's bulletin a simulator
// or test build carries; installed ones from the device.
func registerPatchSteps(s *StepSet) {
	s.Step(`^the patches released for the device's model$`, stepReleasedPatches)
	s.Step(`^"([^"]+)" reads the patches installed on the device$`, stepInstalledPatches)
	s.Step(`^no critical patch is missing past the policy window$`, stepNoOverdueCritical)
}

// patchState is the scenario's view: the device as an inventory record
// (installed patches filled in later) and the patches released for it.
type patchState struct {
	inv *inventory.Inventory // one record, the released patches
}

type patchKey struct{}

func stepReleasedPatches(ctx context.Context) (context.Context, error) {
	w := worldFrom(ctx)
	id, err := w.dev.Identify(ctx)
	if err != nil {
		return ctx, fmt.Errorf("identify: %w", err)
	}
	var rec inventory.Record
	var released []inventory.Patch
	if site := w.inv.site; site != nil {
		r, err := recordFor(ctx, w, id)
		if err != nil {
			return ctx, fmt.Errorf("patch state unknown: %w", err)
		}
		rec = *r
		for _, p := range site.Patches {
			if p.Model == rec.Model && (p.Manufacturer == "" || p.Manufacturer == rec.Manufacturer) {
				released = append(released, p)
			}
		}
		w.observe("%d patch(es) released for %s %s, from the site inventory", len(released), rec.Manufacturer, rec.Model)
	} else {
		b, err := capability[device.PatchBulletin](w, device.LabelOr[device.PatchBulletin]("a site inventory with released patches (ward check --inventory FILE)"))
		if err != nil {
			return ctx, err
		}
		bull, err := b.ReleasedPatches(ctx)
		if err != nil {
			return ctx, fmt.Errorf("patch bulletin: %w", err)
		}
		rec = inventory.Record{AssetID: "device", Manufacturer: id.Manufacturer, Model: id.Model, PHI: inventory.PHINone}
		for _, p := range bull {
			released = append(released, inventory.Patch{ID: p.ID, Manufacturer: id.Manufacturer, Model: id.Model,
				Released: inventory.DateOf(p.Released), Criticality: inventory.Criticality(p.Criticality)})
		}
		w.observe("%d patch(es) released for %s, from the maker's bulletin on the device", len(released), id.Model)
	}
	rec.Patches = nil
	return context.WithValue(ctx, patchKey{}, &patchState{inv: &inventory.Inventory{Records: []inventory.Record{rec}, Patches: released}}), nil
}

func patches(ctx context.Context) (*patchState, error) {
	ps, ok := ctx.Value(patchKey{}).(*patchState)
	if !ok {
		return nil, errors.New("scenario bug: the released patches were not read")
	}
	return ps, nil
}

func stepInstalledPatches(ctx context.Context, user string) error {
	w := worldFrom(ctx)
	ps, err := patches(ctx)
	if err != nil {
		return err
	}
	pr, tok, err := withSession[device.PatchReporter](w, device.Label[device.PatchReporter](), user)
	if err != nil {
		return err
	}
	installed, err := pr.InstalledPatches(ctx, tok)
	if err != nil {
		return fmt.Errorf("read installed patches: %w", err)
	}
	ps.inv.Records[0].Patches = installed
	w.observe("installed: %s", strings.Join(installed, ", "))
	return nil
}

func stepNoOverdueCritical(ctx context.Context) error {
	w := worldFrom(ctx)
	ps, err := patches(ctx)
	if err != nil {
		return err
	}
	pol := inventory.DefaultPolicy()
	a := ps.inv.Assess(&ps.inv.Records[0], pol, time.Now())
	var overdue []string
	for _, m := range a.Missing {
		if m.Overdue && m.Patch.Criticality == inventory.Critical {
			overdue = append(overdue, fmt.Sprintf("%s (released %s, due %s)", m.Patch.ID, m.Patch.Released, m.Due))
		}
	}
	if len(overdue) > 0 {
		return fmt.Errorf("missing critical patch past the %d-day policy window: %s", int(pol.PatchWindow[inventory.Critical]/(24*time.Hour)), strings.Join(overdue, ", "))
	}
	w.observe("%d released patch(es) missing, none critical and overdue", len(a.Missing))
	return nil
}
