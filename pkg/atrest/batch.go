package atrest

import (
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
)

// Parallel streaming works in batches: a run of consecutive chunks,
// sealed or opened by up to par goroutines that claim chunk indexes from
// an atomic counter (a slow chunk never holds up a fixed stripe of
// others). A stream keeps two batches' buffers and launches the next
// batch before waiting for the previous one, so the caller's copying into
// one overlaps the work on the other. Each batch is linked to the one
// launched after it, and a helper goroutine that finds no chunk left
// moves straight on to the next batch: no hand-off and no wake-up per
// batch. A helper exits when no next batch is linked, so a finished or
// abandoned stream leaves no goroutine behind.

// batchBudget bounds the memory of a stream's batch areas.
const batchBudget = 8 << 20

// seqChunks is how many chunks a stream handles sequentially before it
// switches to batches (and takes their buffers), so that small streams
// stay small. testBatchChunks, if set, overrides the batch size. Both are
// variables only so that tests can drive small files through batch mode.
var (
	seqChunks       = 2
	testBatchChunks = 0
)

// batchChunks returns the chunks per batch for par goroutines: 8×par,
// less if four areas of that many chunks would pass batchBudget.
func batchChunks(par, cs int) int {
	if testBatchChunks > 0 {
		return testBatchChunks
	}
	k := 8 * par
	if lim := batchBudget / (4 * (cs + chunkOverhead)); k > lim {
		k = max(lim, 2*par, 2)
	}
	return k
}

type batch struct {
	c     *codec
	open  bool   // open (Reader) rather than seal (Writer)
	first uint64 // index of the batch's first chunk in the stream
	n     int    // chunks
	final bool   // chunk n-1 is the last chunk of the stream
	src   []byte // n chunks of input, back to back (nil when reading from ra)
	dst   []byte // output area
	plain int    // plaintext bytes of the batch (open batches)
	area  int    // which of the stream's two areas the batch uses
	// borrowed: src is the caller's buffer, which may be read only until
	// the call that lent it returns.
	borrowed bool

	// Opening straight from an io.ReaderAt: chunk i is read at
	// base+(first+i)×ctSize by whichever goroutine opens it; the stream's
	// last chunk is lastLen bytes.
	ra      io.ReaderAt
	base    int64
	lastLen int

	next   atomic.Int64 // next chunk to claim
	done   atomic.Int64 // chunks finished
	failAt atomic.Int64 // lowest chunk that failed; n if none
	errs   []error      // why each chunk failed (open batches)
	fin    chan struct{}
	link   atomic.Pointer[batch] // the batch launched after this one

	// A panic on a helper (in the caller's io.ReaderAt) is raised again
	// on the goroutine that waits for the batch, not in the helper, where
	// it would end the program.
	panicOnce sync.Once
	panicked  any
}

func newBatch(c *codec, open bool, first uint64, n int, final bool, area int) *batch {
	b := &batch{c: c, open: open, first: first, n: n, final: final, area: area, fin: make(chan struct{})}
	b.failAt.Store(int64(n))
	if open {
		b.errs = make([]error, n)
	}
	return b
}

// chunksIn is how many chunks of size size n bytes hold (at least one).
func chunksIn(n, size int) int { return max(1, (n+size-1)/size) }

// crew is a stream's helper goroutines.
type crew struct {
	active atomic.Int32
	max    int32
}

// launch links b after prev (the stream's previously launched batch, or
// nil) and makes sure up to c.max helpers are working: those still busy
// will move on to b by themselves.
func (c *crew) launch(prev, b *batch) {
	if prev != nil {
		prev.link.Store(b)
	}
	for {
		n := c.active.Load()
		if n >= c.max || int(n) >= b.n-1 {
			return
		}
		if c.active.CompareAndSwap(n, n+1) {
			go c.help(b)
		}
	}
}

func (c *crew) help(b *batch) {
	var ws workState
	defer ws.release()
	for {
		for b.one(&ws) {
		}
		if nb := b.link.Load(); nb != nil {
			b = nb
			continue
		}
		c.active.Add(-1)
		// A batch linked between the check and the decrement would find
		// this helper counted as busy: look once more, and rejoin.
		nb := b.link.Load()
		if nb == nil || !c.rejoin() {
			return
		}
		b = nb
	}
}

func (c *crew) rejoin() bool {
	for {
		n := c.active.Load()
		if n >= c.max {
			return false
		}
		if c.active.CompareAndSwap(n, n+1) {
			return true
		}
	}
}

// workState is one goroutine's scratch space.
type workState struct {
	aad [aadLen]byte
	ct  []byte // chunk read from an io.ReaderAt
}

func (ws *workState) release() { putBuf(ws.ct) }

// wait works on the batch until no chunk is left unclaimed; then, while
// other goroutines finish their last chunks of it, works on the batches
// linked after it one chunk at a time, and blocks only when there is
// nothing else to do. A goroutine that blocks lets its CPU go idle, and
// waking it again (on a VM, a halted vCPU) costs more than a chunk.
func (b *batch) wait() {
	var ws workState
	defer ws.release()
	defer func() {
		if b.panicked != nil {
			panic(b.panicked)
		}
	}()
	for b.one(&ws) {
	}
	for {
		select {
		case <-b.fin:
			return
		default:
		}
		helped := false
		for x := b.link.Load(); x != nil && !helped; x = x.link.Load() {
			helped = x.one(&ws)
		}
		if !helped {
			<-b.fin
			return
		}
	}
}

// one claims and processes one chunk; false if none was left.
func (b *batch) one(ws *workState) bool {
	i := int(b.next.Add(1) - 1)
	if i >= b.n {
		return false
	}
	if err := b.safeDo(i, ws); err != nil {
		b.errs[i] = err
		for {
			cur := b.failAt.Load()
			if int64(i) >= cur || b.failAt.CompareAndSwap(cur, int64(i)) {
				break
			}
		}
	}
	if int(b.done.Add(1)) == b.n {
		close(b.fin)
	}
	return true
}

func (b *batch) safeDo(i int, ws *workState) (err error) {
	defer func() {
		if v := recover(); v != nil {
			b.panicOnce.Do(func() { b.panicked = v })
			err = errPanicked
		}
	}()
	return b.do(i, ws)
}

var errPanicked = errors.New("atrest: panic while processing a chunk")

func (b *batch) do(i int, ws *workState) error {
	c, idx, final := b.c, b.first+uint64(i), b.final && i == b.n-1
	if !b.open {
		pt := b.src[i*c.cs : min(len(b.src), (i+1)*c.cs)]
		off := i * c.ctSize()
		c.seal(b.dst[off:off:off+len(pt)+chunkOverhead], pt, idx, final, &ws.aad)
		return nil
	}
	var ct []byte
	if b.ra != nil {
		size := c.ctSize()
		if final {
			size = b.lastLen
		}
		if ws.ct == nil {
			ws.ct = getBuf(c.ctSize())
		}
		ct = ws.ct[:size]
		m, err := b.ra.ReadAt(ct, b.base+int64(idx)*int64(c.ctSize()))
		if m < size {
			if err == nil || err == io.EOF {
				return ErrAuthentication // the file shrank under us
			}
			return fmt.Errorf("atrest: read: %w", err)
		}
	} else {
		ct = b.src[i*c.ctSize() : min(len(b.src), (i+1)*c.ctSize())]
	}
	if len(ct) < chunkOverhead {
		return ErrAuthentication
	}
	off := i * c.cs
	_, err := c.open(b.dst[off:off:off+len(ct)-chunkOverhead], ct, idx, final, &ws.aad)
	return err
}

// output returns the batch's result: the sealed chunks (Writer), or the
// plaintext of the chunks before the first that failed, and why it failed
// (Reader).
func (b *batch) output() ([]byte, error) {
	if !b.open {
		return b.dst[:len(b.src)+b.n*chunkOverhead], nil
	}
	if fail := int(b.failAt.Load()); fail < b.n {
		return b.dst[:fail*b.c.cs], b.errs[fail]
	}
	return b.dst[:b.plain], nil
}
