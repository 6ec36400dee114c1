package access

import (
	"errors"
	"strings"
	"testing"
)

// FuzzCanonicalName: no input panics; every refusal is ErrInvalidName or
// ErrSharedAccount; an accepted name is canonical (accepted again as
// itself), ASCII within the allowed alphabet and length, and the same
// whatever the case it was typed in.
func FuzzCanonicalName(f *testing.F) {
	f.Fuzz(func(t *testing.T, name string) {
		c, err := CanonicalName(name)
		if err != nil {
			if !errors.Is(err, ErrInvalidName) && !errors.Is(err, ErrSharedAccount) {
				t.Fatalf("%q: unexpected error %v", name, err)
			}
			return
		}
		if len(c) == 0 || len(c) > MaxNameLen || strings.Trim(c, "abcdefghijklmnopqrstuvwxyz0123456789._@-") != "" {
			t.Fatalf("%q accepted as %q", name, c)
		}
		if again, err := CanonicalName(c); err != nil || again != c {
			t.Fatalf("%q: canonical %q is not a fixed point: %q, %v", name, c, again, err)
		}
		// Accepted names are ASCII, so upper-casing them stays ASCII.
		if up, err := CanonicalName(strings.ToUpper(name)); err != nil || up != c {
			t.Fatalf("%q: upper case gives %q, %v", name, up, err)
		}
	})
}
