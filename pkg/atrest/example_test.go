package atrest_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/wardsec/ward/pkg/atrest"
	"github.com/wardsec/ward/pkg/audit"
)

func ExampleSeal() {
	ctx := context.Background()
	// A device loads its key with atrest.LoadKeyFile; a fresh one will do here.
	key, err := atrest.GenerateKey("records-2025")
	if err != nil {
		panic(err)
	}
	sealed, err := atrest.Seal(ctx, []byte("P-1001: 5 ml/h heparin"), key)
	if err != nil {
		panic(err)
	}
	record, err := atrest.Open(ctx, sealed, key)
	fmt.Printf("%s %v\n", record, err)

	// One flipped bit anywhere and nothing comes back.
	sealed[len(sealed)-20] ^= 1
	record, err = atrest.Open(ctx, sealed, key)
	fmt.Println(record == nil, errors.Is(err, atrest.ErrAuthentication))
	// Output:
	// P-1001: 5 ml/h heparin <nil>
	// true true
}

func ExampleNewWriter() {
	ctx := context.Background()
	key, _ := atrest.GenerateKey("backup")
	var archive bytes.Buffer

	w, err := atrest.NewWriter(ctx, &archive, &atrest.Options{ChunkSize: 16 << 10}, key)
	if err != nil {
		panic(err)
	}
	if _, err := io.Copy(w, strings.NewReader(strings.Repeat("vital signs ", 10_000))); err != nil {
		panic(err)
	}
	if err := w.Close(); err != nil { // seals the final chunk: never skip it
		panic(err)
	}

	r, err := atrest.NewReader(ctx, &archive, nil, key)
	if err != nil {
		panic(err)
	}
	n, err := io.Copy(io.Discard, r) // io.EOF only after the final chunk authenticates
	fmt.Println(n, err)
	// Output: 120000 <nil>
}

func ExampleNewReaderAt() {
	ctx := context.Background()
	key, _ := atrest.GenerateKey("")
	log := bytes.Repeat([]byte("0123456789abcdef"), 1<<16) // 1 MiB
	sealed, _ := atrest.Seal(ctx, log, key)

	ra, err := atrest.NewReaderAt(ctx, bytes.NewReader(sealed), int64(len(sealed)), key)
	if err != nil {
		panic(err)
	}
	buf := make([]byte, 16)
	_, err = ra.ReadAt(buf, 700_000) // decrypts one 64 KiB chunk, not the file
	fmt.Println(ra.Size(), string(buf), err)
	// Output: 1048576 0123456789abcdef <nil>
}

func ExampleRewrap() {
	ctx := context.Background()
	oldKey, _ := atrest.GenerateKey("kek-2024")
	newKey, _ := atrest.GenerateKey("kek-2025")
	sealed, _ := atrest.Seal(ctx, []byte("patient record"), oldKey)

	// Replace the KEK: only the header changes, the payload is not touched.
	rewrapped, err := atrest.Rewrap(ctx, sealed, atrest.Rewrapping{
		Unwrap: []atrest.KeyUnwrapper{oldKey},
		Add:    []atrest.KeyWrapper{newKey},
		Remove: []string{"kek-2024"},
	})
	if err != nil {
		panic(err)
	}
	info, _ := atrest.Inspect(bytes.NewReader(rewrapped))
	fmt.Println(info.Recipients)
	_, err = atrest.Open(ctx, rewrapped, oldKey)
	fmt.Println(errors.Is(err, atrest.ErrNoMatchingKey))
	pt, _ := atrest.Open(ctx, rewrapped, newKey)
	fmt.Printf("%s\n", pt)
	// Output:
	// [{aes-256-gcm kek-2025}]
	// true
	// patient record
}

func ExampleKeyring_Destroy() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "ward-example")
	defer os.RemoveAll(dir)
	log, _ := audit.Open(ctx, audit.NewMemStore()) // a device uses its real audit log

	ring, err := atrest.OpenKeyring(filepath.Join(dir, "keys"), log)
	if err != nil {
		panic(err)
	}
	kek, _ := ring.Generate(ctx, "unit-0042")
	file := filepath.Join(dir, "records.sealed")
	if err := atrest.WriteFile(ctx, file, []byte("P-1001 ..."), kek); err != nil {
		panic(err)
	}

	// Decommissioning the unit: destroy the key, and the data with it.
	if err := ring.Destroy(ctx, "unit-0042"); err != nil {
		panic(err)
	}
	_, err = atrest.ReadFile(ctx, file, ring)
	fmt.Println(errors.Is(err, atrest.ErrNoMatchingKey))

	recs, _ := log.Records(ctx)
	for _, r := range recs {
		fmt.Println(r.Action, r.Object, r.Outcome)
	}
	// Output:
	// true
	// atrest.key.create unit-0042 success
	// atrest.key.destroy unit-0042 success
}

func ExamplePassphrase() {
	ctx := context.Background()
	// PBKDF2 so that FIPS-mode devices can open it too; the default
	// (KDFAuto) picks argon2id outside FIPS mode.
	p := atrest.NewPassphrase("correct horse battery staple")
	p.KDF = atrest.KDFPBKDF2
	sealed, err := atrest.Seal(ctx, []byte("service export"), p)
	if err != nil {
		panic(err)
	}
	_, err = atrest.Open(ctx, sealed, atrest.NewPassphrase("Tr0ub4dor&3"))
	fmt.Println(errors.Is(err, atrest.ErrWrongPassphrase))
	pt, err := atrest.Open(ctx, sealed, atrest.NewPassphrase("correct horse battery staple"))
	fmt.Printf("%s %v\n", pt, err)
	// Output:
	// true
	// service export <nil>
}

func ExampleInspect() {
	ctx := context.Background()
	a, _ := atrest.GenerateKey("device")
	b, _ := atrest.GenerateKey("recovery")
	sealed, _ := atrest.Seal(ctx, make([]byte, 100_000), a, b)

	info, err := atrest.Inspect(bytes.NewReader(sealed)) // no key needed
	fmt.Println(info.Version, info.ChunkSize, info.Chunks, info.PlaintextSize, err)
	for _, r := range info.Recipients {
		fmt.Println(r.Type, r.KeyID)
	}
	// Output:
	// 1 65536 2 100000 <nil>
	// aes-256-gcm device
	// aes-256-gcm recovery
}

func ExampleWriteFileAtomic() {
	dir, _ := os.MkdirTemp("", "ward-example")
	defer os.RemoveAll(dir)
	name := filepath.Join(dir, "settings.sealed")
	os.WriteFile(name, []byte("old"), 0o600)

	// A failed write leaves the old file whole.
	err := atrest.WriteFileAtomic(name, 0o600, func(w io.Writer) error {
		io.WriteString(w, "new, but cut short")
		return errors.New("input ended early")
	})
	b, _ := os.ReadFile(name)
	fmt.Println(err, string(b))
	// Output: input ended early old
}
