package harness

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"mime"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/wardsec/ward/pkg/control"
	"github.com/wardsec/ward/pkg/evidence"
	"github.com/wardsec/ward/pkg/inventory"
)

// The check pipeline. Run (and Execute) take each target through these
// stages, in this order, as soon as the target finishes:
//
//  1. its scenarios run and their results become control outcomes
//     (Check, under the target deadline);
//  2. a target whose evidence cannot be stored becomes an error outcome
//     (evidence.CheckArtifactNames);
//  3. in a run of several targets, its scenario ids get the prefix
//     "t<position>-" so that they are unique in the bundle;
//  4. attestations (WithAttestations) decide the controls verified by
//     attestation (ApplyAttestations);
//  5. waivers (WithWaivers) accept the risk of not-satisfied controls
//     (ApplyWaivers), attestation failures included;
//  6. what the device said about itself is noted for the inventory
//     (WithInventory);
//  7. the target goes to the sink (WithTargetSink), or is kept in the
//     returned run when there is none.
//
// After the last target, the inventory records what the run learned
// (inventory.Inventory.Observe: last seen, reported firmware), is saved
// when WithInventoryWriteBack asks, and its view becomes the bundle's
// inventory.html (Result.Files). `ward check` is this pipeline plus
// flags and printing, so a Go program gets the CLI's results.

// TargetSink receives each finished target of a run: index is its 0-based
// position in the list given to Run, t its results with every pipeline
// stage applied, and cucumber its Cucumber JSON report (an array of
// features, each tagged "@target:<URI>"; nil when no scenario ran). The
// signature is evidence.BundleWriter's AddTarget. The runner neither
// touches t and cucumber again nor keeps them once the sink returns.
type TargetSink func(ctx context.Context, index int, t *evidence.Target, cucumber []byte) error

// ErrSink wraps the error a TargetSink returned: the run stopped, and what
// the sink received so far is not the whole run.
var ErrSink = errors.New("target sink")

// WithTargetSink hands every finished target to sink as it finishes, and
// the runner keeps nothing of it: a fleet's memory stays that of the
// targets being checked at once. Targets arrive in the order they finish,
// not the order given; with WithTargetConcurrency above 1, calls may
// overlap. Run then returns the run's header only (Targets nil) and no
// cucumber report. An error from sink stops the run (the other targets
// are cancelled) and Run returns it wrapped in ErrSink.
func WithTargetSink(sink TargetSink) Option { return func(r *Runner) { r.sink = sink } }

// WithAttestations decides the controls verified by attestation with as
// (see ApplyAttestations; read the evidence files with ReadAttestations).
// The attestations' evidence files go into the bundle: Result.Files.
func WithAttestations(as ...Attestation) Option {
	return func(r *Runner) { r.attests = append(r.attests, as...) }
}

// WithWaivers applies ws to every target (see ApplyWaivers); Result.Waivers
// says which expired and which matched nothing.
func WithWaivers(ws ...control.Waiver) Option {
	return func(r *Runner) { r.waivers = append(r.waivers, ws...) }
}

// WithInventoryWriteBack saves the inventory given with WithInventory to
// path (inventory.Save: JSON, or records CSV by its extension) once the
// run has recorded what it saw of each target. A run that fails saves
// nothing.
func WithInventoryWriteBack(path string) Option { return func(r *Runner) { r.invSave = path } }

// ReadAttestations reads the evidence files of as. A file that cannot be
// read is listed in Missing (the control then is not satisfied, and says
// why); one that can is kept with its content, to be stored in the bundle
// under attestations/<attestation id>/<file name>.
func ReadAttestations(as []control.Attestation) []Attestation {
	out := make([]Attestation, 0, len(as))
	for _, a := range as {
		ha := Attestation{Attestation: a}
		used := map[string]bool{}
		for i, p := range a.Files {
			data, err := os.ReadFile(p)
			if err != nil {
				ha.Missing = append(ha.Missing, a.Evidence[i])
				continue
			}
			name := filepath.Base(p)
			for k := 2; used[name]; k++ {
				name = fmt.Sprintf("%d-%s", k, filepath.Base(p))
			}
			used[name] = true
			sum := sha256.Sum256(data)
			ha.Files = append(ha.Files, evidence.Artifact{
				Name: name, Path: "attestations/" + a.ID + "/" + name,
				MediaType: mediaType(name), SHA256: hex.EncodeToString(sum[:]), Size: int64(len(data)),
				Data: data,
			})
		}
		out = append(out, ha)
	}
	return out
}

func mediaType(name string) string {
	if t := mime.TypeByExtension(filepath.Ext(name)); t != "" {
		return t
	}
	return "application/octet-stream"
}

// Result is a whole run: the evidence, and what the pipeline adds around it.
type Result struct {
	// Run is the run; with WithTargetSink its Targets are nil (the sink
	// has them).
	Run *evidence.Run
	// Cucumber is the Cucumber JSON of every target; nil with a sink.
	Cucumber []byte
	// Files are the files the bundle needs besides the run: attestation
	// evidence and inventory.html. Pass them to evidence.Write or
	// evidence.NewBundleWriter.
	Files []evidence.WriteOption
	// Waivers says, for each waiver given, whether it expired and whether
	// it matched a control on a target of this run.
	Waivers []WaiverUse
	// Inventory is what the run learned about the site inventory; nil
	// without WithInventory.
	Inventory *InventoryResult
}

// WaiverUse says how one waiver fared in a run.
type WaiverUse struct {
	Waiver control.Waiver
	// Expired is true when the waiver had expired at the run's start and
	// was ignored.
	Expired bool
	// Matched is true when it selected a control on some target (applied
	// or not).
	Matched bool
}

// InventoryResult is what a run learned about the site inventory.
type InventoryResult struct {
	inventory.ObserveResult
	// Observed is the number of targets that answered (and so were
	// looked up).
	Observed int
	// Saved is the path written by WithInventoryWriteBack, "" when none.
	Saved string
}

// pipeline holds one run's state for the stages after the checks.
type pipeline struct {
	r       *Runner
	now     time.Time
	mu      sync.Mutex
	matched map[string]bool // waiver id -> matched a control
	obs     []inventory.Observation
}

func (r *Runner) newPipeline(now time.Time) *pipeline {
	return &pipeline{r: r, now: now, matched: map[string]bool{}}
}

// target applies stages 4 to 6 to t.
func (p *pipeline) target(t *evidence.Target) {
	if len(p.r.attests) > 0 {
		applyAttestations(t, p.r.cat, p.r.attests, p.now)
	}
	if len(p.r.waivers) > 0 {
		applyWaivers(t, p.r.waivers, p.now)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range t.Controls {
		if c.Waiver != nil {
			p.matched[c.Waiver.ID] = true
		}
	}
	if p.r.inv != nil && t.Error == "" { // an unreachable target told nothing
		id := t.Identity
		p.obs = append(p.obs, inventory.Observation{Target: t.URI, Manufacturer: id.Manufacturer, Model: id.Model,
			Serial: id.Serial, Firmware: id.Firmware, UDI: id.UDI, Seen: t.Started})
	}
}

// finish runs the end-of-run stages and fills res.
func (p *pipeline) finish(res *Result) error {
	for _, a := range p.r.attests {
		for _, f := range a.Files {
			res.Files = append(res.Files, evidence.WithFile(f.Path, f.Data))
		}
	}
	for _, w := range p.r.waivers {
		res.Waivers = append(res.Waivers, WaiverUse{Waiver: w, Expired: w.Expired(p.now), Matched: p.matched[w.ID]})
	}
	inv := p.r.inv
	if inv == nil {
		return nil
	}
	ir := &InventoryResult{ObserveResult: inv.Observe(p.obs), Observed: len(p.obs)}
	res.Inventory = ir
	if p.r.invSave != "" {
		if err := inventory.Save(p.r.invSave, inv); err != nil {
			return fmt.Errorf("update inventory: %w", err)
		}
		ir.Saved = p.r.invSave
	}
	var b bytes.Buffer
	err := inventory.WriteHTML(&b, inventory.Report{
		Title: "Device inventory at run " + res.Run.ID, Generated: p.now,
		Rows: inv.Rows(inventory.Filter{}, inventory.DefaultPolicy(), p.now), Unknown: ir.Unknown,
		Stale: inv.Stale(p.now, 30*24*time.Hour), StaleDays: 30,
	})
	if err != nil {
		return fmt.Errorf("inventory view: %w", err)
	}
	res.Files = append(res.Files, evidence.WithDescribedFile("inventory.html", "the device inventory this run was checked against: risk classes with their reasons, unknown and stale devices", b.Bytes()))
	return nil
}
