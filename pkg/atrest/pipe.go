package atrest

import (
	"context"
	"fmt"
	"io"
	"runtime"
	"sync"
	"sync/atomic"
)

// The pipeline streams io.Copy's two paths, Writer.ReadFrom and
// Reader.WriteTo, on several cores. Each worker (the caller's goroutine
// and up to Parallelism-1 helpers) takes a turn at the source to read a
// group of pipeGroup chunks into its own buffer, seals or opens them there,
// and waits for its group's turn to write the result to the destination.
// Reads, and writes, happen one at a time and in stream order; the
// cryptography in between runs on every core at once. A group stays in
// the cache of the core that read it from the source to the one that
// writes it out, which is what the batch mode (one goroutine copying,
// others sealing) cannot do: there every byte crosses between cores.
//
// Finality: a chunk is the stream's final chunk exactly when the input
// ends after it, so every read asks for one byte more than the group and,
// if it arrives, passes it to the next group. A read that reaches the end
// of the input ends the pipeline.

// pipeGroup is the chunks per group: small enough that a worker's input
// and output buffers stay in its core's L2 cache (2×64 KiB each at the
// default chunk size), large enough that taking turns costs little.
const pipeGroup = 2

// turnSpins is how many times a worker yields, waiting for its turn to
// write, before it blocks. A turn usually comes within a chunk's time,
// and waking a blocked goroutine (on a VM, a halted vCPU) costs more.
const turnSpins = 1000

type pipeline struct {
	ctx   context.Context
	c     *codec
	open  bool // open (Reader) rather than seal (Writer)
	par   int
	inSz  int // one full chunk of input
	outSz int // one full chunk of output
	src   io.Reader
	dst   io.Writer

	// Read side, under rmu.
	rmu   sync.Mutex
	carry []byte // input read ahead, to go in front of the next group
	index uint64 // chunk index of the next group's first chunk
	seq   uint64 // the next group's place in the stream
	ended bool   // the input ended (or failed): no more groups
	nread int64  // bytes read from src
	peek  [1]byte

	// Write side: the group whose turn it is, and those waiting for it.
	turn    atomic.Uint64
	waiting atomic.Int32
	wmu     sync.Mutex
	wcond   *sync.Cond

	// Set by the group whose turn it is.
	err      error // the first error, in stream order
	readErr  error // seal: the source failed (not sticky for the Writer)
	failed   atomic.Bool
	written  int64
	final    bool   // open: the final chunk authenticated and was written
	tail     []byte // seal: the unsealed end of the input (a copy)
	tailSet  bool
	aborted  atomic.Bool // a worker panicked
	panicked any
	pmu      sync.Mutex
}

// pipeWorker is one worker's buffers.
type pipeWorker struct {
	in, out []byte
	aad     [aadLen]byte
}

func newPipeline(ctx context.Context, c *codec, open bool, par int, src io.Reader, dst io.Writer, index uint64, carry []byte) *pipeline {
	p := &pipeline{ctx: ctx, c: c, open: open, par: par, src: src, dst: dst, index: index, carry: carry}
	p.inSz, p.outSz = c.cs, c.ctSize()
	if open {
		p.inSz, p.outSz = c.ctSize(), c.cs
	}
	p.wcond = sync.NewCond(&p.wmu)
	return p
}

func (p *pipeline) newWorker() *pipeWorker {
	return &pipeWorker{in: getBuf(pipeGroup*p.inSz + 1), out: getBuf(pipeGroup * p.outSz)}
}

func (pw *pipeWorker) release() {
	putBuf(pw.in)
	putBuf(pw.out)
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
			panic(v)
		}
		wg.Wait()
		if p.panicked != nil {
			panic(p.panicked)
		}
	}()
	pw := p.newWorker()
	defer pw.release()
	started := false
	for {
		g, ok := p.read(pw)
		if !ok {
			return
		}
		if !started && !g.final && p.par > 1 {
			// A stream longer than one group: bring in the helpers.
			started = true
			for range p.par - 1 {
				wg.Add(1)
				go p.help(&wg)
			}
		}
		if !p.process(pw, g) {
			return
		}
	}
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
	pw := p.newWorker()
	defer pw.release()
	for {
		g, ok := p.read(pw)
		if !ok || !p.process(pw, g) {
			return
		}
	}
}

// abort stops every worker after a panic.
func (p *pipeline) abort() {
	p.aborted.Store(true)
	p.failed.Store(true)
	p.wmu.Lock()
	p.wcond.Broadcast()
	p.wmu.Unlock()
}

// read takes the source's turn: it reads the next group into pw.in, or
// reports that the stream has no more groups.
func (p *pipeline) read(pw *pipeWorker) (group, bool) {
	p.rmu.Lock()
	defer p.rmu.Unlock()
	if p.ended || p.failed.Load() {
		return group{}, false
	}
	g := group{seq: p.seq, first: p.index}
	p.seq++
	if err := p.ctx.Err(); err != nil {
		p.ended = true
		g.final, g.err = true, err
		return g, true
	}
	want := pipeGroup*p.inSz + 1
	buf := pw.in[:want]
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
	chunks := uint64(n / p.inSz)
	if n%p.inSz != 0 {
		chunks++
	}
	if !p.open && g.final {
		chunks = uint64(p.sealable(n))
	}
	if p.index+chunks > MaxChunks {
		p.ended = true
		g.final, g.data = true, nil
		g.err = fmt.Errorf("atrest: stream longer than %d chunks", uint64(MaxChunks))
		return g, true
	}
	p.index += chunks
	return g, true
}

// sealable is how many chunks of n bytes of plaintext at the end of the
// input may be sealed now: all but the last (which Close seals as final).
func (p *pipeline) sealable(n int) int {
	if n == 0 {
		return 0
	}
	return (n - 1) / p.inSz
}

// process seals or opens g in pw and writes the result out in its turn;
// false once the pipeline has stopped.
func (p *pipeline) process(pw *pipeWorker, g group) bool {
	var out, tail []byte
	var err error
	if p.open {
		out, err = p.openGroup(pw, g)
	} else {
		out, tail = p.sealGroup(pw, g)
	}
	if !p.waitTurn(g.seq) {
		return false
	}
	if !p.failed.Load() {
		p.emit(g, out, tail, err)
	}
	p.passTurn(g.seq + 1)
	return !p.failed.Load() && !g.final
}

// emit writes a group's output and records how it ended; only the group
// whose turn it is calls it.
func (p *pipeline) emit(g group, out, tail []byte, err error) {
	if len(out) > 0 {
		m, werr := p.dst.Write(out)
		p.written += int64(m)
		if werr == nil && m < len(out) {
			werr = io.ErrShortWrite
		}
		if werr != nil {
			p.fail(werr)
			return
		}
	}
	switch {
	case err != nil:
		p.fail(err)
		return
	case g.err != nil && g.readErr && !p.open:
		p.readErr = g.err
		p.failed.Store(true)
	case g.err != nil:
		p.fail(g.err)
		return
	}
	if g.final && !p.open {
		p.tail, p.tailSet = append(p.tail[:0], tail...), true
	}
	if g.final && p.open {
		p.final = true
	}
}

func (p *pipeline) fail(err error) {
	if p.err == nil {
		p.err = err
	}
	p.failed.Store(true)
}

func (p *pipeline) sealGroup(pw *pipeWorker, g group) (out, tail []byte) {
	n := len(g.data) / p.inSz
	if g.final {
		n = p.sealable(len(g.data))
		tail = g.data[n*p.inSz:]
	}
	out = pw.out[:0]
	for i := range n {
		out = p.c.seal(out, g.data[i*p.inSz:(i+1)*p.inSz], g.first+uint64(i), false, &pw.aad)
	}
	return out, tail
}

// openGroup opens g's chunks into pw.out; on a failure it returns the
// plaintext of the chunks before the one that failed.
func (p *pipeline) openGroup(pw *pipeWorker, g group) ([]byte, error) {
	n := chunksIn(len(g.data), p.inSz)
	if g.err != nil {
		// Whether the input would have ended after the last chunk read is
		// unknown: open only the chunks more input followed, then the
		// error is reported.
		n = max(0, len(g.data)-1) / p.inSz
	}
	out := pw.out[:0]
	for i := range n {
		ct := g.data[i*p.inSz : min(len(g.data), (i+1)*p.inSz)]
		final := g.final && g.err == nil && i == n-1
		var err error
		if out, err = p.c.open(out, ct, g.first+uint64(i), final, &pw.aad); err != nil {
			return out, err
		}
	}
	return out, nil
}

// waitTurn returns once it is group seq's turn to write (true), or the
// pipeline was aborted (false).
func (p *pipeline) waitTurn(seq uint64) bool {
	for i := 0; p.turn.Load() != seq; i++ {
		if p.aborted.Load() {
			return false
		}
		if i < turnSpins {
			runtime.Gosched()
			continue
		}
		p.wmu.Lock()
		p.waiting.Add(1)
		for p.turn.Load() != seq && !p.aborted.Load() {
			p.wcond.Wait()
		}
		p.waiting.Add(-1)
		p.wmu.Unlock()
	}
	return !p.aborted.Load()
}

func (p *pipeline) passTurn(next uint64) {
	p.turn.Store(next)
	if p.waiting.Load() > 0 {
		p.wmu.Lock()
		p.wcond.Broadcast()
		p.wmu.Unlock()
	}
}
