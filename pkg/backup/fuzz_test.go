package backup_test

import (
	"bytes"
	"context"
	"testing"

	"github.com/wardsec/ward/pkg/atrest"
	"github.com/wardsec/ward/pkg/backup"
)

// FuzzReadArchive feeds arbitrary archive plaintext, sealed under a known
// key, to Read: the archive parser must never panic, and whatever it
// accepts must re-encode to the same files.
func FuzzReadArchive(f *testing.F) {
	k, err := atrest.NewRawKey("fuzz", bytes.Repeat([]byte{1}, 32))
	if err != nil {
		f.Fatal(err)
	}
	f.Add([]byte(backup.Magic + `{"version":1,"created":"2026-11-23T12:00:00Z","source":"x","entries":[]}` + "\n"))
	f.Add([]byte(backup.Magic + `{"version":1,"entries":[{"name":"a","size":1,"sha256":"ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb"}]}` + "\na"))
	f.Add([]byte("garbage"))
	f.Fuzz(func(t *testing.T, pt []byte) {
		ctx := context.Background()
		sealed, err := atrest.Seal(ctx, pt, k)
		if err != nil {
			t.Skip()
		}
		m, files, err := backup.Read(ctx, bytes.NewReader(sealed), k)
		if err != nil {
			return
		}
		var buf bytes.Buffer
		if _, err := backup.Write(ctx, &buf, m.Source, m.Created, files, k); err != nil {
			t.Fatalf("accepted files do not re-encode: %v", err)
		}
		_, again, err := backup.Read(ctx, bytes.NewReader(buf.Bytes()), k)
		if err != nil || len(again) != len(files) {
			t.Fatalf("re-encoded backup does not read back: %v", err)
		}
		for i := range files {
			if files[i].Name != again[i].Name || !bytes.Equal(files[i].Data, again[i].Data) {
				t.Fatalf("file %d changed on re-encode", i)
			}
		}
	})
}
