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
