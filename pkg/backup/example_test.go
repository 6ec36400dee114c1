package backup_test

import (
	"bytes"
	"context"
	"fmt"
	"time"

	"github.com/wardsec/ward/pkg/atrest"
	"github.com/wardsec/ward/pkg/backup"
)

// Back up a device's data store under a site key and restore it.
func Example() {
	ctx := context.Background()
	site, err := atrest.GenerateKey("site-backup-2026")
	if err != nil {
		panic(err)
	}
	files := []backup.File{{Name: "patients/P-1001", Data: []byte(`{"name":"Ada Synthetic"}`)}}
	var buf bytes.Buffer
	if _, err := backup.Write(ctx, &buf, "SIM-IP-000001", time.Now(), files, site); err != nil {
		panic(err)
	}

	m, restored, err := backup.Read(ctx, bytes.NewReader(buf.Bytes()), site)
	if err != nil {
		panic(err)
	}
	fmt.Println(m.Source, len(m.Entries), restored[0].Name, string(restored[0].Data))

	damaged := bytes.Clone(buf.Bytes())
	damaged[len(damaged)-20] ^= 1
	_, _, err = backup.Read(ctx, bytes.NewReader(damaged), site)
	fmt.Println(err != nil)
	// Output:
	// SIM-IP-000001 1 patients/P-1001 {"name":"Ada Synthetic"}
	// true
}
