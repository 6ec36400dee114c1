package layering

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/wardsec/ward/"

// deviceSide are the packages device makers build into firmware, each with
// every package under it: a new subpackage (pkg/mfa/webauthnfactor) is
// checked without anyone remembering to list it.
var deviceSide = []string{"atrest", "segment", "mfa", "access", "update", "audit", "monitor", "inventory", "backup", "hl7"}

// notFirmware are packages under deviceSide that firmware does not link,
// each with why it may import what firmware must not.
var notFirmware = map[string]string{
	"pkg/segment/segmenthcl": "the HCL policy reader, kept apart from pkg/segment so firmware that evaluates compiled policies never links hcl",
}

// mustCheck are packages the walk must reach: proof that it reaches
// subpackages at all.
var mustCheck = []string{"pkg/mfa/webauthnfactor", "pkg/segment/nftnl", "pkg/segment/mud", "pkg/update/repo", "pkg/audit"}

var forbidden = []string{
	"github.com/cucumber/",
	"github.com/hashicorp/hcl",
	module + "pkg/control",
	module + "pkg/device",
	module + "pkg/sim",
	module + "pkg/harness",
	module + "pkg/evidence",
}

// deps lists, for each package under module+"pkg/"+root, its
// dependencies (go list -deps of that package alone).
func deps(t *testing.T, root string) map[string][]string {
	t.Helper()
	out, err := exec.Command("go", "list", "-e",
		"-f", "{{.ImportPath}}{{if .Error}} ERROR:{{.Error}}{{else}}{{range .Deps}} {{.}}{{end}}{{end}}",
		module+"pkg/"+root+"/...").CombinedOutput()
	if err != nil {
		t.Fatalf("go list %s/...: %v\n%s", root, err, out)
	}
	m := map[string][]string{}
	for line := range strings.Lines(string(out)) {
		f := strings.Fields(line)
		if len(f) == 0 || !strings.HasPrefix(f[0], module) {
			continue // "matched no packages" warnings
		}
		if len(f) > 1 && strings.HasPrefix(f[1], "ERROR:") {
			t.Errorf("go list %s: %s", f[0], strings.Join(f[1:], " "))
			continue
		}
		m[strings.TrimPrefix(f[0], module)] = f[1:]
	}
	return m
}

func TestDeviceSideImportsNoHarness(t *testing.T) {
	var checked []string
	for _, root := range deviceSide {
		for pkg, ds := range deps(t, root) {
			if _, ok := notFirmware[pkg]; ok {
				continue
			}
			checked = append(checked, pkg)
			for _, d := range ds {
				for _, f := range forbidden {
					if strings.HasPrefix(d, f) {
						t.Errorf("%s imports %s: device-side packages must not depend on the harness side", pkg, d)
					}
				}
			}
		}
	}
	for _, p := range mustCheck {
		if !slices.Contains(checked, p) {
			t.Errorf("%s was not checked: the walk misses packages (checked: %v)", p, checked)
		}
	}
	for p := range notFirmware {
		if !slices.Contains(deviceSide, strings.Split(strings.TrimPrefix(p, "pkg/"), "/")[0]) {
			t.Errorf("notFirmware lists %s, which is under no device-side package", p)
		}
	}
}
