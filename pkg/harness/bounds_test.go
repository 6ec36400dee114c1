package harness

import (
	"strings"
	"testing"

	"github.com/wardsec/ward/pkg/device"
	"github.com/wardsec/ward/pkg/evidence"
)

func TestArtifactNameIsAlwaysSafe(t *testing.T) {
	for in, want := range map[string]string{
		"sbom-running-firmware.cdx.json": "sbom-running-firmware.cdx.json",
		"sbom-1.4/../x\x1b]0;t\x07.json": "sbom-1.4_.._x__0_t_.json",
		".hidden":                        "_hidden",
		"":                               "artifact",
		"pätient":                        "p__tient",
	} {
		if got := artifactName(in); got != want {
			t.Errorf("artifactName(%q) = %q, want %q", in, got, want)
		}
	}
	if got := artifactName(strings.Repeat("a", 1000)); len(got) != maxArtifactName {
		t.Errorf("long name kept %d bytes", len(got))
	}
}

// A target whose artifacts cannot be stored (a device maker's own step
// naming one badly) becomes an error of its own; its artifacts are dropped.
func TestUnstorableEvidenceIsTheTargetsError(t *testing.T) {
	tg := evidence.Target{
		URI:       "x://1",
		Scenarios: []evidence.Scenario{{ID: "s1", Artifacts: []evidence.Artifact{{Name: "a/b", Data: []byte("x")}}}},
		Controls:  []evidence.Control{{ID: "C-1", Outcome: evidence.Satisfied}},
	}
	err := evidence.CheckArtifactNames(&tg)
	if err == nil {
		t.Fatal("a slash in an artifact name passed")
	}
	got := evidenceError(tg, err)
	if got.Error == "" || got.Controls[0].Outcome != evidence.Error || got.Scenarios[0].Artifacts != nil {
		t.Fatalf("evidenceError = %+v", got)
	}
	if evidence.CheckArtifactNames(&got) != nil {
		t.Fatal("still unstorable")
	}
}

func TestBoundIdentity(t *testing.T) {
	id := boundIdentity(device.Identity{Model: strings.Repeat("M", 1000), Serial: "S"})
	if !strings.HasPrefix(id.Model, strings.Repeat("M", maxIdentityField)) || !strings.HasSuffix(id.Model, "[truncated: 256 of 1000 bytes shown]") || id.Serial != "S" {
		t.Fatalf("boundIdentity = %+v", id)
	}
}
