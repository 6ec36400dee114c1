package atomicfile_test

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/wardsec/ward/internal/atomicfile"
)

func ExampleWriteBytes() {
	dir, _ := os.MkdirTemp("", "ward-atomicfile")
	defer os.RemoveAll(dir)
	name := filepath.Join(dir, "counter.json")
	_ = atomicfile.WriteBytes(name, []byte(`{"version":1}`), 0o600)
	_ = atomicfile.WriteBytes(name, []byte(`{"version":2}`), 0o600) // a crash here leaves version 1 or 2, whole
	b, _ := os.ReadFile(name)
	fmt.Println(string(b))
	// Output: {"version":2}
}

// KeepMode: a file the user restricted stays restricted when rewritten.
func ExampleKeepMode() {
	dir, _ := os.MkdirTemp("", "ward-atomicfile")
	defer os.RemoveAll(dir)
	name := filepath.Join(dir, "inventory.csv")
	_ = os.WriteFile(name, []byte("old"), 0o600)
	_ = atomicfile.WriteBytes(name, []byte("new"), 0o644, atomicfile.KeepMode())
	st, _ := os.Stat(name)
	fmt.Println(st.Mode().Perm())
	// Output: -rw-------
}
