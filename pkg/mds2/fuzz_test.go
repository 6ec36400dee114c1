package mds2_test

import (
	"bytes"
	"errors"
	"testing"

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
