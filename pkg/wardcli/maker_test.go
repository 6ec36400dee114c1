package wardcli

import (
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wardsec/ward/controls"
	"github.com/wardsec/ward/pkg/control"
	"github.com/wardsec/ward/pkg/evidence"
)

// The "done means": a device maker's module outside this
// repository (examples/maker, copied to a temporary directory, with a
// replace directive to this clone) adds its own capability, step and
// control, and checks its pump with Ward's catalogue two ways: in its own
// go test through pkg/wardtest, and with `ward check --controls
// --features` run by its own ward program (pkg/wardcli with its steps and
// driver). Both give the same outcome table, on a pump that meets Acme's
// control and on one that does not.
//
// It builds offline: GOPROXY=off, with the modules Ward itself needs taken
// from the module cache (GOFLAGS=-mod=mod lets go record them in the
// copy's go.mod; Ward's go.sum has their hashes).
func TestDeviceMakerModuleOutsideTheRepository(t *testing.T) {
	goBin, err := exec.LookPath("go")
	if err != nil {
		skipOrFail(t, "the go command is not on PATH")
	}
	root, err := filepath.Abs(filepath.Join("..", ".."))
	require.NoError(t, err)
	mod := filepath.Join(t.TempDir(), "acme-pump")
	require.NoError(t, os.CopyFS(mod, os.DirFS(filepath.Join(root, "examples", "maker"))))
	gomod, err := os.ReadFile(filepath.Join(mod, "go.mod"))
	require.NoError(t, err)
	replace := regexp.MustCompile(`(?m)^replace github.com/wardsec/ward => .*$`)
	require.True(t, replace.Match(gomod), "examples/maker/go.mod replaces Ward with the clone")
	gomod = replace.ReplaceAll(gomod, []byte("replace github.com/wardsec/ward => "+root))
	require.NoError(t, os.WriteFile(filepath.Join(mod, "go.mod"), gomod, 0o644))
	sum, err := os.ReadFile(filepath.Join(root, "go.sum"))
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(mod, "go.sum"), sum, 0o644))

	env := append(os.Environ(), "GOFLAGS=-mod=mod -buildvcs=false", "GOPROXY=off", "GOWORK=off", "GOTOOLCHAIN=local")
	gocmd := func(extra []string, args ...string) (string, error) {
		cmd := exec.Command(goBin, args...)
		cmd.Dir, cmd.Env = mod, append(env, extra...)
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	wardBin := filepath.Join(t.TempDir(), "acme-ward")
	if out, err := gocmd(nil, "build", "-o", wardBin, "./cmd/acme-ward"); err != nil {
		if strings.Contains(out, "GOPROXY=off") || strings.Contains(out, "module lookup disabled") {
			skipOrFail(t, "the module cache lacks a module Ward needs (go build offline): "+firstLine(out))
		}
		t.Fatalf("build the maker's ward: %v\n%s", err, out)
	}

	embedded, _, diags := control.Load(controls.FS)
	require.False(t, diags.HasErrors())
	for _, tc := range []struct {
		name, target string
		alarm        evidence.Outcome
	}{
		{"a pump that alarms in 2s", "acmepump://bench-3?alarm=2s", evidence.Satisfied},
		{"a pump that alarms in 9s", "acmepump://bench-4?alarm=9s", evidence.NotSatisfied},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// Through the maker's go test and wardtest.
			tablePath := filepath.Join(t.TempDir(), "outcomes.json")
			out, err := gocmd([]string{"ACME_TARGET=" + tc.target, "ACME_OUTCOMES=" + tablePath}, "test", "-count=1", "-v", "-run", "^TestWard$", "./pump")
			if tc.alarm == evidence.Satisfied {
				require.NoError(t, err, out)
			} else {
				var ee *exec.ExitError
				require.True(t, errors.As(err, &ee), "the maker's test fails on the slow pump: %v\n%s", err, out)
				assert.Regexp(t, `ACME-ALARM-1 not-satisfied: .*the alarm took 9s, more than 5 seconds`, out)
			}
			b, err := os.ReadFile(tablePath)
			require.NoError(t, err, out)
			var viaTest map[string]evidence.Outcome
			require.NoError(t, json.Unmarshal(b, &viaTest))
			assert.Equal(t, tc.alarm, viaTest["ACME-ALARM-1"])

			// Through the maker's ward program.
			bundles := t.TempDir()
			cmd := exec.Command(wardBin, "check", "--target", tc.target, "--out", bundles,
				"--controls", filepath.Join(mod, "ward", "controls"), "--features", filepath.Join(mod, "ward", "features"))
			cmd.Env = env
			cliOut, err := cmd.CombinedOutput()
			code := 0
			var ee *exec.ExitError
			if errors.As(err, &ee) {
				code = ee.ExitCode()
			} else {
				require.NoError(t, err)
			}
			want := 0
			if tc.alarm != evidence.Satisfied {
				want = 1
			}
			require.Equal(t, want, code, "%s", cliOut)
			run := readRun(t, bundleIn(t, bundles))
			viaCLI := map[string]evidence.Outcome{}
			for _, c := range run.Targets[0].Controls {
				viaCLI[c.ID] = c.Outcome
			}

			// The same table: every control wardtest ran (those verified
			// by scenarios alone) has the same outcome from ward check,
			// which also lists the procedural controls, not assessed.
			require.NotEmpty(t, viaTest)
			for id, o := range viaTest {
				assert.Equal(t, o, viaCLI[id], id)
			}
			for id, o := range viaCLI {
				if _, ok := viaTest[id]; ok {
					continue
				}
				c, ok := embedded.Control(id)
				require.True(t, ok, "%s: only an embedded procedural control is ward check's alone", id)
				assert.NotEqual(t, control.MethodScenario, c.Verification.Method, "%s (%s)", id, o)
			}
			assert.Greater(t, len(viaTest), 20, "Ward's own controls ran beside Acme's")
		})
	}
}

// skipOrFail skips a test that needs a real component, or fails it under
// WARD_REQUIRE_REAL=1.
func skipOrFail(t *testing.T, why string) {
	t.Helper()
	if os.Getenv("WARD_REQUIRE_REAL") == "1" {
		t.Fatal(why)
	}
	t.Skip(why)
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(strings.TrimSpace(s), "\n")
	return line
}
