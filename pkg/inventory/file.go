package inventory

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
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
	return WriteFileAtomic(name, buf.Bytes(), 0o644)
}

// WriteFileAtomic writes data to name through a synced temporary file and
// a rename, then syncs the directory so the rename itself survives a crash.
func WriteFileAtomic(name string, data []byte, perm os.FileMode) (err error) {
	dir := filepath.Dir(name)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(name)+".tmp-*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if _, err = tmp.Write(data); err != nil {
		return err
	}
	if err = tmp.Chmod(perm); err != nil {
		return err
	}
	if err = tmp.Sync(); err != nil {
		return err
	}
	if err = tmp.Close(); err != nil {
		return err
	}
	if err = os.Rename(tmp.Name(), name); err != nil {
		return err
	}
	if d, derr := os.Open(dir); derr == nil {
		_ = d.Sync() // best effort: not every file system syncs directories
		d.Close()
	}
	return nil
}
