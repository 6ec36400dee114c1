package audit

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

func openFile(t *testing.T, dir string) (*Log, *FileStore) {
	t.Helper()
	st, err := NewFileStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	l, err := Open(context.Background(), st, WithSigner(testKey()), WithClock(stepClock(testStart)))
	if err != nil {
		t.Fatal(err)
	}
	return l, st
}

func verifyDir(t *testing.T, dir string) Report {
	t.Helper()
	log, _ := os.ReadFile(filepath.Join(dir, LogFileName))
	cp, _ := os.ReadFile(filepath.Join(dir, CheckpointFileName))
	rep, err := Verify(log, cp, testKey().Public().(ed25519.PublicKey))
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

// TestFileStoreReopenKeepsAppending: a device reboots and carries on the
// same chain.
func TestFileStoreReopenKeepsAppending(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "audit")
	l, st := openFile(t, dir)
	for range 3 {
		if _, err := l.Append(ctx, Event{Actor: "a", Action: "boot1", Outcome: Success}); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	l2, _ := openFile(t, dir)
	if seq, _ := l2.Head(); seq != 3 {
		t.Fatalf("reopened at seq %d", seq)
	}
	for range 2 {
		if _, err := l2.Append(ctx, Event{Actor: "a", Action: "boot2", Outcome: Success}); err != nil {
			t.Fatal(err)
		}
	}
	recs, err := l2.Records(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 5 || recs[2].Action != "boot1" || recs[3].Action != "boot2" || recs[3].Prev != recs[2].Hash {
		t.Fatalf("records after reopen: %+v", recs)
	}
	if rep := verifyDir(t, dir); rep.Records != 5 {
		t.Fatalf("report %+v", rep)
	}
	if runtime.GOOS != "windows" {
		for _, name := range []string{LogFileName, CheckpointFileName} {
			fi, err := os.Stat(filepath.Join(dir, name))
			if err != nil || fi.Mode().Perm() != 0o600 {
				t.Errorf("%s: mode %v, %v; want 0600 (the log names patients)", name, fi.Mode(), err)
			}
		}
	}
	if left, _ := filepath.Glob(filepath.Join(dir, tempPattern)); len(left) > 0 {
		t.Errorf("temp files left: %v", left)
	}
}

func TestFileStoreOpenOnTamperedFile(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	l, st := openFile(t, dir)
	for _, who := range []string{"nurse.jones", "dr.smith", "nurse.jones"} {
		if _, err := l.Append(ctx, Event{Actor: who, Action: "phi.read", Object: "P-1001", Outcome: Success}); err != nil {
			t.Fatal(err)
		}
	}
	st.Close()
	path := filepath.Join(dir, LogFileName)
	b, _ := os.ReadFile(path)
	b = bytes.Replace(b, []byte("dr.smith"), []byte("nurse.ames"), 1)
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	st2, err := NewFileStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer st2.Close()
	_, err = Open(ctx, st2, WithSigner(testKey()))
	var ve *VerifyError
	if !errors.Is(err, ErrTampered) || !errors.As(err, &ve) || ve.Problem != Edited || ve.Seq != 2 {
		t.Fatalf("Open = %v, want record 2 edited", err)
	}
}

// TestFileStoreRecoversTornWrite simulates power loss mid-write: part of a
// line on disk, no checkpoint for it, and a stale checkpoint temp file.
func TestFileStoreRecoversTornWrite(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	l, st := openFile(t, dir)
	for range 2 {
		if _, err := l.Append(ctx, Event{Action: "x", Outcome: Success}); err != nil {
			t.Fatal(err)
		}
	}
	st.Close()
	f, err := os.OpenFile(filepath.Join(dir, LogFileName), os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString(`{"seq":3,"time":"2025-03-14T09:2`)
	f.Close()
	os.WriteFile(filepath.Join(dir, "checkpoint-123.tmp"), []byte("{"), 0o600)

	l2, _ := openFile(t, dir)
	recs, err := l2.Records(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 3 || recs[2].Action != ActionRecover || recs[2].Detail["torn_bytes"] != "32" {
		t.Fatalf("records: %+v", recs)
	}
	if left, _ := filepath.Glob(filepath.Join(dir, tempPattern)); len(left) > 0 {
		t.Errorf("stale temp files kept: %v", left)
	}
	verifyDir(t, dir)
}

func TestNewFileStoreRejectsAFile(t *testing.T) {
	p := filepath.Join(t.TempDir(), "f")
	os.WriteFile(p, nil, 0o600)
	if _, err := NewFileStore(p); err == nil {
		t.Error("NewFileStore accepted a regular file")
	}
}
