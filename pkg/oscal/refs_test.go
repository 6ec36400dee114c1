package oscal

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// Input that is not an OSCAL JSON document is an error naming what is
// wrong, never a short list of problems.
func TestCheckReferencesRejectsNonOSCAL(t *testing.T) {
	for _, tc := range []struct{ name, doc, want string }{
		{"empty", "", "empty input"},
		{"array", "[]", "not a JSON object"},
		{"no-model", `{"x": {}}`, "no single model"},
		{"two-models", `{"catalog": {}, "profile": {}}`, "no single model"},
		{"truncated", `{"assessment-results": {"uuid": "a`, "unexpected end"},
		{"trailing", `{"catalog": {}} {}`, "trailing data"},
		{"trailing-comma", `{"catalog": {"a": [1,]}}`, "unexpected"},
		{"missing-comma", `{"catalog": {"a": 1 "b": 2}}`, "after an object member"},
		{"bad-literal", `{"catalog": {"a": tru}}`, "bad literal"},
		{"bad-escape", `{"catalog": {"a": "\x"}}`, "bad escape"},
		{"control-char", "{\"catalog\": {\"a\": \"\x01\"}}", "control character"},
		{"deep", `{"catalog": ` + strings.Repeat("[", 300) + strings.Repeat("]", 300) + `}`, "levels deep"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := CheckReferences(strings.NewReader(tc.doc))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
	// Escapes and odd spacing are fine, and decoded before comparing.
	doc := `{ "catalog" : { "uuid" : "\u0061bc" , "links" : [ { "href" : "#abc" } ] , "n" : [ 1e3 , -2.5 , true , null ] } }`
	if ps, err := CheckReferences(strings.NewReader(doc)); err != nil || len(ps) != 0 {
		t.Errorf("%v %v", ps, err)
	}
}

// FuzzCheckReferences feeds the checker small documents: seeds of tens
// of kilobytes (a whole assessment results) make the fuzzer spend its time
// minimizing rather than exploring.
func FuzzCheckReferences(f *testing.F) {
	f.Add([]byte(`{"assessment-results": {"uuid": "a", "metadata": {"parties": [{"uuid": "p"}], "responsible-parties": [{"party-uuids": ["p"]}]},
		"import-ap": {"href": "#r"}, "results": [{"reviewed-controls": {"control-selections": [{"include-controls": [{"control-id": "c-1"}]}]},
		"local-definitions": {"inventory-items": [{"uuid": "i"}], "assessment-assets": {"components": [{"uuid": "t"}]}},
		"observations": [{"uuid": "o", "subjects": [{"subject-uuid": "i", "type": "inventory-item"}], "origins": [{"actors": [{"type": "tool", "actor-uuid": "t"}]}],
		"relevant-evidence": [{"href": "artifacts/s/x", "props": [{"name": "sha256", "ns": "` + WardNamespace + `", "value": "00"}], "links": [{"href": "#r"}]}]}],
		"findings": [{"uuid": "f", "target": {"type": "objective-id", "target-id": "c-1"}, "related-observations": [{"observation-uuid": "o"}]}]}],
		"back-matter": {"resources": [{"uuid": "r", "rlinks": [{"href": "artifacts/s/x", "hashes": [{"algorithm": "SHA-256", "value": "00"}]}]}]}}}`))
	f.Add([]byte(`{"plan-of-action-and-milestones": {"uuid": "a", "risks": [{"uuid": "k", "remediations": [{"uuid": "m", "tasks": [{"uuid": "n"}]}]}],
		"findings": [{"uuid": "f", "related-risks": [{"risk-uuid": "k"}]}], "poam-items": [{"uuid": "p", "related-findings": [{"finding-uuid": "f"}], "related-risks": [{"risk-uuid": "x"}]}]}}`))
	f.Add([]byte(`{"catalog": {"uuid": "a", "x": ["\u00e9", 1, {"href": "#a"}]}}`))
	f.Fuzz(func(t *testing.T, doc []byte) {
		ps, err := CheckReferences(bytes.NewReader(doc))
		if err != nil {
			if ps != nil {
				t.Fatal("problems with an error")
			}
			return
		}
		if !json.Valid(doc) {
			t.Fatalf("accepted invalid JSON: %q", doc)
		}
		if _, err := CheckReferencesAmong(bytes.NewReader(doc), Files{Digests: map[string]string{"artifacts/s/x": "00"}}); err != nil {
			t.Fatalf("with files: %v, without: none", err)
		}
		for _, p := range ps {
			if strings.ContainsAny(p.String(), "\n\r") {
				t.Fatalf("problem spans lines: %q", p)
			}
		}
	})
}

// A small document with one of each problem the checker finds, and the
// same document made whole.
func TestCheckReferencesAmong(t *testing.T) {
	const sum = "5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03"
	doc := func(obsRef, href, digest, target string) string {
		return `{"assessment-results": {"uuid": "a",
		"results": [{"uuid": "r", "reviewed-controls": {"control-selections": [{"include-controls": [{"control-id": "c-1"}]}]},
		"observations": [{"uuid": "o", "relevant-evidence": [{"href": "` + href + `",
			"props": [{"name": "sha256", "ns": "` + WardNamespace + `", "value": "` + digest + `"}]}]}],
		"findings": [{"uuid": "f", "target": {"type": "objective-id", "target-id": "` + target + `"},
			"related-observations": [{"observation-uuid": "` + obsRef + `"}]}]}]}}`
	}
	files := Files{
		Digests: map[string]string{"objects/sha256/x": sum},
		Signed:  func(p string) bool { return p == "manifest.sig" },
	}
	ps, err := CheckReferencesAmong(strings.NewReader(doc("o", "objects/sha256/x", sum, "c-1")), files)
	if err != nil || len(ps) != 0 {
		t.Fatalf("whole document: %v %v", ps, err)
	}
	if ps, err := CheckReferencesAmong(strings.NewReader(doc("o", "manifest.sig", sum, "c-1")), files); err != nil || len(ps) != 0 {
		t.Fatalf("a signature file is there though unlisted: %v %v", ps, err)
	}
	ps, err = CheckReferencesAmong(strings.NewReader(doc("gone", "objects/sha256/y", "00", "c-9")), files)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range ps {
		got = append(got, p.Ref+": "+p.Detail)
	}
	want := []string{ // in the order of their pointers
		"gone: observation-uuid gone names no observation in the document",
		"c-9: target-id c-9 is not one of the reviewed controls",
		"objects/sha256/y: href objects/sha256/y names no file of the bundle",
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("problems (-want +got):\n%s", d)
	}
	// A wrong digest for a listed file.
	ps, err = CheckReferencesAmong(strings.NewReader(doc("o", "objects/sha256/x", strings.Repeat("0", 64), "c-1")), files)
	if err != nil || len(ps) != 1 || !strings.Contains(ps[0].Detail, "the manifest says "+sum) {
		t.Errorf("wrong digest: %v %v", ps, err)
	}
	// Without files, hrefs to files are not checked.
	if ps, err := CheckReferences(strings.NewReader(doc("o", "objects/sha256/y", "00", "c-1"))); err != nil || len(ps) != 0 {
		t.Errorf("no files given: %v %v", ps, err)
	}
	// Not JSON: a *FormatError.
	var fe *FormatError
	if _, err := CheckReferences(strings.NewReader("{")); !errors.As(err, &fe) {
		t.Errorf("not JSON: %v, want a *FormatError", err)
	}
}

// A hostile pointer prints on one line.
func TestRefProblemPrintsSafely(t *testing.T) {
	p := RefProblem{Pointer: "/a\x1b[2J\nb", Detail: "x"}
	if strings.ContainsAny(p.String(), "\n\x1b") {
		t.Errorf("%q", p.String())
	}
}

func TestUUID(t *testing.T) {
	// The vector in docs/evidence-bundle.md.
	if got, want := UUID("vector-run-1", "finding", "0", "1"), "1ed4b34f-b31b-5a01-96bb-e446fd93ef69"; got != want {
		t.Errorf("UUID = %s, want %s", got, want)
	}
	// Lengths are part of the input: moving bytes between parts changes it.
	seen := map[string]bool{}
	for _, parts := range [][]string{{"a", "b"}, {"ab"}, {"a", "", "b"}, {"", "ab"}, {"b", "a"}} {
		u := UUID("run", parts...)
		if seen[u] {
			t.Errorf("%q: %s collides", parts, u)
		}
		seen[u] = true
	}
}
