package evidence

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wardsec/ward/internal/realtool"
)

// ajvDir holds the npm JSON Schema validator: package.json,
// package-lock.json and validate.mjs (Ajv with ajv-formats). CI installs it
// with `npm ci --prefix pkg/evidence/testdata/npm-ajv`.
const ajvDir = "testdata/npm-ajv"

// TestOSCALValidatesWithAjv: the OSCAL documents validate against NIST's
// OSCAL 1.2.2 schema with Ajv too, an independent JavaScript validator,
// and Ajv rejects the same broken edits as the Go validator, so both
// judge rather than wave through.
func TestOSCALValidatesWithAjv(t *testing.T) {
	node := realtool.Need(t, "node", "nodejs")
	if _, err := os.Stat(filepath.Join(ajvDir, "node_modules", "ajv-formats")); err != nil {
		realtool.Missing(t, "npm validator not installed: run npm ci --prefix pkg/evidence/"+ajvDir)
	}
	dir := t.TempDir()
	want := map[string]bool{} // file -> valid expected
	write := func(name string, data []byte, valid bool) {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
		want[p] = valid
	}
	for name, run := range map[string]*Run{"passing": passingRun(), "failing": sampleRun(), "vector": vectorRun(),
		"odd": oddRun(), "empty": emptyRun(), "fleet": fleetRun(t, 3)} {
		ar, err := AssessmentResults(run)
		if err != nil {
			t.Fatal(err)
		}
		poam, err := POAM(run)
		if err != nil {
			t.Fatal(err)
		}
		write(name+"-ar.json", ar, true)
		write(name+"-poam.json", poam, true)
	}
	ar, err := AssessmentResults(sampleRun())
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range []struct{ name, old, new string }{
		{"uuid-version-1", `"uuid": "`, `"uuid": "00000000-0000-1000-8000-000000000000", "x": "`},
		{"bad-state", `"state":"not-satisfied"`, `"state":"failed"`},
		{"bad-method", `"TEST"`, `""`},
		{"unknown-field", `"reviewed-controls": {`, `"reviewed-controls": {"x": 1,`},
		{"empty-prop", `"value":"high"`, `"value":""`},
		{"bad-token", `"control-id": "HIPAA-164.312_d_"`, `"control-id": "1 2"`},
		{"bad-date", `"collected":"2025-`, `"collected":"1025-`},
		{"bad-date-time", `"collected":"2025-`, `"collected":"yesterday 2025-`},
	} {
		edited := strings.Replace(string(ar), e.old, e.new, 1)
		if edited == string(ar) {
			t.Fatalf("%s: %q not found", e.name, e.old)
		}
		write("broken-"+e.name+".json", []byte(edited), false)
	}
	args := []string{"validate.mjs", filepath.Join("..", "oscal", "oscal_complete_schema-1.2.2.json")}
	for f := range want {
		args = append(args, f)
	}
	cmd := exec.CommandContext(t.Context(), node, args...)
	cmd.Dir = ajvDir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("node validate.mjs: %v\n%s", err, stderr.String())
	}
	judged := 0
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var r struct {
			File   string
			Valid  bool
			Errors []string
		}
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("%v: %s", err, sc.Text())
		}
		exp, ok := want[r.File]
		if !ok {
			t.Fatalf("ajv judged a file not given: %s", r.File)
		}
		if r.Valid != exp {
			t.Errorf("%s: ajv says valid=%v, want %v: %v", filepath.Base(r.File), r.Valid, exp, r.Errors)
		}
		judged++
	}
	if judged != len(want) {
		t.Fatalf("ajv judged %d of %d files", judged, len(want))
	}
	t.Logf("ajv judged %d OSCAL documents (%d valid, %d broken) as the Go validator does", judged, 12, judged-12)
}
