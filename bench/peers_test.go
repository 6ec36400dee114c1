package bench

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"testing"

	"filippo.io/age"
	"github.com/minio/sio"
	"github.com/tink-crypto/tink-go/v2/keyset"
	tinkpb "github.com/tink-crypto/tink-go/v2/proto/tink_go_proto"
	"github.com/tink-crypto/tink-go/v2/streamingaead"
	"github.com/tink-crypto/tink-go/v2/tink"

	"github.com/wardsec/ward/pkg/atrest"
)

// streamSize is the plaintext of every benchmark: big enough that per-file
// setup (key wrapping, X25519) does not matter, small enough to stay in
// the last-level cache so the figures measure the code, not DRAM.
const streamSize = 8 << 20

// source yields n bytes through Read only (like a file or a socket),
// copying from a 64 KiB pattern that stays in cache.
type source struct {
	buf []byte
	off int
	n   int64
}

var pattern = func() []byte {
	b := make([]byte, 64<<10)
	rand.Read(b)
	return b
}()

func newSource(n int64) *source { return &source{buf: pattern, n: n} }

func (s *source) Read(p []byte) (int, error) {
	if s.n == 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > s.n {
		p = p[:s.n]
	}
	n := 0
	for n < len(p) {
		k := copy(p[n:], s.buf[s.off:])
		n += k
		s.off = (s.off + k) % len(s.buf)
	}
	s.n -= int64(n)
	return n, nil
}

// readOnly hides every method of a reader but Read.
type readOnly struct{ r io.Reader }

func (r readOnly) Read(p []byte) (int, error) { return r.r.Read(p) }

// peer seals src into dst and opens src into dst, streaming.
type peer struct {
	name    string
	encrypt func(dst io.Writer, src io.Reader) error
	decrypt func(dst io.Writer, src io.Reader) error
}

func peers(tb testing.TB) []peer {
	ctx := context.Background()
	wkey, err := atrest.GenerateKey("bench")
	if err != nil {
		tb.Fatal(err)
	}
	id, err := age.GenerateX25519Identity()
	if err != nil {
		tb.Fatal(err)
	}
	sioKey := make([]byte, 32)
	rand.Read(sioKey)
	sioCfg := sio.Config{Key: sioKey, CipherSuites: []byte{sio.AES_256_GCM}, MinVersion: sio.Version20, MaxVersion: sio.Version20}
	tinkPeer := func(name string, tmpl *tinkpb.KeyTemplate) peer {
		var s tink.StreamingAEAD
		h, err := keyset.NewHandle(tmpl)
		if err == nil {
			s, err = streamingaead.New(h)
		}
		if err != nil {
			return peer{name: name, encrypt: func(io.Writer, io.Reader) error { return err },
				decrypt: func(io.Writer, io.Reader) error { return err }}
		}
		return peer{name: name,
			encrypt: func(dst io.Writer, src io.Reader) error {
				w, err := s.NewEncryptingWriter(dst, nil)
				if err != nil {
					return err
				}
				if _, err := io.Copy(w, src); err != nil {
					return err
				}
				return w.Close()
			},
			decrypt: func(dst io.Writer, src io.Reader) error {
				r, err := s.NewDecryptingReader(src, nil)
				if err != nil {
					return err
				}
				_, err = io.Copy(dst, r)
				return err
			}}
	}
	return []peer{
		{name: "ward",
			encrypt: func(dst io.Writer, src io.Reader) error {
				w, err := atrest.NewWriter(ctx, dst, nil, wkey)
				if err != nil {
					return err
				}
				if _, err := io.Copy(w, src); err != nil {
					return err
				}
				return w.Close()
			},
			decrypt: func(dst io.Writer, src io.Reader) error {
				r, err := atrest.NewReader(ctx, src, nil, wkey)
				if err != nil {
					return err
				}
				_, err = io.Copy(dst, r)
				return err
			}},
		{name: "ward-1core", // Parallelism 1 whatever GOMAXPROCS is
			encrypt: func(dst io.Writer, src io.Reader) error {
				w, err := atrest.NewWriter(ctx, dst, &atrest.Options{Parallelism: 1}, wkey)
				if err != nil {
					return err
				}
				if _, err := io.Copy(w, src); err != nil {
					return err
				}
				return w.Close()
			},
			decrypt: func(dst io.Writer, src io.Reader) error {
				r, err := atrest.NewReader(ctx, src, &atrest.Options{Parallelism: 1}, wkey)
				if err != nil {
					return err
				}
				_, err = io.Copy(dst, r)
				return err
			}},
		{name: "age",
			encrypt: func(dst io.Writer, src io.Reader) error {
				w, err := age.Encrypt(dst, id.Recipient())
				if err != nil {
					return err
				}
				if _, err := io.Copy(w, src); err != nil {
					return err
				}
				return w.Close()
			},
			decrypt: func(dst io.Writer, src io.Reader) error {
				r, err := age.Decrypt(src, id)
				if err != nil {
					return err
				}
				_, err = io.Copy(dst, r)
				return err
			}},
		{name: "sio",
			encrypt: func(dst io.Writer, src io.Reader) error { _, err := sio.Encrypt(dst, src, sioCfg); return err },
			decrypt: func(dst io.Writer, src io.Reader) error { _, err := sio.Decrypt(dst, src, sioCfg); return err }},
		tinkPeer("tink-gcm-1MB", streamingaead.AES256GCMHKDF1MBKeyTemplate()),
		tinkPeer("tink-gcm-4KB", streamingaead.AES256GCMHKDF4KBKeyTemplate()),
	}
}

// BenchmarkEncrypt: 8 MiB from a Read-only source through each peer's
// streaming encrypter into io.Discard.
func BenchmarkEncrypt(b *testing.B) {
	for _, p := range peers(b) {
		b.Run(p.name, func(b *testing.B) {
			b.SetBytes(streamSize)
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				if err := p.encrypt(io.Discard, newSource(streamSize)); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkDecrypt: the sealed 8 MiB from a Read-only reader through each
// peer's streaming decrypter into io.Discard.
func BenchmarkDecrypt(b *testing.B) {
	for _, p := range peers(b) {
		var sealed bytes.Buffer
		if err := p.encrypt(&sealed, newSource(streamSize)); err != nil {
			b.Fatal(err)
		}
		b.Run(p.name, func(b *testing.B) {
			b.SetBytes(streamSize)
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				if err := p.decrypt(io.Discard, readOnly{bytes.NewReader(sealed.Bytes())}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// TestRoundTrip makes sure every peer's benchmark does the real thing.
func TestRoundTrip(t *testing.T) {
	for _, p := range peers(t) {
		var sealed, opened bytes.Buffer
		if err := p.encrypt(&sealed, newSource(3<<20+5)); err != nil {
			t.Fatalf("%s encrypt: %v", p.name, err)
		}
		if err := p.decrypt(&opened, &sealed); err != nil {
			t.Fatalf("%s decrypt: %v", p.name, err)
		}
		var want bytes.Buffer
		io.Copy(&want, newSource(3<<20+5))
		if !bytes.Equal(opened.Bytes(), want.Bytes()) {
			t.Fatalf("%s: round trip differs", p.name)
		}
	}
}

// fipsResult runs one peer's round trip and turns a panic into an error:
// FIPS-only mode panics on some non-approved uses.
func fipsResult(p peer) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("panic: %v", r)
		}
	}()
	var sealed, opened bytes.Buffer
	if err := p.encrypt(&sealed, newSource(100_000)); err != nil {
		return fmt.Errorf("encrypt: %w", err)
	}
	if err := p.decrypt(&opened, &sealed); err != nil {
		return fmt.Errorf("decrypt: %w", err)
	}
	return nil
}
