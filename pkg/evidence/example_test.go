package evidence_test

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"time"

	"github.com/wardsec/ward/pkg/device"
	"github.com/wardsec/ward/pkg/evidence"
)

func ExampleWrite() {
	ctx := context.Background()
	parent, err := os.MkdirTemp("", "ward-example-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(parent)

	started := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	run := &evidence.Run{
		ID:       "example",
		Tool:     evidence.Tool{Name: "ward", Version: "0.1.0"},
		Started:  started,
		Finished: started.Add(time.Minute),
		Targets: []evidence.Target{{
			URI:      "sim://infusion-pump",
			Identity: device.Identity{Manufacturer: "Acme", Model: "IP-200", Serial: "42", Firmware: "3.1.4"},
			Controls: []evidence.Control{{ID: "HIPAA-164.312(d)", Framework: "hipaa", Title: "Authentication", Outcome: evidence.Satisfied, Scenarios: []string{"s1"}}},
			Scenarios: []evidence.Scenario{{ID: "s1", Name: "Login needs two factors", Status: evidence.ScenarioPassed,
				Artifacts: []evidence.Artifact{{Name: "login.json", MediaType: "application/json", Data: []byte(`{"denied":true}`)}}}},
		}},
	}

	// In production the key comes from LoadSigningKey and its public half
	// is given to auditors; here it is derived from a fixed seed.
	key := ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize))
	dir, err := evidence.Write(ctx, parent, run, evidence.WithSigner(key), evidence.WithFile("cucumber.json", []byte("[]")))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("bundle:", filepath.Base(dir))

	m, err := evidence.Verify(ctx, dir, key.Public().(ed25519.PublicKey))
	if err != nil {
		log.Fatal(err)
	}
	for _, f := range m.Files {
		fmt.Println(" ", f.Path)
	}

	// Any edit is caught and named.
	os.WriteFile(filepath.Join(dir, "cucumber.json"), []byte("[{}]"), 0o644)
	_, err = evidence.Verify(ctx, dir, key.Public().(ed25519.PublicKey))
	var ve *evidence.VerifyError
	if errors.As(err, &ve) {
		fmt.Println("altered:", ve.Problems[0].Path, ve.Problems[0].Kind)
	}
	// Output:
	// bundle: 20250601T120000Z
	//   assessment-results.json
	//   cucumber.json
	//   junit.xml
	//   objects/sha256/95/d56315ec632030416ec703411ef635fc95c56e72cf1d79ebafb1cbe319755c
	//   poam.json
	//   report.html
	//   results.json
	// altered: cucumber.json changed
}

// A fleet's bundle written as each target finishes: the writer keeps only a
// slim summary of every target, and identical artifacts are stored once.
func ExampleBundleWriter() {
	ctx := context.Background()
	parent, err := os.MkdirTemp("", "ward-example-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(parent)

	started := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	head := &evidence.Run{ID: "fleet", Tool: evidence.Tool{Name: "ward", Version: "0.1.0"}, Started: started}
	key := ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize))
	bw, err := evidence.NewBundleWriter(ctx, parent, head, evidence.WithSigner(key))
	if err != nil {
		log.Fatal(err)
	}
	defer bw.Abort() // removes the partial bundle unless Close succeeded

	for i, serial := range []string{"41", "42"} {
		t := &evidence.Target{
			URI:      "sim://infusion-pump?serial=" + serial,
			Identity: device.Identity{Manufacturer: "Acme", Model: "IP-200", Serial: serial, Firmware: "3.1.4"},
			Controls: []evidence.Control{{ID: "HIPAA-164.312(d)", Framework: "hipaa", Title: "Authentication",
				Requirement: "Verify that a person seeking access is the one claimed.", Outcome: evidence.Satisfied, Scenarios: []string{"s1"}}},
			Scenarios: []evidence.Scenario{{ID: "s1", Name: "Login needs two factors", Status: evidence.ScenarioPassed,
				Artifacts: []evidence.Artifact{{Name: "login.json", MediaType: "application/json", Data: []byte(`{"denied":true}`)}}}},
		}
		if err := bw.AddTarget(ctx, i, t, nil); err != nil {
			log.Fatal(err)
		}
	}
	for _, t := range bw.Summary().Targets {
		fmt.Println(t.Identity.Serial, t.Controls[0].Outcome)
	}
	dir, err := bw.Close(ctx, started.Add(time.Minute))
	if err != nil {
		log.Fatal(err)
	}
	m, err := evidence.Verify(ctx, dir, key.Public().(ed25519.PublicKey))
	if err != nil {
		log.Fatal(err)
	}
	for _, f := range m.Files {
		fmt.Println(" ", f.Path)
	}
	// Output:
	// 41 satisfied
	// 42 satisfied
	//   assessment-results.json
	//   junit.xml
	//   objects/sha256/95/d56315ec632030416ec703411ef635fc95c56e72cf1d79ebafb1cbe319755c
	//   poam.json
	//   report.html
	//   results.json
	//   targets/0000/report.html
	//   targets/0001/report.html
}
