package update_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/wardsec/ward/pkg/update"
)

func addVectors(f *testing.F, format string) {
	files, _ := filepath.Glob(filepath.Join("testdata", format, "*", "*.json"))
	for _, p := range files {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
}

// FuzzParseCustom: whatever a (signed) repository puts in custom metadata,
// parsing never panics, and what parses validates and round-trips.
func FuzzParseCustom(f *testing.F) {
	addVectors(f, "custom")
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := update.ParseCustom(b)
		if err != nil {
			return
		}
		re, err := c.Marshal()
		if err != nil {
			t.Fatalf("parsed %+v does not marshal: %v", c, err)
		}
		c2, err := update.ParseCustom(re)
		if err != nil || c2.Version != c.Version || c2.SBOM != c.SBOM || len(c2.Hardware) != len(c.Hardware) {
			t.Fatalf("round trip: %+v -> %+v (%v)", c, c2, err)
		}
	})
}

// FuzzParseSlotState: a corrupted slots.json is refused, never half-read.
func FuzzParseSlotState(f *testing.F) {
	addVectors(f, "slots")
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := update.ParseSlotState(b)
		if err != nil {
			return
		}
		if s.Slots[s.Active].State != update.StateGood {
			t.Fatalf("accepted an active slot that is %q", s.Slots[s.Active].State)
		}
		if _, err := update.ParseSlotState(s.Encode()); err != nil {
			t.Fatalf("re-encoded state refused: %v", err)
		}
	})
}

// FuzzParseCounter: the counter file parses to one value or fails.
func FuzzParseCounter(f *testing.F) {
	addVectors(f, "counter")
	f.Fuzz(func(t *testing.T, b []byte) {
		v, err := update.ParseCounter(b)
		if err != nil {
			return
		}
		if v2, err := update.ParseCounter(update.EncodeCounter(v)); err != nil || v2 != v {
			t.Fatalf("round trip %d -> %d (%v)", v, v2, err)
		}
	})
}
