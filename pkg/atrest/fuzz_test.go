package atrest

import (
	"bytes"
	"errors"
	"testing"
)

// FuzzParseHeader: no input panics or allocates beyond the limits; errors
// are ErrMalformed or ErrUnsupportedVersion; anything accepted re-encodes
// to exactly the bytes it was parsed from (the encoding is canonical, so
// two parsers cannot read one header two ways), and Inspect agrees.
func FuzzParseHeader(f *testing.F) {
	f.Add(sealStream(f, pattern(150), 64, 1, testKey(f, "alice"), testKey(f, "bob")))
	f.Add([]byte(magic + "\x00\x01"))
	f.Fuzz(func(t *testing.T, data []byte) {
		h, err := parseHeaderBytes(data)
		if err != nil {
			if !errorsIsAny(err, ErrMalformed, ErrUnsupportedVersion) {
				t.Fatalf("parse error %v is neither ErrMalformed nor ErrUnsupportedVersion", err)
			}
			if _, ierr := Inspect(bytes.NewReader(data)); ierr == nil {
				t.Fatal("Inspect accepted what the parser rejects")
			}
			return
		}
		if len(h.raw) > MaxHeaderSize || len(h.stanzas) == 0 || len(h.stanzas) > MaxStanzas ||
			h.chunkSize < MinChunkSize || h.chunkSize > MaxChunkSize {
			t.Fatalf("accepted a header outside the limits: %d bytes, %d stanzas, chunk size %d", len(h.raw), len(h.stanzas), h.chunkSize)
		}
		enc, err := h.encode()
		if err != nil {
			t.Fatalf("accepted header does not re-encode: %v", err)
		}
		enc = append(enc, h.mac[:]...)
		if !bytes.Equal(enc, data[:len(h.raw)]) {
			t.Fatalf("re-encoding differs:\n got %x\nwant %x", enc, data[:len(h.raw)])
		}
		in, ierr := Inspect(bytes.NewReader(data))
		if in.HeaderSize != len(h.raw) || len(in.Recipients) != len(h.stanzas) {
			t.Fatalf("Inspect = %+v, %v", in, ierr)
		}
	})
}

// FuzzReader: every decoder (Open, the streaming Reader sequential and
// parallel, ReaderAt) agrees on every input: all accept with the same
// plaintext, or all refuse with a known error, the streaming ones having
// released at most a prefix of what was sealed.
func FuzzReader(f *testing.F) {
	alice, bob := testKey(f, "alice"), testKey(f, "bob")
	f.Add(sealStream(f, pattern(150), 64, 1, alice))
	f.Add(sealStream(f, nil, 16, 1, bob))
	f.Fuzz(func(t *testing.T, data []byte) {
		res := decodeAll(data, alice, bob)
		ref := res[0]
		for _, d := range res {
			if d.err != nil && !errorsIsAny(d.err, ErrAuthentication, ErrMalformed, ErrUnsupportedVersion, ErrNoMatchingKey) {
				t.Fatalf("%s: unexpected error %v", d.name, d.err)
			}
			if (d.err == nil) != (ref.err == nil) {
				t.Fatalf("%s: %v, but %s: %v", d.name, d.err, ref.name, ref.err)
			}
			if ref.err == nil && !bytes.Equal(d.out, ref.out) {
				t.Fatalf("%s and %s disagree on the plaintext", d.name, ref.name)
			}
			if ref.err != nil && !errors.Is(d.err, ErrAuthentication) && len(d.out) > 0 {
				t.Fatalf("%s released %d bytes and then %v", d.name, len(d.out), d.err)
			}
		}
		if ref.err == nil {
			in, err := Inspect(bytes.NewReader(data))
			if err != nil || in.PlaintextSize != int64(len(ref.out)) {
				t.Fatalf("Inspect = %+v, %v; plaintext is %d bytes", in, err, len(ref.out))
			}
		}
	})
}

// FuzzParseKey feeds arbitrary bytes to ParseKey: no panic, and a key it
// accepts is 32 bytes whose key file encoding is exactly the input (the
// format has one spelling per key, so a damaged file is never read as a
// different key). Seeds: testdata/fuzz/FuzzParseKey.
func FuzzParseKey(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		k, err := ParseKey(data)
		if err != nil {
			return
		}
		if len(k.key) != 32 {
			t.Fatalf("accepted a %d-byte key", len(k.key))
		}
		enc, err := k.MarshalText()
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(enc, data) {
			t.Fatalf("accepted %q, which encodes as %q", data, enc)
		}
	})
}
