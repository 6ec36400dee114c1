package atrest

import (
	"bytes"
	"context"
	"crypto/fips140"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/cryptotest"
)

var update = flag.Bool("update", false, "rewrite testdata/vectors and the fuzz seed corpora from vectorCases()")

// vector is one file in testdata/vectors: a sealed input, the keys to open
// it with, and the expected outcome. Other implementations of the format
// can run these files without Go.
type vector struct {
	Name        string      `json:"name"`
	Description string      `json:"description"`
	Keys        []vectorKey `json:"keys"`
	Sealed      string      `json:"sealed"` // base64 (standard, padded)
	Valid       bool        `json:"valid"`
	Plaintext   string      `json:"plaintext,omitempty"` // hex, when valid
	Error       string      `json:"error,omitempty"`     // when not valid: one of the names in vectorErrors
	// FIPSError, if set, is the expected error when the reader runs in
	// FIPS 140-3 mode (argon2id is refused there).
	FIPSError string `json:"fips_error,omitempty"`
}

// vectorKey is one key to try, in order.
type vectorKey struct {
	Type       string `json:"type"` // "raw" or "passphrase"
	ID         string `json:"id,omitempty"`
	Key        string `json:"key,omitempty"` // hex, raw keys
	Passphrase string `json:"passphrase,omitempty"`
}

var vectorErrors = map[string]error{
	"authentication":      ErrAuthentication,
	"no_matching_key":     ErrNoMatchingKey,
	"wrong_passphrase":    ErrWrongPassphrase,
	"unsupported_version": ErrUnsupportedVersion,
	"malformed":           ErrMalformed,
	"not_approved":        ErrNotApproved,
}

func (k vectorKey) unwrapper(t testing.TB) KeyUnwrapper {
	switch k.Type {
	case "raw":
		b, err := hex.DecodeString(k.Key)
		if err != nil {
			t.Fatal(err)
		}
		key, err := NewRawKey(k.ID, b)
		if err != nil {
			t.Fatal(err)
		}
		return key
	case "passphrase":
		return &Passphrase{ID: k.ID, pass: []byte(k.Passphrase)}
	}
	t.Fatalf("unknown key type %q", k.Type)
	return nil
}

func rawVectorKey(name string) vectorKey {
	return vectorKey{Type: "raw", ID: name, Key: hex.EncodeToString(testKeyBytes(name))}
}

// vectorCase builds one vector. build returns the sealed bytes; it runs
// with crypto/rand replaced by a stream seeded from the case name, so the
// same code writes the same bytes every time.
type vectorCase struct {
	name, desc   string
	keys         []vectorKey
	plaintext    []byte // when valid
	err          string // when not
	fipsErr      string
	needsNonFIPS bool // build uses argon2id
	build        func(t *testing.T) []byte
}

const vcs = 64 // chunk size of most vectors

func vectorCases() []vectorCase {
	alice, bob, carol := rawVectorKey("alice"), rawVectorKey("bob"), rawVectorKey("carol")
	pt150 := pattern(150)
	base := func(t *testing.T) []byte { return sealStream(t, pt150, vcs, 1, testKey(t, "alice")) }
	// at returns the offset of chunk i in a base file.
	hdrLen := func(b []byte) int { h, _ := parseHeaderBytes(b); return len(h.raw) }
	at := func(b []byte, i int) int { return hdrLen(b) + i*(vcs+chunkOverhead) }
	chunk := func(b []byte, i int) []byte { return b[at(b, i):min(len(b), at(b, i+1))] }
	flip := func(off func(b []byte) int) func(t *testing.T) []byte {
		return func(t *testing.T) []byte { b := base(t); b[off(b)] ^= 0x01; return b }
	}
	edit := func(f func(b []byte) []byte) func(t *testing.T) []byte {
		return func(t *testing.T) []byte { return f(base(t)) }
	}
	valid := func(name, desc string, pt []byte, keys []vectorKey, build func(t *testing.T) []byte) vectorCase {
		return vectorCase{name: name, desc: desc, keys: keys, plaintext: pt, build: build}
	}
	bad := func(name, desc, err string, keys []vectorKey, build func(t *testing.T) []byte) vectorCase {
		return vectorCase{name: name, desc: desc, keys: keys, err: err, build: build}
	}
	one := []vectorKey{alice}
	cheapPBKDF2 := func() *Passphrase {
		return &Passphrase{KDF: KDFPBKDF2, PBKDF2Iterations: 1000, pass: []byte("correct horse battery staple")}
	}
	argon := vectorCase{
		name: "valid_passphrase_argon2id", desc: "argon2id passphrase stanza (t=1, m=64 KiB, p=1: cheap test parameters)",
		keys:      []vectorKey{{Type: "passphrase", Passphrase: "correct horse battery staple"}},
		plaintext: pt150, fipsErr: "not_approved", needsNonFIPS: true,
		build: func(t *testing.T) []byte {
			p := &Passphrase{KDF: KDFArgon2id, Argon2Time: 1, Argon2MemoryKiB: 64, Argon2Threads: 1, pass: []byte("correct horse battery staple")}
			return sealStream(t, pt150, vcs, 1, p)
		},
	}
	return []vectorCase{
		valid("valid_empty", "empty plaintext: one empty final chunk", nil, one,
			func(t *testing.T) []byte { return sealStream(t, nil, vcs, 1, testKey(t, "alice")) }),
		valid("valid_one_short_chunk", "10 bytes: one final chunk shorter than the chunk size", pattern(10), one,
			func(t *testing.T) []byte { return sealStream(t, pattern(10), vcs, 1, testKey(t, "alice")) }),
		valid("valid_one_full_chunk", "64 bytes with 64-byte chunks: the final chunk is full, no empty chunk follows", pattern(64), one,
			func(t *testing.T) []byte { return sealStream(t, pattern(64), vcs, 1, testKey(t, "alice")) }),
		valid("valid_three_chunks", "150 bytes: two full chunks and a 22-byte final chunk", pt150, one, base),
		valid("valid_exact_multiple", "192 bytes: three full chunks, the last flagged final", pattern(192), one,
			func(t *testing.T) []byte { return sealStream(t, pattern(192), vcs, 1, testKey(t, "alice")) }),
		valid("valid_default_chunk_size", "1000 bytes with the default 64 KiB chunk size", pattern(1000), one,
			func(t *testing.T) []byte { return sealStream(t, pattern(1000), 0, 1, testKey(t, "alice")) }),
		valid("valid_two_recipients_second_key", "sealed to alice and bob, opened with bob", pt150, []vectorKey{bob},
			func(t *testing.T) []byte { return sealStream(t, pt150, vcs, 1, testKey(t, "alice"), testKey(t, "bob")) }),
		valid("valid_passphrase_pbkdf2", "PBKDF2-HMAC-SHA256 passphrase stanza (1000 iterations: cheap test parameters)", pt150,
			[]vectorKey{{Type: "passphrase", Passphrase: "correct horse battery staple"}},
			func(t *testing.T) []byte { return sealStream(t, pt150, vcs, 1, cheapPBKDF2()) }),
		argon,
		valid("valid_rewrapped", "sealed to alice, rewrapped: bob added, alice removed; opened with bob", pt150, []vectorKey{bob},
			func(t *testing.T) []byte { return mustRewrap(t, base(t), "alice", "bob") }),

		bad("flip_chunk_ciphertext", "one bit of chunk 1's ciphertext flipped", "authentication", one, flip(func(b []byte) int { return at(b, 1) + nonceLen + 3 })),
		bad("flip_chunk_nonce", "one bit of chunk 0's nonce flipped", "authentication", one, flip(func(b []byte) int { return at(b, 0) + 2 })),
		bad("flip_chunk_tag", "one bit of the final chunk's tag flipped", "authentication", one, flip(func(b []byte) int { return len(b) - 1 })),
		bad("flip_header_mac", "one bit of the header MAC flipped", "authentication", one, flip(func(b []byte) int { return hdrLen(b) - 1 })),
		bad("flip_file_id", "one bit of the file id flipped", "authentication", one, flip(func(b []byte) int { return 20 })),
		bad("flip_wrapped_key", "one bit of alice's wrapped data key flipped", "authentication", one, flip(func(b []byte) int { return hdrLen(b) - macLen - 5 })),
		bad("chunk_size_changed", "the header's chunk size changed from 64 to 32", "authentication", one,
			edit(func(b []byte) []byte { b[11] = 32; return b })),
		bad("chunks_swapped", "chunks 0 and 1 swapped", "authentication", one,
			edit(func(b []byte) []byte {
				return slices.Concat(b[:at(b, 0)], chunk(b, 1), chunk(b, 0), b[at(b, 2):])
			})),
		bad("chunk_duplicated", "chunk 0 repeated", "authentication", one,
			edit(func(b []byte) []byte { return slices.Concat(b[:at(b, 1)], chunk(b, 0), b[at(b, 1):]) })),
		bad("chunk_dropped", "chunk 1 removed", "authentication", one,
			edit(func(b []byte) []byte { return slices.Concat(b[:at(b, 1)], b[at(b, 2):]) })),
		bad("truncated_at_chunk_boundary", "the final chunk removed: the last chunk left is not flagged final", "authentication", one,
			edit(func(b []byte) []byte { return b[:at(b, 2)] })),
		bad("truncated_inside_chunk", "cut 5 bytes into chunk 1", "authentication", one,
			edit(func(b []byte) []byte { return b[:at(b, 1)+5] })),
		bad("truncated_to_header", "only the header is left", "authentication", one,
			edit(func(b []byte) []byte { return b[:hdrLen(b)] })),
		bad("extended_one_byte", "one zero byte appended", "authentication", one,
			edit(func(b []byte) []byte { return append(b, 0) })),
		bad("extended_final_chunk_copy", "the final chunk appended again", "authentication", one,
			edit(func(b []byte) []byte { return slices.Concat(b, chunk(b, 2)) })),
		bad("header_swapped", "the header of another file sealed to the same key, on this file's chunks", "authentication", one,
			func(t *testing.T) []byte {
				b := base(t)
				other := sealStream(t, pt150, vcs, 1, testKey(t, "alice"))
				return slices.Concat(other[:hdrLen(other)], b[hdrLen(b):])
			}),
		bad("no_final_flag", "forged with the data key: every chunk sealed as non-final", "authentication", one,
			func(t *testing.T) []byte {
				return forgeVector(t, pt150, func(i, n int) bool { return false }, false)
			}),
		bad("empty_final_chunk", "forged with the data key: three full chunks then an empty final chunk (writers never emit it)", "authentication", one,
			func(t *testing.T) []byte {
				return forgeVector(t, pattern(192), func(i, n int) bool { return false }, true)
			}),
		bad("wrong_key_same_id", "opened with a different key that is also called alice", "authentication",
			[]vectorKey{{Type: "raw", ID: "alice", Key: hex.EncodeToString(testKeyBytes("not alice"))}}, base),
		bad("unknown_key_id", "opened with carol, who is not in the header", "no_matching_key", []vectorKey{carol}, base),
		bad("wrong_passphrase", "PBKDF2 passphrase stanza opened with another passphrase", "wrong_passphrase",
			[]vectorKey{{Type: "passphrase", Passphrase: "Tr0ub4dor&3"}},
			func(t *testing.T) []byte { return sealStream(t, pt150, vcs, 1, cheapPBKDF2()) }),
		bad("future_version", "format version 2", "unsupported_version", one,
			edit(func(b []byte) []byte { b[7] = 2; return b })),
		bad("bad_magic", "first byte changed: not a sealed file", "malformed", one,
			edit(func(b []byte) []byte { b[0] = 'w'; return b })),
		bad("header_length_over_limit", "header length field set to 65537", "malformed", one,
			edit(func(b []byte) []byte { binary.BigEndian.PutUint32(b[44:], MaxHeaderSize+1); return b })),
		bad("no_stanzas", "stanza count set to 0", "malformed", one,
			edit(func(b []byte) []byte { b[48], b[49] = 0, 0; return b })),
		bad("rewrapped_removed_key", "rewrapped to bob with alice removed, opened with alice", "no_matching_key", one,
			func(t *testing.T) []byte { return mustRewrap(t, base(t), "alice", "bob") }),
	}
}

func mustRewrap(t *testing.T, sealed []byte, from, to string) []byte {
	out, err := Rewrap(context.Background(), sealed, Rewrapping{
		Unwrap: []KeyUnwrapper{testKey(t, from)}, Add: []KeyWrapper{testKey(t, to)}, Remove: []string{from}})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func forgeVector(t *testing.T, pt []byte, finalOf func(i, n int) bool, extraEmpty bool) []byte {
	hdr, c, err := newSealHeader(context.Background(), vcs, []KeyWrapper{testKey(t, "alice")})
	if err != nil {
		t.Fatal(err)
	}
	out := slices.Clone(hdr)
	n := (len(pt) + vcs - 1) / vcs
	var aad [aadLen]byte
	for i := range n {
		out = c.seal(out, pt[i*vcs:min(len(pt), (i+1)*vcs)], uint64(i), finalOf(i, n), &aad)
	}
	if extraEmpty {
		out = c.seal(out, nil, uint64(n), true, &aad)
	}
	return out
}

const vectorDir = "testdata/vectors"

// makeVectors runs every case with deterministic randomness. Cases that
// need argon2id cannot be built in FIPS mode and are left out then.
func makeVectors(t *testing.T) (map[string][]byte, map[string][]byte) {
	defer func(i int, m uint32) { minPBKDF2Iterations, minArgon2MemoryKiB = i, m }(minPBKDF2Iterations, minArgon2MemoryKiB)
	minPBKDF2Iterations, minArgon2MemoryKiB = 1000, 64
	files, sealed := map[string][]byte{}, map[string][]byte{}
	for _, c := range vectorCases() {
		if c.needsNonFIPS && fips140.Enabled() {
			continue
		}
		seed := sha256.Sum256([]byte(c.name))
		cryptotest.SetGlobalRandom(t, binary.BigEndian.Uint64(seed[:]))
		b := c.build(t)
		v := vector{Name: c.name, Description: c.desc, Keys: c.keys, Sealed: base64.StdEncoding.EncodeToString(b),
			Valid: c.err == "", Error: c.err, FIPSError: c.fipsErr}
		if v.Valid {
			v.Plaintext = hex.EncodeToString(c.plaintext)
		}
		var out bytes.Buffer
		enc := json.NewEncoder(&out)
		enc.SetEscapeHTML(false)
		enc.SetIndent("", "  ")
		if err := enc.Encode(v); err != nil {
			t.Fatal(err)
		}
		files[c.name+".json"], sealed[c.name] = out.Bytes(), b
	}
	return files, sealed
}

// TestVectors opens every committed vector and checks the outcome, and
// that the generator still writes the committed bytes: a change to the
// format shows up here before it ships. (The byte comparison relies on
// testing/cryptotest's deterministic randomness, which Go may change; if
// only that comparison fails after a Go upgrade, rerun with -update and
// check that the vectors still open as before.)
func TestVectors(t *testing.T) {
	var want map[string][]byte
	var sealed map[string][]byte
	if fips140.Version() == "v1.0.0" {
		// testing/cryptotest cannot make a frozen FIPS module's randomness
		// deterministic: check the committed vectors only.
		t.Log("GOFIPS140=v1.0.0 build: not regenerating the vectors")
	} else {
		want, sealed = makeVectors(t)
	}
	if *update {
		if fips140.Enabled() || want == nil {
			t.Fatal("run -update outside FIPS mode: the argon2id vector needs it")
		}
		if err := os.RemoveAll(vectorDir); err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(vectorDir, 0o755); err != nil {
			t.Fatal(err)
		}
		for name, b := range want {
			if err := os.WriteFile(filepath.Join(vectorDir, name), b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		writeFuzzCorpora(t, sealed)
	}
	files, err := filepath.Glob(filepath.Join(vectorDir, "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != len(vectorCases()) {
		t.Errorf("%d vector files, generator makes %d; run go test -run TestVectors -update", len(files), len(vectorCases()))
	}
	for _, path := range files {
		name := filepath.Base(path)
		t.Run(strings.TrimSuffix(name, ".json"), func(t *testing.T) {
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if gen, ok := want[name]; ok && !bytes.Equal(b, gen) {
				t.Errorf("%s differs from what the generator writes; the format changed? run go test -run TestVectors -update and review the diff", path)
			}
			var v vector
			if err := json.Unmarshal(b, &v); err != nil {
				t.Fatal(err)
			}
			runVector(t, &v)
		})
	}
}

func runVector(t *testing.T, v *vector) {
	sealed, err := base64.StdEncoding.DecodeString(v.Sealed)
	if err != nil {
		t.Fatal(err)
	}
	var us []KeyUnwrapper
	for _, k := range v.Keys {
		us = append(us, k.unwrapper(t))
	}
	wantErr := v.Error
	if fips140.Enabled() && v.FIPSError != "" {
		wantErr = v.FIPSError
	}
	for _, d := range decodeAll(sealed, us...) {
		if wantErr == "" {
			pt, _ := hex.DecodeString(v.Plaintext)
			if d.err != nil || !bytes.Equal(d.out, pt) {
				t.Fatalf("%s: %d bytes, %v; want the plaintext", d.name, len(d.out), d.err)
			}
			continue
		}
		target, ok := vectorErrors[wantErr]
		if !ok {
			t.Fatalf("unknown error name %q", wantErr)
		}
		if !errors.Is(d.err, target) {
			t.Fatalf("%s: %v; want %s", d.name, d.err, wantErr)
		}
	}
}

// writeFuzzCorpora commits every vector's sealed bytes as a seed of both
// fuzz targets. Files the fuzzer added (hex names) are kept.
func writeFuzzCorpora(t *testing.T, sealed map[string][]byte) {
	for _, target := range []string{"FuzzParseHeader", "FuzzReader"} {
		dir := filepath.Join("testdata", "fuzz", target)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		for name, b := range sealed {
			seed := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n", b)
			if err := os.WriteFile(filepath.Join(dir, name), []byte(seed), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
}
