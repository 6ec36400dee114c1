package atrest

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"testing"
)

// The tamper fixture: a small file with a small chunk size, so exhaustive
// attacks stay fast. Four chunks: three full, one of 20 bytes.
const tcs = 64

type tamperFixture struct {
	key    *RawKey
	pt     []byte
	sealed []byte
	hdrLen int
}

func newTamperFixture(t testing.TB) *tamperFixture {
	t.Helper()
	f := &tamperFixture{key: testKey(t, "alice"), pt: pattern(3*tcs + 20)}
	f.sealed = sealStream(t, f.pt, tcs, 1, f.key)
	h, err := parseHeaderBytes(f.sealed)
	if err != nil {
		t.Fatal(err)
	}
	f.hdrLen = len(h.raw)
	return f
}

func (f *tamperFixture) chunk(i int) []byte {
	ct := tcs + chunkOverhead
	p := f.sealed[f.hdrLen:]
	return p[i*ct : min(len(p), (i+1)*ct)]
}

func (f *tamperFixture) chunks() [][]byte {
	var cs [][]byte
	for i := 0; f.hdrLen+i*(tcs+chunkOverhead) < len(f.sealed); i++ {
		cs = append(cs, f.chunk(i))
	}
	return cs
}

func (f *tamperFixture) assemble(chunks ...[]byte) []byte {
	return slices.Concat(append([][]byte{f.sealed[:f.hdrLen:f.hdrLen]}, chunks...)...)
}

// mustReject checks that every decoder refuses tampered and releases no
// plaintext it should not: Open releases nothing; a streaming Reader, and
// ReaderAt reading from offset 0, release at most the authentic chunks
// before intact, a count of bytes from the start of the input that are
// known unmodified.
func mustReject(t *testing.T, what string, tampered []byte, f *tamperFixture, intact int, allowed ...error) {
	t.Helper()
	if len(allowed) == 0 {
		allowed = []error{ErrAuthentication}
	}
	limit := 0
	if intact > f.hdrLen {
		limit = (intact - f.hdrLen) / (tcs + chunkOverhead) * tcs
	}
	for _, d := range decodeAll(tampered, f.key) {
		if d.err == nil {
			t.Fatalf("%s: %s accepted it (%d bytes)", what, d.name, len(d.out))
		}
		if !errorsIsAny(d.err, allowed...) {
			t.Fatalf("%s: %s: error %v, want one of %v", what, d.name, d.err, allowed)
		}
		if errors.Is(d.err, ErrAuthentication) && intact >= f.hdrLen && d.err != ErrAuthentication {
			t.Fatalf("%s: %s: payload error %q is not the bare ErrAuthentication", what, d.name, d.err)
		}
		if strings.HasPrefix(d.name, "Open") && len(d.out) > 0 {
			t.Fatalf("%s: %s released %d bytes with an error", what, d.name, len(d.out))
		}
		if len(d.out) > limit || !bytes.Equal(d.out, f.pt[:len(d.out)]) || len(d.out)%tcs != 0 && len(d.out) != len(f.pt) {
			t.Fatalf("%s: %s released %d bytes; only %d authentic bytes precede the damage", what, d.name, len(d.out), limit)
		}
	}
}

func TestEveryBitFlipIsRejected(t *testing.T) {
	f := newTamperFixture(t)
	for i := range len(f.sealed) * 8 {
		tampered := slices.Clone(f.sealed)
		tampered[i/8] ^= 1 << (i % 8)
		pos := i / 8
		if pos < f.hdrLen {
			// A flip in the header may show as a parse error, an
			// unsupported version or an unknown key id before the MAC
			// is reached; all release nothing.
			mustReject(t, fmt.Sprintf("bit %d (header byte %d)", i, pos), tampered, f, 0,
				ErrAuthentication, ErrMalformed, ErrUnsupportedVersion, ErrNoMatchingKey)
			continue
		}
		chunk := (pos - f.hdrLen) / (tcs + chunkOverhead)
		mustReject(t, fmt.Sprintf("bit %d (chunk %d)", i, chunk), tampered, f, f.hdrLen+chunk*(tcs+chunkOverhead))
	}
}

func TestTruncationAnywhereIsRejected(t *testing.T) {
	f := newTamperFixture(t)
	for n := range len(f.sealed) {
		tampered := f.sealed[:n:n]
		if n < f.hdrLen {
			mustReject(t, fmt.Sprintf("cut to %d bytes (in header)", n), tampered, f, 0, ErrMalformed)
			continue
		}
		// Every chunk wholly before the cut is authentic; the cut one
		// (or, at a boundary, the last one left, which is not flagged
		// final) must not open.
		intact := f.hdrLen + max(0, (n-f.hdrLen)/(tcs+chunkOverhead)-1)*(tcs+chunkOverhead)
		if (n-f.hdrLen)%(tcs+chunkOverhead) != 0 {
			intact = f.hdrLen + (n-f.hdrLen)/(tcs+chunkOverhead)*(tcs+chunkOverhead)
		}
		mustReject(t, fmt.Sprintf("cut to %d bytes", n), tampered, f, intact)
	}
}

func TestChunkBoundaryTruncationIsRejected(t *testing.T) {
	f := newTamperFixture(t)
	cs := f.chunks()
	for keep := range len(cs) {
		mustReject(t, fmt.Sprintf("only the first %d chunks", keep), f.assemble(cs[:keep]...), f,
			f.hdrLen+max(0, keep-1)*(tcs+chunkOverhead))
	}
}

func TestChunkReorderIsRejected(t *testing.T) {
	f := newTamperFixture(t)
	cs := f.chunks()
	for i := range cs {
		for j := i + 1; j < len(cs); j++ {
			swapped := slices.Clone(cs)
			swapped[i], swapped[j] = swapped[j], swapped[i]
			mustReject(t, fmt.Sprintf("chunks %d and %d swapped", i, j), f.assemble(swapped...), f,
				f.hdrLen+i*(tcs+chunkOverhead))
		}
	}
}

func TestChunkDuplicationIsRejected(t *testing.T) {
	f := newTamperFixture(t)
	cs := f.chunks()
	for i := range cs {
		for at := 0; at <= len(cs); at++ {
			dup := slices.Insert(slices.Clone(cs), at, cs[i])
			first := at // the first position that no longer holds its own chunk
			if at == i {
				first = at + 1
			}
			mustReject(t, fmt.Sprintf("chunk %d repeated at %d", i, at), f.assemble(dup...), f,
				f.hdrLen+first*(tcs+chunkOverhead))
		}
	}
}

func TestChunkDeletionIsRejected(t *testing.T) {
	f := newTamperFixture(t)
	cs := f.chunks()
	for i := range cs {
		mustReject(t, fmt.Sprintf("chunk %d dropped", i), f.assemble(slices.Delete(slices.Clone(cs), i, i+1)...), f,
			f.hdrLen+i*(tcs+chunkOverhead))
	}
}

func TestExtensionIsRejected(t *testing.T) {
	f := newTamperFixture(t)
	cs := f.chunks()
	last := f.hdrLen + (len(cs)-1)*(tcs+chunkOverhead)
	for _, extra := range [][]byte{{0}, make([]byte, 27), make([]byte, 28), make([]byte, tcs+chunkOverhead), cs[0], cs[len(cs)-1], f.sealed} {
		mustReject(t, fmt.Sprintf("%d bytes appended", len(extra)), slices.Concat(f.sealed, extra), f, last)
	}
}

// TestHeaderSwapBetweenFilesIsRejected: two files sealed to the same key;
// one's header in front of the other's chunks, and chunks moved between
// them, never open.
func TestHeaderSwapBetweenFilesIsRejected(t *testing.T) {
	f := newTamperFixture(t)
	other := sealStream(t, f.pt, tcs, 1, f.key) // same key, same plaintext, same length
	oh, err := parseHeaderBytes(other)
	if err != nil {
		t.Fatal(err)
	}
	if len(oh.raw) != f.hdrLen {
		t.Fatal("fixture headers differ in length")
	}
	mustReject(t, "header of another file", slices.Concat(other[:f.hdrLen], f.sealed[f.hdrLen:]), f, 0)
	for i := range f.chunks() {
		mixed := slices.Clone(f.sealed)
		off := f.hdrLen + i*(tcs+chunkOverhead)
		copy(mixed[off:], other[off:min(len(other), off+tcs+chunkOverhead)])
		mustReject(t, fmt.Sprintf("chunk %d from another file", i), mixed, f, off)
	}
}

// TestStanzaTransplantIsRejected: a stanza from another file (same key)
// unwraps to the other file's data key, and this header's MAC then fails.
func TestStanzaTransplantIsRejected(t *testing.T) {
	f := newTamperFixture(t)
	other := sealStream(t, pattern(10), tcs, 1, f.key)
	h, _ := parseHeaderBytes(f.sealed)
	oh, _ := parseHeaderBytes(other)
	tampered := bytes.Replace(f.sealed, h.stanzas[0].Wrapped, oh.stanzas[0].Wrapped, 1)
	mustReject(t, "stanza from another file", tampered, f, 0)
}

// TestKeyIDSubstitutionIsRejected: renaming the stanza's key id to a key
// the attacker holds does not let that key open it.
func TestKeyIDSubstitutionIsRejected(t *testing.T) {
	ctx := context.Background()
	alice, mallory := testKey(t, "alice"), testKey(t, "malry")
	sealed := sealStream(t, pattern(100), tcs, 1, alice)
	tampered := bytes.Replace(sealed, []byte("alice"), []byte("malry"), 1)
	if _, err := Open(ctx, tampered, mallory); !errors.Is(err, ErrAuthentication) {
		t.Fatalf("Open with the substituted id: %v, want ErrAuthentication", err)
	}
	if _, err := Open(ctx, tampered, alice); !errors.Is(err, ErrNoMatchingKey) {
		t.Fatalf("Open with the real key: %v, want ErrNoMatchingKey", err)
	}
}

// forge seals chunks with the file's real keys but breaking the format's
// rules, as an insider holding the data key (or a buggy writer) could.
func forge(t *testing.T, key *RawKey, pt []byte, finalOf func(i, n int) bool, extraEmptyFinal bool) []byte {
	t.Helper()
	hdr, c, err := newSealHeader(context.Background(), tcs, []KeyWrapper{key})
	if err != nil {
		t.Fatal(err)
	}
	out := slices.Clone(hdr)
	n := (len(pt) + tcs - 1) / tcs
	var aad [aadLen]byte
	for i := range n {
		out = c.seal(out, pt[i*tcs:min(len(pt), (i+1)*tcs)], uint64(i), finalOf(i, n), &aad)
	}
	if extraEmptyFinal {
		out = c.seal(out, nil, uint64(n), true, &aad)
	}
	return out
}

// TestNonCanonicalChunkingIsRejected: streams a writer never produces are
// refused even though each chunk is genuine: no chunk flagged final, two
// flagged final, and a full last chunk followed by an empty final one.
func TestNonCanonicalChunkingIsRejected(t *testing.T) {
	f := newTamperFixture(t)
	pt := pattern(3 * tcs)
	cases := map[string][]byte{
		"no final chunk":                    forge(t, f.key, pt, func(i, n int) bool { return false }, false),
		"every chunk final":                 forge(t, f.key, pt, func(i, n int) bool { return true }, false),
		"empty final chunk after full ones": forge(t, f.key, pt, func(i, n int) bool { return false }, true),
	}
	// Chunks before the broken rule are genuine, so a streaming Reader may
	// hand them out; nothing after.
	released := map[string]int{"no final chunk": 2 * tcs, "every chunk final": 0, "empty final chunk after full ones": 3 * tcs}
	for name, sealed := range cases {
		for _, d := range decodeAll(sealed, f.key) {
			if !errors.Is(d.err, ErrAuthentication) || len(d.out) > released[name] {
				t.Errorf("%s: %s: %d bytes, %v", name, d.name, len(d.out), d.err)
			}
		}
	}
	// The forger itself is sound: the canonical form opens.
	good := forge(t, f.key, pt, func(i, n int) bool { return i == n-1 }, false)
	if got, err := Open(context.Background(), good, f.key); err != nil || !bytes.Equal(got, pt) {
		t.Fatalf("canonical forged file: %v", err)
	}
}

// TestStreamingReaderReleasesNoUnauthenticatedPlaintext: with the third
// chunk damaged, a Reader hands out exactly the first two chunks and then
// ErrAuthentication; the caller's buffer never holds the third chunk's
// plaintext, even when the Reader decrypts straight into it.
func TestStreamingReaderReleasesNoUnauthenticatedPlaintext(t *testing.T) {
	f := newTamperFixture(t)
	tampered := slices.Clone(f.sealed)
	tampered[f.hdrLen+2*(tcs+chunkOverhead)+nonceLen+5] ^= 0x80 // ciphertext byte of chunk 2
	for _, par := range []int{1, 2, parTiny} {
		p := par
		if par == parTiny {
			restore := tinyBatches()
			defer restore()
			p = 2
		}
		r, err := NewReader(context.Background(), bytes.NewReader(tampered), &Options{Parallelism: p}, f.key)
		if err != nil {
			t.Fatal(err)
		}
		buf := make([]byte, tcs) // big enough for the decrypt-into-p path
		var got []byte
		for {
			for i := range buf {
				buf[i] = 0xAA
			}
			n, err := r.Read(buf)
			got = append(got, buf[:n]...)
			if err != nil {
				if err != ErrAuthentication {
					t.Fatalf("par=%d: error %v", par, err)
				}
				break
			}
		}
		if !bytes.Equal(got, f.pt[:2*tcs]) {
			t.Fatalf("par=%d: released %d bytes, want the first two chunks", par, len(got))
		}
		if bytes.Contains(buf, f.pt[2*tcs+8:2*tcs+24]) {
			t.Fatalf("par=%d: the damaged chunk's plaintext is in the caller's buffer", par)
		}
		if _, err := r.Read(buf); err != ErrAuthentication {
			t.Fatalf("par=%d: error is not sticky: %v", par, err)
		}
	}
}

// TestWrongKeyUnknownKeyWrongPassphraseFutureVersion: each has its own
// clear error.
func TestWrongKeyUnknownKeyWrongPassphraseFutureVersion(t *testing.T) {
	ctx := context.Background()
	alice := testKey(t, "alice")
	pt := []byte("infusion rate 5 ml/h for patient P-1001")
	sealed, err := Seal(ctx, pt, alice)
	if err != nil {
		t.Fatal(err)
	}
	// A different key under the same id (a regenerated key): the stanza
	// does not open.
	impostor, _ := NewRawKey("alice", testKeyBytes("someone else"))
	// A different key with its own id: nothing in the header is for it.
	bob := testKey(t, "bob")
	pass := NewPassphrase("right")
	pass.KDF, pass.PBKDF2Iterations = KDFPBKDF2, minPBKDF2Iterations
	psealed, err := Seal(ctx, pt, pass)
	if err != nil {
		t.Fatal(err)
	}
	future := slices.Clone(sealed)
	future[7] = 2
	ancient := slices.Clone(sealed)
	ancient[7] = 0
	cases := []struct {
		name   string
		sealed []byte
		u      KeyUnwrapper
		want   error
	}{
		{"wrong key under the right id", sealed, impostor, ErrAuthentication},
		{"unknown key id", sealed, bob, ErrNoMatchingKey},
		{"keyring without the key", sealed, mustKeyring(t), ErrNoMatchingKey},
		{"wrong passphrase", psealed, NewPassphrase("wrong"), ErrWrongPassphrase},
		{"raw key on a passphrase file", psealed, alice, ErrNoMatchingKey},
		{"future format version", future, alice, ErrUnsupportedVersion},
		{"version 0", ancient, alice, ErrUnsupportedVersion},
		{"not a sealed file", []byte("patient,rate\nP-1001,5\n"), alice, ErrMalformed},
		{"empty input", nil, alice, ErrMalformed},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Open(ctx, c.sealed, c.u)
			if !errors.Is(err, c.want) {
				t.Fatalf("Open: %v, want %v", err, c.want)
			}
			for _, other := range []error{ErrAuthentication, ErrNoMatchingKey, ErrWrongPassphrase, ErrUnsupportedVersion, ErrMalformed} {
				if other != c.want && errors.Is(err, other) {
					t.Fatalf("Open: %v matches %v as well as %v", err, other, c.want)
				}
			}
			_, err = NewReader(ctx, bytes.NewReader(c.sealed), nil, c.u)
			if !errors.Is(err, c.want) {
				t.Fatalf("NewReader: %v, want %v", err, c.want)
			}
			_, err = NewReaderAt(ctx, bytes.NewReader(c.sealed), int64(len(c.sealed)), c.u)
			if !errors.Is(err, c.want) {
				t.Fatalf("NewReaderAt: %v, want %v", err, c.want)
			}
		})
	}
}

func mustKeyring(t *testing.T) *Keyring {
	k, err := OpenKeyring(t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// TestOversizedHeaderFieldsAreRefusedBeforeAnyKeyWork: limits hold while
// parsing, before any unwrapping.
func TestOversizedHeaderFieldsAreRefusedBeforeAnyKeyWork(t *testing.T) {
	f := newTamperFixture(t)
	set := func(off int, b ...byte) []byte {
		s := slices.Clone(f.sealed)
		copy(s[off:], b)
		return s
	}
	cases := map[string][]byte{
		"chunk size 0":          set(8, 0, 0, 0, 0),
		"chunk size 15":         set(8, 0, 0, 0, 15),
		"chunk size 32 MiB":     set(8, 2, 0, 0, 0),
		"header length 1 MiB":   set(44, 0, 0x10, 0, 0),
		"header length too low": set(44, 0, 0, 0, 60),
		"no stanzas":            set(48, 0, 0),
		"65 stanzas":            set(48, 0, 65),
		"stanza type too long":  set(50, 33),
	}
	for name, s := range cases {
		if _, err := Open(context.Background(), s, f.key); !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: %v, want ErrMalformed", name, err)
		}
	}
}

// TestPassphraseCostLimitsStopForgedHeaders: a header cannot make a device
// run PBKDF2 or argon2id beyond the limits.
func TestPassphraseCostLimitsStopForgedHeaders(t *testing.T) {
	ctx := context.Background()
	salt := make([]byte, saltLen)
	rand.Read(salt)
	for _, s := range []Stanza{
		{Type: TypePBKDF2, KeyID: "passphrase", Params: append(slices.Clone(salt), 0xff, 0xff, 0xff, 0xff), Wrapped: make([]byte, 60)},
		{Type: TypePBKDF2, KeyID: "passphrase", Params: salt, Wrapped: make([]byte, 60)},
		{Type: TypeArgon2id, KeyID: "passphrase", Params: append(slices.Clone(salt), 0, 0, 0, 1, 0x7f, 0xff, 0xff, 0xff, 1), Wrapped: make([]byte, 60)},
		{Type: TypeArgon2id, KeyID: "passphrase", Params: append(slices.Clone(salt), 0, 0, 1, 0, 0, 0, 0x80, 0, 1), Wrapped: make([]byte, 60)},
	} {
		_, err := NewPassphrase("x").UnwrapKey(ctx, s)
		if !errorsIsAny(err, ErrMalformed, ErrNotApproved) {
			t.Errorf("%s params %x: %v, want ErrMalformed", s.Type, s.Params, err)
		}
	}
}

// TestRewrapDoesNotRevokeOldCopies documents the limit of Rewrap: a copy
// of the file from before the rewrap still opens with the removed key.
// Reencrypt is the answer (TestReencryptRevokesOldKeys).
func TestRewrapDoesNotRevokeOldCopies(t *testing.T) {
	ctx := context.Background()
	alice, bob := testKey(t, "alice"), testKey(t, "bob")
	pt := pattern(500)
	old := sealStream(t, pt, tcs, 1, alice)
	rewrapped, err := Rewrap(ctx, old, Rewrapping{Unwrap: []KeyUnwrapper{alice}, Add: []KeyWrapper{bob}, Remove: []string{"alice"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Open(ctx, rewrapped, alice); !errors.Is(err, ErrNoMatchingKey) {
		t.Fatalf("rewrapped file with the removed key: %v", err)
	}
	if got, err := Open(ctx, old, alice); err != nil || !bytes.Equal(got, pt) {
		t.Fatalf("old copy no longer opens: %v (the documented limit changed?)", err)
	}
}

func TestReencryptRevokesOldKeys(t *testing.T) {
	ctx := context.Background()
	alice, bob := testKey(t, "alice"), testKey(t, "bob")
	pt := pattern(500)
	old := sealStream(t, pt, tcs, 1, alice, bob)
	var out bytes.Buffer
	if err := Reencrypt(ctx, &out, bytes.NewReader(old), []KeyUnwrapper{alice}, &Options{ChunkSize: tcs}, bob); err != nil {
		t.Fatal(err)
	}
	if got, err := Open(ctx, out.Bytes(), bob); err != nil || !bytes.Equal(got, pt) {
		t.Fatalf("reencrypted file: %v", err)
	}
	if _, err := Open(ctx, out.Bytes(), alice); !errors.Is(err, ErrNoMatchingKey) {
		t.Fatalf("reencrypted file with alice: %v", err)
	}
	// Nothing of the old payload or header survives: old stanzas (which
	// whoever kept alice's key could unwrap) do not open the new file.
	oh, _ := parseHeaderBytes(old)
	nh, _ := parseHeaderBytes(out.Bytes())
	if oh.fileID == nh.fileID || bytes.Contains(out.Bytes(), old[len(oh.raw):len(oh.raw)+40]) {
		t.Fatal("reencrypt reused the file id or payload")
	}
	spliced := slices.Concat(old[:len(oh.raw)], out.Bytes()[len(nh.raw):])
	if _, err := Open(ctx, spliced, alice); !errors.Is(err, ErrAuthentication) {
		t.Fatalf("old header on the new payload: %v", err)
	}
	// A damaged source fails and says so.
	bad := slices.Clone(old)
	bad[len(bad)-1] ^= 1
	if err := Reencrypt(ctx, io.Discard, bytes.NewReader(bad), []KeyUnwrapper{alice}, nil, bob); !errors.Is(err, ErrAuthentication) {
		t.Fatalf("Reencrypt of a damaged file: %v", err)
	}
}
