package update

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/theupdateframework/go-tuf/v2/metadata"
)

// TestTUFErrorMapping: each go-tuf error lands on the sentinel its
// meaning calls for, and the original stays in the chain.
func TestTUFErrorMapping(t *testing.T) {
	for _, tc := range []struct {
		in   error
		want error
	}{
		{&metadata.ErrUnsignedMetadata{Msg: "Verifying timestamp failed, not enough signatures, got 0, want 1"}, ErrUntrusted},
		{&metadata.ErrExpiredMetadata{Msg: "timestamp.json is expired"}, ErrExpired},
		// Without versions to compare, a version error is a
		// disagreement, whatever the message says.
		{&metadata.ErrBadVersionNumber{Msg: "new timestamp version 3 must be >= 4"}, ErrInconsistent},
		{&metadata.ErrEqualVersionNumber{Msg: "new timestamp version 4 equals the old one 4"}, ErrInconsistent},
		{&metadata.ErrLengthOrHashMismatch{Msg: "hash verification failed - mismatch for algorithm sha256"}, ErrInconsistent},
		{&metadata.ErrDownloadLengthMismatch{Msg: "too long"}, ErrLength},
		{&metadata.ErrDownloadHTTP{StatusCode: 404}, ErrNotFound},
		{&metadata.ErrDownloadHTTP{StatusCode: 500}, ErrFetch},
		{&metadata.ErrRepository{Msg: "expected timestamp, got root"}, ErrUntrusted},
		{&metadata.ErrValue{Msg: "no delegation found for targets"}, ErrMetadata},
		{fmt.Errorf("target pump/x.bin not found"), ErrNotFound},
		{&fs.PathError{Op: "open", Path: "/state/metadata/tuf_tmp", Err: fs.ErrPermission}, ErrState},
		{fmt.Errorf("wrapped: %w", ErrLength), ErrLength}, // already ours: unchanged
	} {
		got := tufError(tc.in, nil)
		if !errors.Is(got, tc.want) {
			t.Errorf("tufError(%T %v) = %v, want %v", tc.in, tc.in, got, tc.want)
		}
		if !errors.Is(got, tc.in) && !errors.Is(tc.in, tc.want) {
			t.Errorf("tufError(%v) lost the original error", tc.in)
		}
		if Reason(got) == "error" {
			t.Errorf("Reason(%v) has no code", got)
		}
	}
	if tufError(nil, nil) != nil {
		t.Error("tufError(nil, nil) != nil")
	}
}

// TestTUFVersionErrors: go-tuf's version errors are told apart by the
// versions trusted and served, not by their text (the messages below are
// deliberately misleading).
func TestTUFVersionErrors(t *testing.T) {
	md := func(v int64, meta string) []byte {
		return []byte(fmt.Sprintf(`{"signed":{"version":%d,"meta":{%s}}}`, v, meta))
	}
	const base = "https://repo.example/metadata"
	for _, tc := range []struct {
		name    string
		trusted map[string][]byte // local state, by role
		served  map[string][]byte // URL file name -> body
		want    error
	}{
		{"timestamp older", map[string][]byte{"timestamp": md(4, `"snapshot.json":{"version":4}`)},
			map[string][]byte{"timestamp.json": md(3, `"snapshot.json":{"version":3}`)}, ErrRollback},
		{"timestamp names an older snapshot", map[string][]byte{"timestamp": md(4, `"snapshot.json":{"version":4}`)},
			map[string][]byte{"timestamp.json": md(5, `"snapshot.json":{"version":3}`)}, ErrRollback},
		{"snapshot older", map[string][]byte{"snapshot": md(4, `"targets.json":{"version":2}`)},
			map[string][]byte{"3.snapshot.json": md(3, `"targets.json":{"version":2}`)}, ErrRollback},
		{"snapshot names older targets", map[string][]byte{"snapshot": md(4, `"targets.json":{"version":2}`)},
			map[string][]byte{"5.snapshot.json": md(5, `"targets.json":{"version":1}`)}, ErrRollback},
		{"snapshot drops a role", map[string][]byte{"snapshot": md(4, `"targets.json":{"version":2},"pump.json":{"version":1}`)},
			map[string][]byte{"5.snapshot.json": md(5, `"targets.json":{"version":2}`)}, ErrRollback},
		{"targets older", map[string][]byte{"targets": md(3, ``)},
			map[string][]byte{"2.targets.json": md(2, ``)}, ErrRollback},
		{"root older than asked for", nil, map[string][]byte{"3.root.json": md(1, ``)}, ErrRollback},
		{"root skips a version", nil, map[string][]byte{"3.root.json": md(4, ``)}, ErrInconsistent},
		{"snapshot newer than the timestamp says", map[string][]byte{"snapshot": md(4, `"targets.json":{"version":2}`)},
			map[string][]byte{"5.snapshot.json": md(6, `"targets.json":{"version":2}`)}, ErrInconsistent},
		{"targets newer than the snapshot says", map[string][]byte{"targets": md(3, ``)},
			map[string][]byte{"4.targets.json": md(5, ``)}, ErrInconsistent},
		{"served elsewhere (not recorded)", map[string][]byte{"targets": md(3, ``)},
			map[string][]byte{"../2.targets.json": md(2, ``)}, ErrInconsistent},
		{"garbage served", map[string][]byte{"targets": md(3, ``)},
			map[string][]byte{"2.targets.json": []byte(`{"signed":`)}, ErrInconsistent},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			for role, b := range tc.trusted {
				if err := os.WriteFile(filepath.Join(dir, role+".json"), b, 0o600); err != nil {
					t.Fatal(err)
				}
			}
			log := newVersionLog(base, dir)
			for name, b := range tc.served {
				log.record(base+"/"+name, b)
			}
			for _, in := range []error{
				&metadata.ErrBadVersionNumber{Msg: "new timestamp version 3 must be >= 4"},
				&metadata.ErrBadVersionNumber{Msg: "expected targets.json version 1, got 2"},
			} {
				got := tufError(in, log)
				if !errors.Is(got, tc.want) || !errors.Is(got, in) {
					t.Errorf("tufError(%v) = %v, want %v", in, got, tc.want)
				}
			}
			// go-tuf's plain repository error (a snapshot dropping a role,
			// a wrong role type) is a rollback only with the same evidence.
			repoErr := &metadata.ErrRepository{Msg: "new snapshot is missing info for pump.json"}
			want := ErrUntrusted
			if tc.want == ErrRollback {
				want = ErrRollback
			}
			if got := tufError(repoErr, log); !errors.Is(got, want) {
				t.Errorf("tufError(%v) = %v, want %v", repoErr, got, want)
			}
		})
	}
}
