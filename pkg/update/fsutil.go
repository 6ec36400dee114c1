package update

import (
	"os"

	"github.com/wardsec/ward/internal/atomicfile"
)

// writeFileAtomic replaces name with data so that a crash leaves either the
// old or the new content, never a mix (internal/atomicfile).
func writeFileAtomic(name string, data []byte, perm os.FileMode) error {
	return atomicfile.WriteBytes(name, data, perm)
}
