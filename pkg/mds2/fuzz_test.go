package mds2_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/wardsec/ward/pkg/mds2"
)

// checkClaims holds what any successful import promises: every claim is
// a question of the form, once, with a cell or line named.
func checkClaims(t *testing.T, m *mds2.Mapping, claims []mds2.Claim, err error) {
	if err != nil {
		if !errors.Is(err, mds2.ErrBadForm) {
			t.Fatalf("error does not match ErrBadForm: %v", err)
		}
		if claims != nil {
			t.Fatalf("claims returned with an error")
		}
		return
	}
	seen := map[string]bool{}
	for _, c := range claims {
		if _, ok := m.Question(c.ID); !ok {
			t.Fatalf("claim for unknown question %q", c.ID)
		}
		if seen[c.ID] {
			t.Fatalf("question %q claimed twice", c.ID)
		}
		seen[c.ID] = true
		if c.Where == "" {
			t.Fatalf("claim %q says not where it came from", c.ID)
		}
	}
}

func FuzzReadClaimsCSV(f *testing.F) {
	m := mapping(f)
	f.Add([]byte("Question ID,Question,Answer,Notes\nSTCF,x,,\nSTCF-1,\"a, b\",Yes,\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		claims, err := mds2.ReadClaimsCSV(bytes.NewReader(data), m)
		checkClaims(t, m, claims, err)
	})
}

func FuzzReadClaimsXLSX(f *testing.F) {
	m := mapping(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		claims, err := mds2.ReadClaimsXLSX(bytes.NewReader(data), m)
		checkClaims(t, m, claims, err)
	})
}

// FuzzLoadMapping: a hostile catalogue directory (--controls) never
// panics the mapping loader, and whatever it accepts is well-formed.
func FuzzLoadMapping(f *testing.F) {
	f.Add([]byte("mds2_form \"f\" {\n  standard = \"s\"\n  title = \"t\"\n  section \"AUTH\" {\n    title = \"A\"\n    question \"AUTH-1\" {\n      text = \"x\"\n      controls = [\"X-1\"]\n      rule = \"inverted\"\n    }\n  }\n}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, diags := mds2.LoadMapping(fstest.MapFS{"m.hcl": {Data: data}})
		if diags.HasErrors() {
			if m != nil {
				t.Fatal("a mapping returned with errors")
			}
			return
		}
		seen := map[string]bool{}
		for _, q := range m.Questions() {
			if seen[q.ID] || !strings.HasPrefix(q.ID, q.Section+"-") {
				t.Fatalf("bad or repeated question id %q", q.ID)
			}
			seen[q.ID] = true
			ways := 0
			for _, set := range []bool{len(q.Controls) > 0, q.Observe != "", q.Identity != "", q.Manual != ""} {
				if set {
					ways++
				}
			}
			if ways != 1 {
				t.Fatalf("question %q answered %d ways", q.ID, ways)
			}
		}
	})
}
