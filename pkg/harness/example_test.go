package harness_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/wardsec/ward/controls"
	"github.com/wardsec/ward/features"
	"github.com/wardsec/ward/pkg/control"
	"github.com/wardsec/ward/pkg/device"
	"github.com/wardsec/ward/pkg/evidence"
	"github.com/wardsec/ward/pkg/harness"
	"github.com/wardsec/ward/pkg/sim"
)

// Run the embedded audit checks against a simulator whose audit log is not
// protected: the log-protection control fails, the others hold.
func ExampleRunner_Check() {
	cat, _, _, diags := control.Lint(controls.FS, features.FS)
	if diags.HasErrors() {
		panic(diags)
	}
	reg := device.NewRegistry()
	if err := sim.Register(reg); err != nil {
		panic(err)
	}
	r := harness.New(reg, cat, features.FS, harness.WithControls("HIPAA-164.312-b", "FDA-PMC-LOG-2"))
	res, _, err := r.Check(context.Background(), "sim://infusion-pump?weaken=mutable-audit")
	if err != nil {
		panic(err)
	}
	for _, c := range res.Controls {
		fmt.Println(c.ID, c.Outcome)
	}
	// Output:
	// FDA-PMC-LOG-2 not-satisfied
	// HIPAA-164.312-b satisfied
}

// An operator allows the checks to reach a device's HL7 feed on another
// host, here an interface engine the device forwards through.
func ExampleParseAllowHost() {
	h, err := harness.ParseAllowHost("Feed.Example.org:2575")
	fmt.Println(h, err)
	_, err = harness.ParseAllowHost("user@host")
	fmt.Println(err)
	// Output:
	// feed.example.org:2575 <nil>
	// configuration error: --allow-host "user@host": want HOST or HOST:PORT
}

// Stream a fleet: each finished unit goes to the sink (here printed; in
// ward check, the evidence bundle being written), and the runner keeps
// none of them, so memory does not grow with the fleet. A waiver accepts
// the risk of the weakened unit's failure: the pipeline applies it before
// the sink sees the target.
func ExampleWithTargetSink() {
	cat, _, _, diags := control.Lint(controls.FS, features.FS)
	if diags.HasErrors() {
		panic(diags)
	}
	reg := device.NewRegistry()
	if err := sim.Register(reg); err != nil {
		panic(err)
	}
	waiver := control.Waiver{
		ID: "W-1", Control: "FDA-PMC-LOG-2", Targets: []string{"sim://infusion-pump?weaken=*"},
		Justification: "unit on an isolated bench until replaced", Approver: "CISO",
		Expires: time.Date(2999, 1, 1, 0, 0, 0, 0, time.UTC),
	}
	sink := func(_ context.Context, i int, t *evidence.Target, _ []byte) error {
		for _, c := range t.Controls {
			fmt.Println(i, t.URI, c.ID, c.Outcome)
		}
		return nil
	}
	r := harness.New(reg, cat, features.FS, harness.WithControls("FDA-PMC-LOG-2"),
		harness.WithWaivers(waiver), harness.WithTargetSink(sink), harness.WithTargetConcurrency(1))
	res, err := r.Execute(context.Background(), harness.RunInfo{}, []string{"sim://infusion-pump", "sim://infusion-pump?weaken=mutable-audit"})
	if err != nil {
		panic(err)
	}
	fmt.Println("kept:", len(res.Run.Targets), "waiver matched:", res.Waivers[0].Matched)
	// Output:
	// 0 sim://infusion-pump FDA-PMC-LOG-2 satisfied
	// 1 sim://infusion-pump?weaken=mutable-audit FDA-PMC-LOG-2 waived
	// kept: 0 waiver matched: true
}

// A procedural control is decided by an attestation: ReadAttestations
// reads its evidence files, WithAttestations applies it to each target,
// and Result.Files carries the files into the bundle (evidence.Write).
func ExampleWithAttestations() {
	cat, _, _, diags := control.Lint(controls.FS, features.FS)
	if diags.HasErrors() {
		panic(diags)
	}
	reg := device.NewRegistry()
	if err := sim.Register(reg); err != nil {
		panic(err)
	}
	dir, err := os.MkdirTemp("", "attest")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	plan := filepath.Join(dir, "workforce-clearance.pdf")
	if err := os.WriteFile(plan, []byte("%PDF-1.4 clearance procedure"), 0o600); err != nil {
		panic(err)
	}
	now := time.Now().UTC()
	as := harness.ReadAttestations([]control.Attestation{{
		ID: "A-1", Control: "HIPAA-164.308-a-3-ii", AttestedBy: "Sam Lee, security officer",
		Date: now.AddDate(0, -1, 0), Expires: now.AddDate(1, 0, 0),
		Evidence: []string{"workforce-clearance.pdf"}, Files: []string{plan}, Targets: []string{"*"},
	}})
	r := harness.New(reg, cat, features.FS, harness.WithControls("HIPAA-164.308-a-3-ii"), harness.WithAttestations(as...))
	res, err := r.Execute(context.Background(), harness.RunInfo{}, []string{"sim://infusion-pump"})
	if err != nil {
		panic(err)
	}
	c := res.Run.Targets[0].Controls[0]
	fmt.Println(c.ID, c.Outcome, c.Attestation.Evidence[0].Path)
	fmt.Println("files for the bundle:", len(res.Files))
	// Output:
	// HIPAA-164.308-a-3-ii satisfied attestations/A-1/workforce-clearance.pdf
	// files for the bundle: 1
}

// A caller that writes evidence while the run goes on needs the run's
// header first: Header makes it, and the run then carries the same id and
// start time.
func ExampleRunner_Header() {
	cat, _, _, diags := control.Lint(controls.FS, features.FS)
	if diags.HasErrors() {
		panic(diags)
	}
	reg := device.NewRegistry()
	if err := sim.Register(reg); err != nil {
		panic(err)
	}
	r := harness.New(reg, cat, features.FS, harness.WithControls("HIPAA-164.312-b"))
	info := harness.RunInfo{Tool: evidence.Tool{Name: "my-line-test", Version: "1.0"}}
	head := r.Header(info) // start the bundle with head here
	info.ID, info.Started = head.ID, head.Started
	run, _, err := r.Run(context.Background(), info, []string{"sim://infusion-pump"})
	if err != nil {
		panic(err)
	}
	fmt.Println(run.ID == head.ID, run.Started.Equal(head.Started), run.Tool.Name)
	// Output:
	// true true my-line-test
}
