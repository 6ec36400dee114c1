package atomicfile_test

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/wardsec/ward/internal/atomicfile"
)

func read(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// leftovers lists the directory's entries other than want.
func leftovers(t *testing.T, dir string, want ...string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range ents {
		found := false
		for _, w := range want {
			found = found || e.Name() == w
		}
		if !found {
			out = append(out, e.Name())
		}
	}
	return out
}

func TestWriteReplacesWhole(t *testing.T) {
	dir := t.TempDir()
	name := filepath.Join(dir, "state.json")
	if err := atomicfile.WriteBytes(name, []byte("old"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := atomicfile.WriteBytes(name, []byte("new"), 0o640); err != nil {
		t.Fatal(err)
	}
	if got := read(t, name); got != "new" {
		t.Fatalf("content %q, want new", got)
	}
	st, _ := os.Stat(name)
	if st.Mode().Perm() != 0o640 {
		t.Fatalf("mode %v, want 0640", st.Mode().Perm())
	}
	if l := leftovers(t, dir, "state.json"); len(l) != 0 {
		t.Fatalf("temporary files left: %v", l)
	}
}

// A failing writer and a crash just before the commit both leave the old
// contents, whole, and no temporary file.
func TestFailureLeavesOldContents(t *testing.T) {
	dir := t.TempDir()
	name := filepath.Join(dir, "state.json")
	if err := atomicfile.WriteBytes(name, []byte("old"), 0o600); err != nil {
		t.Fatal(err)
	}
	boom := errors.New("disk full")
	err := atomicfile.Write(name, 0o600, func(w io.Writer) error {
		if _, err := w.Write([]byte("half of the n")); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("err = %v, want the writer's", err)
	}
	crash := errors.New("power cut")
	err = atomicfile.WriteBytes(name, []byte("new"), 0o600, atomicfile.BeforeCommit(func(tmp string) error {
		if got := read(t, tmp); got != "new" {
			t.Errorf("temporary file holds %q before the commit, want all of it", got)
		}
		return crash
	}))
	if !errors.Is(err, crash) {
		t.Fatalf("err = %v, want the hook's", err)
	}
	if got := read(t, name); got != "old" {
		t.Fatalf("content %q after failures, want old", got)
	}
	if l := leftovers(t, dir, "state.json"); len(l) != 0 {
		t.Fatalf("temporary files left: %v", l)
	}
}

func TestNoReplaceNeverOverwrites(t *testing.T) {
	dir := t.TempDir()
	name := filepath.Join(dir, "device.key")
	if err := atomicfile.WriteBytes(name, []byte("first"), 0o600, atomicfile.NoReplace()); err != nil {
		t.Fatal(err)
	}
	err := atomicfile.WriteBytes(name, []byte("second"), 0o600, atomicfile.NoReplace())
	if !errors.Is(err, fs.ErrExist) {
		t.Fatalf("err = %v, want fs.ErrExist", err)
	}
	if got := read(t, name); got != "first" {
		t.Fatalf("content %q, want first", got)
	}
	if l := leftovers(t, dir, "device.key"); len(l) != 0 {
		t.Fatalf("temporary files left: %v", l)
	}
}

func TestMissingDirectoryIsAnError(t *testing.T) {
	err := atomicfile.WriteBytes(filepath.Join(t.TempDir(), "no", "such", "f"), []byte("x"), 0o600)
	if !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("err = %v, want fs.ErrNotExist", err)
	}
}

// A new file's mode is perm less the umask, like any file a user creates;
// with KeepMode an existing file keeps its own (never widened).
func TestModeRespectsUmaskAndKeepMode(t *testing.T) {
	old := syscall.Umask(0o077)
	defer syscall.Umask(old)
	dir := t.TempDir()
	name := filepath.Join(dir, "inv.csv")
	if err := atomicfile.WriteBytes(name, []byte("a"), 0o644); err != nil {
		t.Fatal(err)
	}
	if m := mode(t, name); m != 0o600 {
		t.Fatalf("new file under umask 077: %o, want 600", m)
	}
	syscall.Umask(0o022)
	if err := os.Chmod(name, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := atomicfile.WriteBytes(name, []byte("b"), 0o644, atomicfile.KeepMode()); err != nil {
		t.Fatal(err)
	}
	if m := mode(t, name); m != 0o600 {
		t.Fatalf("KeepMode widened a 0600 file to %o", m)
	}
	if err := os.Chmod(name, 0o640); err != nil {
		t.Fatal(err)
	}
	if err := atomicfile.WriteBytes(name, []byte("c"), 0o600, atomicfile.KeepMode()); err != nil {
		t.Fatal(err)
	}
	if m := mode(t, name); m != 0o640 {
		t.Fatalf("KeepMode changed 0640 to %o", m)
	}
	if err := atomicfile.WriteBytes(name, []byte("d"), 0o644); err != nil {
		t.Fatal(err)
	}
	if m := mode(t, name); m != 0o644 {
		t.Fatalf("without KeepMode: %o, want 644", m)
	}
}

func mode(t *testing.T, name string) os.FileMode {
	t.Helper()
	st, err := os.Stat(name)
	if err != nil {
		t.Fatal(err)
	}
	return st.Mode().Perm()
}
