package evidence

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// forgeFile replaces a bundle file and re-signs the manifest with the
// vector key, as a signer with a bug (or a merge gone wrong) would: the
// signature verifies, so only the OSCAL check can catch the damage.
func forgeFile(t *testing.T, dir, name string, data []byte) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
		t.Fatal(err)
	}
	resign(t, dir, vectorKey(), func(m *Manifest) {
		for i := range m.Files {
			if m.Files[i].Path == name {
				m.Files[i] = entryFor(name, data)
			}
		}
	})
}

func TestVerifyChecksOSCALReferences(t *testing.T) {
	for _, concurrent := range []bool{false, true} {
		name := "after-hashing"
		if concurrent {
			name = "while-hashing"
		}
		t.Run(name, func(t *testing.T) {
			if concurrent {
				old := concurrentOSCALCheck
				concurrentOSCALCheck = 0
				t.Cleanup(func() { concurrentOSCALCheck = old })
			}
			testVerifyChecksOSCALReferences(t)
		})
	}
}

func testVerifyChecksOSCALReferences(t *testing.T) {
	dangling := "12345678-1234-5678-9abc-123456789abc"
	for _, tc := range []struct {
		name    string
		file    string
		edit    func(t *testing.T, doc []byte) []byte
		details []string
	}{
		{"dangling-observation", AssessmentResultsFile, func(t *testing.T, doc []byte) []byte {
			return editJSON(t, doc, func(m map[string]any) {
				at(m, "assessment-results", "results", 0, "findings", 1, "related-observations", 0).(map[string]any)["observation-uuid"] = dangling
			})
		}, []string{"malformed: oscal: observation-uuid " + dangling + " names no observation in the document (at /assessment-results/results/0/findings/1/related-observations/0/observation-uuid)"}},
		{"dangling-poam-finding", POAMFile, func(t *testing.T, doc []byte) []byte {
			return editJSON(t, doc, func(m map[string]any) {
				at(m, "plan-of-action-and-milestones", "poam-items", 0, "related-findings", 0).(map[string]any)["finding-uuid"] = dangling
			})
		}, []string{"malformed: oscal: finding-uuid " + dangling + " names no finding in the document (at /plan-of-action-and-milestones/poam-items/0/related-findings/0/finding-uuid)"}},
		{"artifact-hash-disagrees", AssessmentResultsFile, func(t *testing.T, doc []byte) []byte {
			return editJSON(t, doc, func(m map[string]any) {
				ev := at(m, "assessment-results", "results", 0, "observations", 0, "relevant-evidence", 0).(map[string]any)
				ev["props"] = []any{map[string]any{"name": "sha256", "ns": OSCALNamespace, "value": strings.Repeat("0", 64)}}
			})
		}, []string{"declares SHA-256 " + strings.Repeat("0", 64) + " for " + objectPath(sha256hex(sampleRun().Targets[0].Scenarios[0].Artifacts[0].Data)) + ", the manifest says"}},
		{"evidence-names-missing-file", AssessmentResultsFile, func(t *testing.T, doc []byte) []byte {
			return editJSON(t, doc, func(m map[string]any) {
				at(m, "assessment-results", "results", 0, "observations", 0, "relevant-evidence", 0).(map[string]any)["href"] = "objects/sha256/00/gone"
			})
		}, []string{"href objects/sha256/00/gone names no file of the bundle"}},
		{"not-json", POAMFile, func(t *testing.T, doc []byte) []byte {
			return doc[:len(doc)/2]
		}, []string{"malformed: oscal: not valid JSON: unexpected end of input"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := writeSample(t)
			data, err := os.ReadFile(filepath.Join(dir, tc.file))
			if err != nil {
				t.Fatal(err)
			}
			forgeFile(t, dir, tc.file, tc.edit(t, data))
			for _, trusted := range [][]byte{nil, trustedKey()} {
				_, err := Verify(t.Context(), dir, trusted)
				ps := problemsOf(t, err)
				want := make([]kp, len(tc.details))
				for i := range want {
					want[i] = kp{Malformed, tc.file}
				}
				if diff := cmp.Diff(want, kindsAndPaths(ps)); diff != "" {
					t.Fatalf("problems (-want +got):\n%s\n%v", diff, err)
				}
				for i, d := range tc.details {
					if !strings.Contains(ps[i].Detail, d) {
						t.Errorf("detail %q does not contain %q", ps[i].Detail, d)
					}
				}
				if !strings.HasPrefix(err.Error(), tc.file+": malformed: oscal: ") {
					t.Errorf("report %q", err)
				}
			}
		})
	}
}

// TestVerifyOSCALCheckOnlyWhenIntact: an edited OSCAL file is "changed",
// and nothing more is said about it.
func TestVerifyOSCALCheckOnlyWhenIntact(t *testing.T) {
	dir := writeSample(t)
	p := filepath.Join(dir, AssessmentResultsFile)
	data, _ := os.ReadFile(p)
	os.WriteFile(p, []byte(strings.Replace(string(data), `"observation-uuid":"`, `"observation-uuid":"x`, 1)), 0o644)
	_, err := Verify(t.Context(), dir, trustedKey())
	if diff := cmp.Diff([]kp{{Changed, AssessmentResultsFile}}, kindsAndPaths(problemsOf(t, err))); diff != "" {
		t.Error(diff)
	}
}

// TestVerifyBundleWithoutOSCAL: bundles written before the OSCAL files
// existed still verify.
func TestVerifyBundleWithoutOSCAL(t *testing.T) {
	dir := writeSample(t)
	for _, f := range []string{AssessmentResultsFile, POAMFile, ReportFile} {
		os.Remove(filepath.Join(dir, f))
	}
	resign(t, dir, vectorKey(), func(m *Manifest) {
		var keep []FileEntry
		for _, f := range m.Files {
			if f.Path != AssessmentResultsFile && f.Path != POAMFile && f.Path != ReportFile {
				keep = append(keep, f)
			}
		}
		m.Files = keep
	})
	if _, err := Verify(t.Context(), dir, trustedKey()); err != nil {
		t.Fatal(err)
	}
}
