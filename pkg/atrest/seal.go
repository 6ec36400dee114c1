package atrest

import (
	"context"
	"crypto/cipher"
	"crypto/rand"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
)

// Options tune sealing and opening. A nil *Options means the defaults.
type Options struct {
	// ChunkSize is the plaintext bytes per chunk when sealing (0 means
	// DefaultChunkSize; MinChunkSize to MaxChunkSize). Opening reads the
	// chunk size from the header. Larger chunks cost more memory per
	// stream and per random read; smaller ones cost a nonce and a tag
	// (28 bytes) more often, and under FIPS mode a DRBG call per chunk.
	ChunkSize int
	// Parallelism is how many goroutines seal or open chunks of one
	// stream (0 means runtime.GOMAXPROCS(0); 1 works on the caller's
	// goroutine only). Output order never depends on it. With
	// Parallelism > 1, Writer.ReadFrom (io.Copy into a Writer) holds
	// Parallelism+2 slots of two chunks in and two out (1 MiB with two
	// goroutines and 64 KiB chunks) and starts its helpers once the
	// stream is longer than two chunks. Otherwise a stream uses two or
	// three chunk buffers until it is two chunks long; then it works in
	// batches of 8×Parallelism chunks and holds four batches' worth of
	// buffers: 4 MiB with two goroutines and 64 KiB chunks. Batches
	// shrink to keep that under 8 MiB, down to 2×Parallelism chunks.
	// Buffers are pooled across streams.
	Parallelism int
}

const maxParallelism = 256

func (o *Options) chunkSize() (int, error) {
	if o == nil || o.ChunkSize == 0 {
		return DefaultChunkSize, nil
	}
	if o.ChunkSize < MinChunkSize || o.ChunkSize > MaxChunkSize {
		return 0, fmt.Errorf("atrest: chunk size %d outside %d..%d", o.ChunkSize, MinChunkSize, MaxChunkSize)
	}
	return o.ChunkSize, nil
}

func (o *Options) parallelism() (int, error) {
	if o == nil || o.Parallelism == 0 {
		return runtime.GOMAXPROCS(0), nil
	}
	if o.Parallelism < 0 || o.Parallelism > maxParallelism {
		return 0, fmt.Errorf("atrest: parallelism %d outside 1..%d", o.Parallelism, maxParallelism)
	}
	return o.Parallelism, nil
}

// codec seals and opens the chunks of one file.
type codec struct {
	aead   cipher.AEAD // AES-256-GCM with random nonces under the payload key
	digest [32]byte    // header core digest
	cs     int         // chunk size
}

func newCodec(h *header, keys *fileKeys) (*codec, error) {
	aead, err := newGCM(keys.payload[:])
	if err != nil {
		return nil, fmt.Errorf("atrest: payload cipher: %w", err)
	}
	return &codec{aead: aead, digest: h.coreDigest(), cs: int(h.chunkSize)}, nil
}

// ctSize is the sealed size of a full chunk.
func (c *codec) ctSize() int { return c.cs + chunkOverhead }

func (c *codec) seal(dst, pt []byte, index uint64, final bool, aad *[aadLen]byte) []byte {
	return c.aead.Seal(dst, nil, pt, chunkAAD(aad, &c.digest, index, final))
}

// open authenticates and decrypts one chunk into dst. Every failure is
// ErrAuthentication; on failure nothing of the chunk's plaintext is left
// in dst (crypto/cipher clears its output when the tag does not match).
func (c *codec) open(dst, ct []byte, index uint64, final bool, aad *[aadLen]byte) ([]byte, error) {
	if len(ct) < chunkOverhead || len(ct) > c.ctSize() || (!final && len(ct) != c.ctSize()) ||
		(final && index > 0 && len(ct) == chunkOverhead) || index >= MaxChunks {
		return nil, ErrAuthentication
	}
	pt, err := c.aead.Open(dst, nil, ct, chunkAAD(aad, &c.digest, index, final))
	if err != nil {
		return nil, ErrAuthentication
	}
	return pt, nil
}

// newSealHeader makes a fresh data key and file id, wraps the key and
// returns the encoded header with the chunk codec.
func newSealHeader(ctx context.Context, cs int, wrappers []KeyWrapper) ([]byte, *codec, error) {
	dk, err := newDataKey()
	if err != nil {
		return nil, nil, err
	}
	defer clear(dk)
	h := &header{version: Version, chunkSize: uint32(cs)}
	if _, err := rand.Read(h.fileID[:]); err != nil {
		return nil, nil, err
	}
	if h.stanzas, err = wrapAll(ctx, dk, wrappers); err != nil {
		return nil, nil, err
	}
	keys, err := deriveKeys(dk, &h.fileID)
	if err != nil {
		return nil, nil, err
	}
	defer clear(keys.mac[:])
	defer clear(keys.payload[:])
	raw, err := h.marshal(keys.mac[:])
	if err != nil {
		return nil, nil, err
	}
	c, err := newCodec(h, keys)
	if err != nil {
		return nil, nil, err
	}
	return raw, c, nil
}

// openHeader unwraps the data key and returns the chunk codec.
func openHeader(ctx context.Context, h *header, unwrappers []KeyUnwrapper) (*codec, error) {
	keys, dk, err := unwrapDataKey(ctx, h, unwrappers)
	if err != nil {
		return nil, err
	}
	clear(dk)
	defer clear(keys.mac[:])
	defer clear(keys.payload[:])
	return newCodec(h, keys)
}

// Seal encrypts plaintext into a self-contained sealed blob with the
// default options, wrapping a fresh data key to every wrapper. Chunks are
// sealed in parallel when there are several. For streams use NewWriter.
func Seal(ctx context.Context, plaintext []byte, wrappers ...KeyWrapper) ([]byte, error) {
	return sealBlob(ctx, plaintext, nil, wrappers)
}

func sealBlob(ctx context.Context, plaintext []byte, opts *Options, wrappers []KeyWrapper) ([]byte, error) {
	cs, err := opts.chunkSize()
	if err != nil {
		return nil, err
	}
	par, err := opts.parallelism()
	if err != nil {
		return nil, err
	}
	hdr, c, err := newSealHeader(ctx, cs, wrappers)
	if err != nil {
		return nil, err
	}
	n := max(1, (len(plaintext)+cs-1)/cs)
	if uint64(n) > MaxChunks {
		return nil, fmt.Errorf("atrest: %d bytes need more than %d chunks", len(plaintext), uint64(MaxChunks))
	}
	ct := c.ctSize()
	out := make([]byte, len(hdr)+len(plaintext)+n*chunkOverhead)
	copy(out, hdr)
	err = parallelFor(ctx, n, par, func(i int, aad *[aadLen]byte) error {
		pt := plaintext[i*cs : min(len(plaintext), (i+1)*cs)]
		dst := out[len(hdr)+i*ct : len(hdr)+i*ct : len(hdr)+i*ct+len(pt)+chunkOverhead]
		c.seal(dst, pt, uint64(i), i == n-1, aad)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Open authenticates and decrypts a sealed blob, opening chunks in
// parallel. It returns plaintext only if every chunk, the header and the
// length authenticate; otherwise an error (ErrAuthentication for any
// tampering with the payload) and no plaintext.
func Open(ctx context.Context, sealed []byte, unwrappers ...KeyUnwrapper) ([]byte, error) {
	return openBlob(ctx, sealed, nil, unwrappers)
}

func openBlob(ctx context.Context, sealed []byte, opts *Options, unwrappers []KeyUnwrapper) ([]byte, error) {
	par, err := opts.parallelism()
	if err != nil {
		return nil, err
	}
	h, err := parseHeaderBytes(sealed)
	if err != nil {
		return nil, err
	}
	c, err := openHeader(ctx, h, unwrappers)
	if err != nil {
		return nil, err
	}
	payload := sealed[len(h.raw):]
	chunks, plain, ok := layout(int64(len(payload)), c.cs)
	if !ok {
		return nil, ErrAuthentication
	}
	out := make([]byte, plain)
	ctSize, n := c.ctSize(), int(chunks)
	err = parallelFor(ctx, n, par, func(i int, aad *[aadLen]byte) error {
		ct := payload[i*ctSize : min(len(payload), (i+1)*ctSize)]
		dst := out[i*c.cs : i*c.cs : min(len(out), (i+1)*c.cs)]
		_, err := c.open(dst, ct, uint64(i), i == n-1, aad)
		return err
	})
	if err != nil {
		clear(out)
		return nil, err
	}
	return out, nil
}

// parallelFor runs f(i) for i in [0, n) on up to par goroutines (the
// caller's included) that pull indexes from an atomic counter, so a slow
// chunk never holds up a fixed stripe. It stops at the first error and
// returns it.
func parallelFor(ctx context.Context, n, par int, f func(i int, aad *[aadLen]byte) error) error {
	if par > n {
		par = n
	}
	if par <= 1 {
		var aad [aadLen]byte
		for i := range n {
			if i&15 == 0 {
				if err := ctx.Err(); err != nil {
					return err
				}
			}
			if err := f(i, &aad); err != nil {
				return err
			}
		}
		return nil
	}
	var (
		next    atomic.Int64
		failed  atomic.Bool
		errOnce sync.Once
		first   error
		wg      sync.WaitGroup
	)
	work := func() {
		var aad [aadLen]byte
		for !failed.Load() {
			i := int(next.Add(1) - 1)
			if i >= n {
				return
			}
			err := f(i, &aad)
			if err == nil && i&15 == 0 {
				err = ctx.Err()
			}
			if err != nil {
				errOnce.Do(func() { first = err })
				failed.Store(true)
				return
			}
		}
	}
	wg.Add(par - 1)
	for range par - 1 {
		go func() { defer wg.Done(); work() }()
	}
	work()
	wg.Wait()
	return first
}

var errClosed = errors.New("atrest: use of a closed Writer")
