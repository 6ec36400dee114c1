package controls_test

import (
	"bytes"
	"testing"

	"github.com/wardsec/ward/controls"
	"github.com/wardsec/ward/pkg/control"
)

// The embedded catalogue loads without a single diagnostic, warnings
// included. Its coverage by features is checked where the features are.
func TestEmbeddedCatalogueLoads(t *testing.T) {
	cat, src, diags := control.Load(controls.FS)
	if len(diags) > 0 {
		var b bytes.Buffer
		_ = control.WriteDiagnostics(&b, src, diags, 100, false)
		t.Fatalf("embedded catalogue:\n%s", b.String())
	}
	for _, f := range []string{"hipaa-security-rule", "hipaa-nprm-2025", "fda-premarket", "fdca-524b"} {
		if _, ok := cat.Framework(f); !ok {
			t.Errorf("framework %q missing", f)
		}
	}
	for _, id := range []string{"HIPAA-164.312-b", "FDA-PMC-LOG-2", "HIPAA-164.312-d"} {
		if _, ok := cat.Control(id); !ok {
			t.Errorf("control %q missing", id)
		}
	}
	for _, c := range cat.Controls {
		f, _ := cat.Framework(c.Framework)
		switch {
		case f.ID == "hipaa-nprm-2025" && c.Status != control.Proposed:
			t.Errorf("%s: a proposed rule's control must have status %q", c.ID, control.Proposed)
		case f.ID == "fda-premarket" && c.Status != control.Guidance:
			t.Errorf("%s: an FDA guidance control has status %q", c.ID, control.Guidance)
		}
		if c.Remediation == "" {
			t.Errorf("%s: no remediation", c.ID)
		}
		if len(c.Crosswalk) == 0 {
			t.Errorf("%s: no crosswalk", c.ID)
		}
	}
}
