package update

import (
	"errors"
	"fmt"
	"io/fs"
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
		{&metadata.ErrBadVersionNumber{Msg: "new timestamp version 3 must be >= 4"}, ErrRollback},
		{&metadata.ErrBadVersionNumber{Msg: "expected targets version 2, got 1"}, ErrInconsistent},
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
		got := tufError(tc.in)
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
	if tufError(nil) != nil {
		t.Error("tufError(nil) != nil")
	}
}
