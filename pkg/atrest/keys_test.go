package atrest

import (
	"bytes"
	"context"
	"crypto/fips140"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/wardsec/ward/pkg/audit"
)

func TestKeyFileRoundTrip(t *testing.T) {
	dir := t.TempDir()
	k, err := GenerateKey("")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(k.ID(), "k-") || len(k.ID()) != 18 {
		t.Fatalf("default id %q is not a fingerprint", k.ID())
	}
	name := filepath.Join(dir, "device.key")
	if err := SaveKeyFile(name, k); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(name)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode %v, want 0600", st.Mode().Perm())
	}
	if err := SaveKeyFile(name, k); err == nil {
		t.Fatal("SaveKeyFile replaced an existing key file")
	}
	back, err := LoadKeyFile(name)
	if err != nil {
		t.Fatal(err)
	}
	sealed, err := Seal(context.Background(), []byte("x"), k)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Open(context.Background(), sealed, back); err != nil {
		t.Fatalf("loaded key does not open: %v", err)
	}
	// Damage is reported as damage.
	b, _ := os.ReadFile(name)
	for _, bad := range [][]byte{
		b[:len(b)-1], // no newline
		append(slices.Clone(b[:len(b)-2]), 'x', '\n'), // check value
		[]byte("ward-atrest-key/v1 id short check\n"),
		[]byte("-----BEGIN PRIVATE KEY-----\n"),
	} {
		if _, err := ParseKey(bad); err == nil {
			t.Errorf("ParseKey accepted %q", bad)
		}
	}
	for _, id := range []string{"", ".hidden", "a/b", "sp ace", strings.Repeat("x", 65)} {
		if id == "" {
			continue
		}
		if _, err := NewRawKey(id, testKeyBytes("x")); err == nil {
			t.Errorf("NewRawKey accepted id %q", id)
		}
	}
}

func TestSoftHSMNeverExposesKeysAndDestroyErases(t *testing.T) {
	ctx := context.Background()
	hsm := NewSoftHSM()
	if err := hsm.GenerateKey(ctx, "unit-7"); err != nil {
		t.Fatal(err)
	}
	if err := hsm.GenerateKey(ctx, "unit-7"); !errors.Is(err, fs.ErrExist) {
		t.Fatalf("second GenerateKey: %v", err)
	}
	sealed, err := Seal(ctx, []byte("record"), hsm.Wrapper("unit-7"))
	if err != nil {
		t.Fatal(err)
	}
	if got, err := Open(ctx, sealed, hsm); err != nil || string(got) != "record" {
		t.Fatalf("Open: %v", err)
	}
	if err := hsm.Destroy(ctx, "unit-7"); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(ctx, sealed, hsm); !errors.Is(err, ErrNoMatchingKey) {
		t.Fatalf("Open after Destroy: %v", err)
	}
	if _, err := Seal(ctx, nil, hsm.Wrapper("unit-7")); !errors.Is(err, ErrNoMatchingKey) {
		t.Fatalf("Seal after Destroy: %v", err)
	}
	if len(hsm.IDs()) != 0 {
		t.Fatal(hsm.IDs())
	}
}

func newAuditLog(t *testing.T) (*audit.Log, *audit.MemStore) {
	st := audit.NewMemStore()
	l, err := audit.Open(context.Background(), st)
	if err != nil {
		t.Fatal(err)
	}
	return l, st
}

// TestCryptoEraseMakesDataUnrecoverable: after Keyring.Destroy, files
// wrapped only to the key do not open, by the ring or by anyone holding
// the old key file's bytes (they are overwritten), files also wrapped to
// another key still do, and the log shows who created and destroyed what.
func TestCryptoEraseMakesDataUnrecoverable(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	log, store := newAuditLog(t)
	ring, err := OpenKeyring(filepath.Join(dir, "keys"), log)
	if err != nil {
		t.Fatal(err)
	}
	patient, err := ring.Generate(ctx, "patient-records")
	if err != nil {
		t.Fatal(err)
	}
	recovery, err := ring.Generate(ctx, "recovery")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ring.Generate(ctx, "recovery"); err == nil {
		t.Fatal("Generate replaced an existing key")
	}
	if ids, _ := ring.IDs(); !slices.Equal(ids, []string{"patient-records", "recovery"}) {
		t.Fatalf("IDs = %v", ids)
	}
	for _, p := range []string{filepath.Join(dir, "keys"), filepath.Join(dir, "keys", "recovery.key")} {
		st, _ := os.Stat(p)
		if want := fs.FileMode(0o600); st.IsDir() {
			want = 0o700
			if st.Mode().Perm() != want {
				t.Fatalf("%s mode %v, want %v", p, st.Mode().Perm(), want)
			}
		} else if st.Mode().Perm() != want {
			t.Fatalf("%s mode %v, want %v", p, st.Mode().Perm(), want)
		}
	}
	only := filepath.Join(dir, "only.sealed")
	both := filepath.Join(dir, "both.sealed")
	if err := WriteFile(ctx, only, []byte("P-1001 5 ml/h"), patient); err != nil {
		t.Fatal(err)
	}
	if err := WriteFile(ctx, both, []byte("P-1002 7 ml/h"), patient, recovery); err != nil {
		t.Fatal(err)
	}
	keyFile := filepath.Join(dir, "keys", "patient-records.key")
	oldKey, err := LoadKeyFile(keyFile)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := os.ReadFile(keyFile)
	// Keep a hard link to see what Destroy leaves in the file's blocks.
	if err := os.Link(keyFile, filepath.Join(dir, "peek")); err != nil {
		t.Fatal(err)
	}
	if err := ring.Destroy(ctx, "patient-records"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(keyFile); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("key file still there: %v", err)
	}
	if peek, _ := os.ReadFile(filepath.Join(dir, "peek")); bytes.Equal(peek, raw) || bytes.Contains(peek, []byte(keyFilePrefix)) {
		t.Fatal("Destroy removed the key file without overwriting it")
	}
	if _, err := ReadFile(ctx, only, ring); !errors.Is(err, ErrNoMatchingKey) {
		t.Fatalf("ReadFile after Destroy: %v", err)
	}
	if _, err := ring.Wrapper("patient-records"); !errors.Is(err, ErrNoMatchingKey) {
		t.Fatalf("Wrapper after Destroy: %v", err)
	}
	if _, err := Seal(ctx, nil, patient); !errors.Is(err, ErrNoMatchingKey) {
		t.Fatalf("a wrapper obtained before Destroy still seals: %v", err)
	}
	if got, err := ReadFile(ctx, both, ring); err != nil || string(got) != "P-1002 7 ml/h" {
		t.Fatalf("file also wrapped to recovery: %v", err)
	}
	if err := ring.Destroy(ctx, "patient-records"); !errors.Is(err, ErrNoMatchingKey) {
		t.Fatalf("second Destroy: %v", err)
	}
	// Only someone who copied the key before it was destroyed can open it.
	if _, err := ReadFile(ctx, only, oldKey); err != nil {
		t.Fatalf("copied key: %v", err)
	}

	recs, err := log.Records(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range recs {
		got = append(got, r.Action+" "+r.Object+" "+string(r.Outcome))
	}
	want := []string{
		"atrest.key.create patient-records success",
		"atrest.key.create recovery success",
		"atrest.key.create recovery failure",
		"atrest.key.destroy patient-records success",
		"atrest.key.destroy patient-records failure",
	}
	if !slices.Equal(got, want) {
		t.Fatalf("audit records:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if _, err := audit.Verify(store.LogBytes(), store.CheckpointBytes(), log.PublicKey()); err != nil {
		t.Fatal(err)
	}
}

// failingAuditor refuses every event.
type failingAuditor struct{}

func (failingAuditor) Append(context.Context, audit.Event) (audit.Record, error) {
	return audit.Record{}, errors.New("audit store full")
}

func TestAuditFailureIsReported(t *testing.T) {
	ctx := context.Background()
	ring, err := OpenKeyring(t.TempDir(), failingAuditor{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ring.Generate(ctx, "k1"); err == nil || !strings.Contains(err.Error(), "audit") {
		t.Fatalf("Generate with a failing auditor: %v", err)
	}
	// The key was stored: the audit failure is reported, not hidden.
	if ids, _ := ring.IDs(); !slices.Equal(ids, []string{"k1"}) {
		t.Fatalf("IDs = %v", ids)
	}
}

func TestPassphrase(t *testing.T) {
	ctx := context.Background()
	defer func(i int, m uint32) { minPBKDF2Iterations, minArgon2MemoryKiB = i, m }(minPBKDF2Iterations, minArgon2MemoryKiB)
	minPBKDF2Iterations, minArgon2MemoryKiB = 1000, 64
	kdfs := map[string]*Passphrase{
		"pbkdf2": {KDF: KDFPBKDF2, PBKDF2Iterations: 1000},
		"argon2": {KDF: KDFArgon2id, Argon2Time: 1, Argon2MemoryKiB: 64, Argon2Threads: 1},
		"auto":   {PBKDF2Iterations: 1000, Argon2Time: 1, Argon2MemoryKiB: 64, Argon2Threads: 1},
	}
	for name, p := range kdfs {
		t.Run(name, func(t *testing.T) {
			p.pass = []byte("correct horse battery staple")
			sealed, err := Seal(ctx, []byte("record"), p)
			if name == "argon2" && fips140.Enabled() {
				if !errors.Is(err, ErrNotApproved) {
					t.Fatalf("argon2id under FIPS mode: %v, want ErrNotApproved", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			in, _ := Inspect(bytes.NewReader(sealed))
			wantType := TypeArgon2id
			if p.kdf() == KDFPBKDF2 {
				wantType = TypePBKDF2
			}
			if in.Recipients[0] != (Recipient{wantType, "passphrase"}) {
				t.Fatalf("recipient %+v", in.Recipients[0])
			}
			if got, err := Open(ctx, sealed, NewPassphrase("correct horse battery staple")); err != nil || string(got) != "record" {
				t.Fatalf("Open: %v", err)
			}
			if _, err := Open(ctx, sealed, NewPassphrase("Correct horse battery staple")); !errors.Is(err, ErrWrongPassphrase) {
				t.Fatalf("wrong passphrase: %v", err)
			}
			if _, err := Open(ctx, sealed, &Passphrase{ID: "other", pass: []byte("correct horse battery staple")}); !errors.Is(err, ErrNoMatchingKey) {
				t.Fatalf("passphrase with another id: %v", err)
			}
		})
	}
	if _, err := Seal(ctx, nil, NewPassphrase("")); err == nil {
		t.Fatal("empty passphrase accepted")
	}
	weak := NewPassphrase("x")
	weak.KDF, weak.PBKDF2Iterations = KDFPBKDF2, 999
	if _, err := Seal(ctx, nil, weak); err == nil {
		t.Fatal("PBKDF2 below the minimum cost accepted")
	}
}

func TestRewrapAddRemoveReplace(t *testing.T) {
	ctx := context.Background()
	alice, bob, carol := testKey(t, "alice"), testKey(t, "bob"), testKey(t, "carol")
	pt := pattern(1000)
	sealed := sealStream(t, pt, tcs, 1, alice)
	log, _ := newAuditLog(t)
	payload := func(b []byte) []byte { h, _ := parseHeaderBytes(b); return b[len(h.raw):] }

	added, err := Rewrap(ctx, sealed, Rewrapping{Unwrap: []KeyUnwrapper{alice}, Add: []KeyWrapper{bob, carol}, Auditor: log})
	if err != nil {
		t.Fatal(err)
	}
	replaced, err := Rewrap(ctx, added, Rewrapping{Unwrap: []KeyUnwrapper{carol}, Remove: []string{"alice", "bob"}, Auditor: log})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		sealed []byte
		opens  []*RawKey
		not    []*RawKey
	}{
		{added, []*RawKey{alice, bob, carol}, nil},
		{replaced, []*RawKey{carol}, []*RawKey{alice, bob}},
	} {
		if !bytes.Equal(payload(c.sealed), payload(sealed)) {
			t.Fatal("rewrap changed the payload")
		}
		for _, k := range c.opens {
			if got, err := Open(ctx, c.sealed, k); err != nil || !bytes.Equal(got, pt) {
				t.Fatalf("%s: %v", k.ID(), err)
			}
		}
		for _, k := range c.not {
			if _, err := Open(ctx, c.sealed, k); !errors.Is(err, ErrNoMatchingKey) {
				t.Fatalf("%s: %v", k.ID(), err)
			}
		}
	}
	for name, rw := range map[string]Rewrapping{
		"remove a key that is not there": {Unwrap: []KeyUnwrapper{alice}, Remove: []string{"bob"}},
		"remove every key":               {Unwrap: []KeyUnwrapper{alice}, Remove: []string{"alice"}},
		"add a key already there":        {Unwrap: []KeyUnwrapper{alice}, Add: []KeyWrapper{alice}},
		"no key that opens it":           {Unwrap: []KeyUnwrapper{bob}, Add: []KeyWrapper{carol}},
	} {
		if _, err := Rewrap(ctx, sealed, rw); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	// Tampered header: refused.
	bad := slices.Clone(sealed)
	bad[20] ^= 1
	if _, err := Rewrap(ctx, bad, Rewrapping{Unwrap: []KeyUnwrapper{alice}, Add: []KeyWrapper{bob}, Auditor: log}); !errors.Is(err, ErrAuthentication) {
		t.Fatalf("rewrap of a tampered header: %v", err)
	}
	recs, _ := log.Records(ctx)
	if len(recs) != 3 || recs[0].Detail["added"] != "bob,carol" || recs[1].Detail["removed"] != "alice,bob" ||
		recs[2].Outcome != audit.Failure || recs[2].Action != ActionRewrap {
		t.Fatalf("audit records: %+v", recs)
	}
}

func TestRewrapAndReencryptFile(t *testing.T) {
	ctx := context.Background()
	alice, bob := testKey(t, "alice"), testKey(t, "bob")
	name := filepath.Join(t.TempDir(), "records.sealed")
	pt := pattern(200_000)
	if err := WriteFile(ctx, name, pt, alice); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(name, 0o640); err != nil {
		t.Fatal(err)
	}
	if err := RewrapFile(ctx, name, Rewrapping{Unwrap: []KeyUnwrapper{alice}, Add: []KeyWrapper{bob}, Remove: []string{"alice"}}); err != nil {
		t.Fatal(err)
	}
	if got, err := ReadFile(ctx, name, bob); err != nil || !bytes.Equal(got, pt) {
		t.Fatalf("after RewrapFile: %v", err)
	}
	if st, _ := os.Stat(name); st.Mode().Perm() != 0o640 {
		t.Fatalf("RewrapFile changed the mode to %v", st.Mode().Perm())
	}
	if err := ReencryptFile(ctx, name, []KeyUnwrapper{bob}, &Options{ChunkSize: 4096}, alice); err != nil {
		t.Fatal(err)
	}
	if got, err := ReadFile(ctx, name, alice); err != nil || !bytes.Equal(got, pt) {
		t.Fatalf("after ReencryptFile: %v", err)
	}
	if in, _ := Inspect(mustOpen(t, name)); in.ChunkSize != 4096 {
		t.Fatalf("chunk size %d", in.ChunkSize)
	}
	left, _ := filepath.Glob(filepath.Join(filepath.Dir(name), ".*"))
	if len(left) != 0 {
		t.Fatalf("temp files left: %v", left)
	}
}

func mustOpen(t *testing.T, name string) *os.File {
	f, err := os.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}
