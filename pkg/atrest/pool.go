package atrest

import "sync"

// Stream buffers are pooled by size, so that a device sealing one stream
// after another does not allocate (and zero, and collect) megabytes per
// stream. Buffers hold plaintext or ciphertext of earlier streams until
// overwritten; nothing reads a pooled buffer before writing it.
var pools sync.Map // capacity → *sync.Pool of *[]byte

func getBuf(n int) []byte {
	if p, ok := pools.Load(n); ok {
		if b, ok := p.(*sync.Pool).Get().(*[]byte); ok {
			return (*b)[:n]
		}
	}
	return make([]byte, n)
}

func putBuf(b []byte) {
	if cap(b) == 0 {
		return
	}
	b = b[:cap(b)]
	p, _ := pools.LoadOrStore(cap(b), new(sync.Pool))
	p.(*sync.Pool).Put(&b)
}
