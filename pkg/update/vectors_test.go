package update_test

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/wardsec/ward/pkg/update"
)

// TestVectors checks every file under testdata/{custom,counter,slots}: ok/
// files parse (and re-encode to something that parses to the same), fail/
// files are refused with the format's sentinel. docs/update.md points here.
func TestVectors(t *testing.T) {
	parsers := map[string]struct {
		parse func([]byte) error
		fail  error
	}{
		"custom": {func(b []byte) error {
			c, err := update.ParseCustom(b)
			if err != nil {
				return err
			}
			re, err := c.Marshal()
			if err != nil {
				return err
			}
			c2, err := update.ParseCustom(re)
			if err != nil || c2.Version != c.Version || len(c2.Hardware) != len(c.Hardware) || c2.SBOM != c.SBOM {
				t.Errorf("re-encoding changed %+v to %+v (%v)", c, c2, err)
			}
			return nil
		}, update.ErrMetadata},
		"counter": {func(b []byte) error {
			v, err := update.ParseCounter(b)
			if err != nil {
				return err
			}
			if v2, err := update.ParseCounter(update.EncodeCounter(v)); err != nil || v2 != v {
				t.Errorf("re-encoding counter %d gave %d, %v", v, v2, err)
			}
			return nil
		}, update.ErrState},
		"slots": {func(b []byte) error {
			s, err := update.ParseSlotState(b)
			if err != nil {
				return err
			}
			if _, err := update.ParseSlotState(s.Encode()); err != nil {
				t.Errorf("re-encoded slot state refused: %v", err)
			}
			return nil
		}, update.ErrState},
	}
	for format, p := range parsers {
		for _, kind := range []string{"ok", "fail"} {
			files, _ := filepath.Glob(filepath.Join("testdata", format, kind, "*.json"))
			if len(files) == 0 {
				t.Fatalf("no vectors in testdata/%s/%s", format, kind)
			}
			for _, f := range files {
				t.Run(format+"/"+kind+"/"+filepath.Base(f), func(t *testing.T) {
					b, err := os.ReadFile(f)
					if err != nil {
						t.Fatal(err)
					}
					err = p.parse(b)
					switch {
					case kind == "ok" && err != nil:
						t.Fatalf("refused: %v", err)
					case kind == "fail" && !errors.Is(err, p.fail):
						t.Fatalf("err = %v, want %v", err, p.fail)
					}
				})
			}
		}
	}
}

func TestFileCounterIsMonotonicAndDurable(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "counter.json")
	c := update.NewFileCounter(path)
	if v, err := c.Get(ctx); err != nil || v != 0 {
		t.Fatalf("fresh counter %d %v", v, err)
	}
	if err := c.Advance(ctx, 5); err != nil {
		t.Fatal(err)
	}
	if err := c.Advance(ctx, 4); !errors.Is(err, update.ErrRollback) {
		t.Fatalf("going back: %v", err)
	}
	// A new process sees the value.
	if v, err := update.NewFileCounter(path).Get(ctx); err != nil || v != 5 {
		t.Fatalf("reloaded counter %d %v", v, err)
	}
	// A corrupt file is an error, never a silent zero.
	os.WriteFile(path, []byte("garbage"), 0o600)
	if _, err := c.Get(ctx); !errors.Is(err, update.ErrState) {
		t.Fatalf("corrupt counter: %v", err)
	}
	if err := c.Advance(ctx, 9); !errors.Is(err, update.ErrState) {
		t.Fatalf("advance over a corrupt counter: %v", err)
	}
	// No temp files left behind.
	if m, _ := filepath.Glob(filepath.Join(filepath.Dir(path), ".*tmp*")); len(m) != 0 {
		t.Fatalf("temp files left: %v", m)
	}
}
