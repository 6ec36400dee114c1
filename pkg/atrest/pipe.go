package atrest

import (
	"context"
	"fmt"
	"io"
	"runtime"
	"sync"
	"sync/atomic"
)

// The pipeline seals io.Copy's path into a Writer (ReadFrom) on several
// cores. Each worker (the caller's goroutine and up to Parallelism-1
// helpers) takes a free slot, takes its turn at the source to read a
// group of pipeGroup chunks into it, seals them there, and leaves the
// slot for writing. Whichever worker finds the next slot in stream order
// ready writes it out, and any ready after it. Reads, and writes, happen
// one at a time and in stream order; the cryptography in between runs on
// every core at once, on data in the cache of the core that read it (the
// batch mode, where one goroutine copies and others seal, moves every
// byte between cores).
//
// A worker waits only for the source (another worker is reading: it
// yields a little, then blocks) or for a free slot (it blocks). Nobody
// waits for a turn to write: a worker descheduled in the middle of a
// group (another process wants the CPU) holds up the writing, not the
// work. An earlier design that made each group wait for its turn
// collapsed under such load.
//
// Finality: a chunk is the stream's final chunk exactly when the input
// ends after it, so every read asks for one byte more than the group and,
// if it arrives, passes it to the next group. A read that reaches the end
// of the input ends the pipeline, and the last chunk's worth of plaintext
// is left to the Writer (Close seals it as the final chunk; more Writes
// may come first).
//
// Opening has no pipeline: a Reader's batches measured as fast. What
// bounds decryption is reading the sealed input from memory, which every
// design must do, not where the chunks are opened.

// pipeGroup is the chunks per group: small enough that a slot's input and
// output stay in its core's L2 cache (2×64 KiB each at the default chunk
// size), large enough that taking turns costs little.
const pipeGroup = 2

// pipeSpare is how many slots a pipeline has beyond one per worker, for
// groups that are done but wait for an earlier one to be written.
const pipeSpare = 2

type pipeline struct {
	ctx context.Context
	c   *codec
	par int
	cs  int // plaintext of a chunk
	src io.Reader
	dst io.Writer

	// Read side, under rmu.
	rmu   sync.Mutex
	carry []byte // input read ahead, to go in front of the next group
	index uint64 // chunk index of the next group's first chunk
	seq   uint64 // the next group's place in the stream
	ended bool   // the input ended (or failed): no more groups
	nread int64  // bytes read from src
	peek  [1]byte

	// Slots: free ones, and done ones by seq modulo len(ready) (at most
	// len(ready) groups exist between reading and writing, all
	// consecutive, so they never collide).
	slots []*slot
	free  chan *slot
	ready []atomic.Pointer[slot]
	next  atomic.Uint64 // seq of the next group to write
	wmu   sync.Mutex    // held by the worker writing
	stop  chan struct{} // closed on a panic

	// Set by the worker writing.
	err      error // the first error, in stream order
	readErr  error // the source failed (not sticky for the Writer)
	failed   atomic.Bool
	tail     []byte // the unsealed end of the input (a copy)
	stopOnce sync.Once
	pmu      sync.Mutex
	panicked any
}

// slot holds one group from reading to writing.
type slot struct {
	in, out []byte
	aad     [aadLen]byte
	g       group
	res     []byte // sealed chunks
	tail    []byte // the end left to the Writer
}

func newPipeline(ctx context.Context, c *codec, par int, src io.Reader, dst io.Writer, index uint64, carry []byte) *pipeline {
	p := &pipeline{ctx: ctx, c: c, par: par, cs: c.cs, src: src, dst: dst, index: index, carry: carry}
	n := 1
	if par > 1 {
		n = par + pipeSpare
	}
	p.free, p.ready, p.stop = make(chan *slot, n), make([]atomic.Pointer[slot], n), make(chan struct{})
	return p
}

// takeSlot returns a free slot (making it if the pipeline has fewer than
// it may), or nil after a panic elsewhere.
func (p *pipeline) takeSlot() *slot {
	select {
	case s := <-p.free:
		return s
	default:
	}
	p.rmu.Lock()
	if len(p.slots) < cap(p.free) {
		s := &slot{in: getBuf(pipeGroup*p.cs + 1), out: getBuf(pipeGroup * p.c.ctSize())}
		p.slots = append(p.slots, s)
		p.rmu.Unlock()
		return s
	}
	p.rmu.Unlock()
	select {
	case s := <-p.free:
		return s
	case <-p.stop:
		return nil
	}
}

// release returns the slots' buffers; every worker has stopped.
func (p *pipeline) release() {
	for _, s := range p.slots {
		putBuf(s.in)
		putBuf(s.out)
	}
	p.slots = nil
}

// group is what one read yields.
type group struct {
	seq   uint64
	first uint64 // index of the group's first chunk
	data  []byte // input: whole chunks, the last possibly short if final
	final bool   // the input ends after data
	err   error  // the stream fails after data
	// readErr: err is the source's; the Writer keeps what was read and
	// returns the error without failing the stream.
	readErr bool
}

// run streams until the input ends or something fails, with the calling
// goroutine as one of the workers. A panic in a helper is raised again
// here, after every worker has stopped.
func (p *pipeline) run() {
	var wg sync.WaitGroup
	defer func() {
		if v := recover(); v != nil {
			p.abort()
			wg.Wait()
			p.release()
			panic(v)
		}
		wg.Wait()
		p.release()
		if p.panicked != nil {
			panic(p.panicked)
		}
	}()
	started := false
	p.work(func(s *slot) {
		if !started && !s.g.final && p.par > 1 {
			// A stream longer than one group: bring in the helpers.
			started = true
			for range p.par - 1 {
				wg.Add(1)
				go p.help(&wg)
			}
		}
	})
}

func (p *pipeline) help(wg *sync.WaitGroup) {
	defer wg.Done()
	defer func() {
		if v := recover(); v != nil {
			p.pmu.Lock()
			if p.panicked == nil {
				p.panicked = v
			}
			p.pmu.Unlock()
			p.abort()
		}
	}()
	p.work(nil)
}

// work is a worker's loop: take a slot, read a group into it, seal and
// write it; until the input ends or the pipeline stops. read, if not nil,
// sees each group once it is read.
func (p *pipeline) work(read func(*slot)) {
	for {
		s := p.takeSlot()
		if s == nil {
			return
		}
		if !p.read(s) {
			p.free <- s
			return
		}
		if read != nil {
			read(s)
		}
		p.process(s)
	}
}

// abort stops every worker after a panic.
func (p *pipeline) abort() {
	p.failed.Store(true)
	p.stopOnce.Do(func() { close(p.stop) })
}

// read takes the source's turn: it reads the next group into s, or
// reports that the stream has no more groups.
func (p *pipeline) read(s *slot) bool {
	p.lockRead()
	defer p.rmu.Unlock()
	if p.ended || p.failed.Load() {
		return false
	}
	g := group{seq: p.seq, first: p.index}
	p.seq++
	if err := p.ctx.Err(); err != nil {
		p.ended = true
		g.final, g.err = true, err
		s.g = g
		return true
	}
	want := pipeGroup*p.cs + 1
	buf := s.in[:want]
	off := copy(buf, p.carry)
	p.carry = nil
	m, err := io.ReadFull(p.src, buf[off:])
	p.nread += int64(m)
	n := off + m
	switch err {
	case nil:
		p.peek[0] = buf[want-1]
		p.carry = p.peek[:]
		n--
	case io.EOF, io.ErrUnexpectedEOF:
		p.ended, g.final = true, true
	default:
		p.ended, g.final, g.readErr = true, true, true
		g.err = fmt.Errorf("atrest: read: %w", err)
	}
	g.data = buf[:n]
	chunks := uint64(n / p.cs)
	if g.final {
		chunks = uint64(p.sealable(n))
	}
	if p.index+chunks > MaxChunks {
		p.ended = true
		g.final, g.data, g.readErr = true, nil, false
		g.err = fmt.Errorf("atrest: stream longer than %d chunks", uint64(MaxChunks))
	} else {
		p.index += chunks
	}
	s.g = g
	return true
}

// lockRead takes the source's turn. Another worker holds it for about
// one read of a group: yield a while before blocking, as waking a blocked
// goroutine (on a VM, a halted vCPU) costs more than the read.
func (p *pipeline) lockRead() {
	for range 200 {
		if p.rmu.TryLock() {
			return
		}
		runtime.Gosched()
	}
	p.rmu.Lock()
}

// sealable is how many chunks of n bytes of plaintext at the end of the
// input may be sealed now: all but the last (which Close seals as final).
func (p *pipeline) sealable(n int) int {
	if n == 0 {
		return 0
	}
	return (n - 1) / p.cs
}

// process seals the group in s, leaves it ready, and writes out what is
// ready in order unless another worker is already doing that.
func (p *pipeline) process(s *slot) {
	s.res, s.tail = nil, nil
	if !p.failed.Load() {
		s.res, s.tail = p.sealGroup(s)
	}
	p.ready[s.g.seq%uint64(len(p.ready))].Store(s)
	for p.wmu.TryLock() {
		for {
			i := p.next.Load() % uint64(len(p.ready))
			r := p.ready[i].Load()
			if r == nil {
				break
			}
			p.ready[i].Store(nil)
			if !p.failed.Load() {
				p.emit(r)
			}
			p.next.Add(1)
			p.free <- r
		}
		p.wmu.Unlock()
		// A group left ready after the last look but before the unlock
		// found the lock taken: look again.
		if p.ready[p.next.Load()%uint64(len(p.ready))].Load() == nil {
			return
		}
	}
}

// emit writes a group's output and records how it ended; only the worker
// holding wmu calls it, for groups in stream order.
func (p *pipeline) emit(s *slot) {
	g := s.g
	if len(s.res) > 0 {
		m, werr := p.dst.Write(s.res)
		if werr == nil && m < len(s.res) {
			werr = io.ErrShortWrite
		}
		if werr != nil {
			p.fail(werr)
			return
		}
	}
	switch {
	case g.err != nil && g.readErr:
		p.readErr = g.err
		p.failed.Store(true)
	case g.err != nil:
		p.fail(g.err)
		return
	}
	if g.final {
		p.tail = append(p.tail[:0], s.tail...)
	}
}

func (p *pipeline) fail(err error) {
	if p.err == nil {
		p.err = err
	}
	p.failed.Store(true)
}

func (p *pipeline) sealGroup(s *slot) (out, tail []byte) {
	g := s.g
	n := len(g.data) / p.cs
	if g.final {
		n = p.sealable(len(g.data))
		tail = g.data[n*p.cs:]
	}
	out = s.out[:0]
	for i := range n {
		out = p.c.seal(out, g.data[i*p.cs:(i+1)*p.cs], g.first+uint64(i), false, &s.aad)
	}
	return out, tail
}
