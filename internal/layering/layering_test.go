package layering

import (
	"os/exec"
	"strings"
	"testing"
)

// deviceSide are the packages device makers build into firmware. Those not
// written yet are skipped by go list's pattern matching.
var deviceSide = []string{"atrest", "segment", "segment/mud", "segment/nftnl", "mfa", "access", "update", "audit", "monitor", "inventory", "backup", "hl7"}

var forbidden = []string{
	"github.com/cucumber/",
	"github.com/hashicorp/hcl",
	"github.com/wardsec/ward/pkg/control",
	"github.com/wardsec/ward/pkg/device",
	"github.com/wardsec/ward/pkg/sim",
	"github.com/wardsec/ward/pkg/harness",
	"github.com/wardsec/ward/pkg/evidence",
}

func TestDeviceSideImportsNoHarness(t *testing.T) {
	checked := 0
	for _, p := range deviceSide {
		pkg := "github.com/wardsec/ward/pkg/" + p
		out, err := exec.Command("go", "list", "-e", "-f", "{{if not .Error}}{{range .Deps}}{{.}}\n{{end}}{{end}}", pkg).CombinedOutput()
		if err != nil {
			t.Fatalf("go list %s: %v\n%s", pkg, err, out)
		}
		deps := strings.Fields(string(out))
		if len(deps) == 0 {
			continue // package not written yet
		}
		checked++
		for _, d := range deps {
			for _, f := range forbidden {
				if strings.HasPrefix(d, f) {
					t.Errorf("%s imports %s: device-side packages must not depend on the harness side", pkg, d)
				}
			}
		}
	}
	if checked == 0 {
		t.Fatal("no device-side package found: the check would prove nothing")
	}
}
