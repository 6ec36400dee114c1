package inventory

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/wardsec/ward/internal/atomicfile"
)

// Load reads an inventory file: JSON (.json) or records in CSV (.csv).
func Load(name string) (*Inventory, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	switch strings.ToLower(filepath.Ext(name)) {
	case ".json":
		inv, err := ReadJSON(f)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		return inv, nil
	case ".csv":
		recs, err := ReadRecordsCSV(f)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		return &Inventory{Records: recs}, nil
	}
	return nil, fmt.Errorf("%s: %w: want a .json or .csv file", name, ErrInvalid)
}

// Save writes inv to name as JSON (or, for .csv, its records as CSV),
// crash-safely: a temporary file in the same directory, synced, then
// renamed over name, so a crash leaves either the old file or the new one.
func Save(name string, inv *Inventory) error {
	if err := inv.Validate(); err != nil {
		return err
	}
	var buf bytes.Buffer
	var err error
	if strings.EqualFold(filepath.Ext(name), ".csv") {
		if len(inv.Patches) > 0 {
			return fmt.Errorf("%s: %w: CSV holds records only; save patches as JSON", name, ErrInvalid)
		}
		err = WriteRecordsCSV(&buf, inv.Records)
	} else {
		err = WriteJSON(&buf, inv)
	}
	if err != nil {
		return err
	}
	// A new file gets 0644 less the umask; an existing one keeps its mode
	// (an inventory restricted to 0600 is not widened by an update).
	return atomicfile.WriteBytes(name, buf.Bytes(), 0o644, atomicfile.KeepMode())
}
