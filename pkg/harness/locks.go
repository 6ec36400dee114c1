package harness

import (
	"context"
	"slices"
	"sync"
)

// resourceLocks keeps the scenarios on one device that keeps its state
// from touching the same resource at once. A scenario takes all its
// resources in one step, exclusive ones (what it touches) and shared ones
// (the ambient resources it only relies on), so no scenario ever holds
// some while it waits for others: there is no lock-order cycle, hence no
// deadlock. Requests are granted in arrival order, a later one passing an
// earlier one only when the two do not conflict, so a scenario that needs
// the whole clock is not starved by a stream of scenarios that share it.
//
// godog runs at most Concurrency scenarios at once and a waiting scenario
// occupies one of those places; the oldest waiter waits only for holders,
// which are running and release in their After hook, so the run always
// moves on.
type resourceLocks struct {
	mu    sync.Mutex
	held  map[string]int // > 0: shared by that many; -1: exclusive
	queue []*lockRequest // waiting, oldest first
}

type lockRequest struct {
	excl, shared []string
	granted      chan struct{} // closed when granted
}

func newResourceLocks() *resourceLocks { return &resourceLocks{held: map[string]int{}} }

// acquire blocks until the scenario holds excl exclusively and shared
// (minus excl) shared, or ctx ends. release must be called exactly once
// after a nil error.
func (l *resourceLocks) acquire(ctx context.Context, excl, shared []string) (release func(), err error) {
	req := &lockRequest{excl: excl, granted: make(chan struct{})}
	for _, s := range shared {
		if !slices.Contains(excl, s) {
			req.shared = append(req.shared, s)
		}
	}
	l.mu.Lock()
	l.queue = append(l.queue, req)
	l.grant()
	l.mu.Unlock()
	var once sync.Once
	release = func() { once.Do(func() { l.release(req) }) }
	select {
	case <-req.granted:
		return release, nil
	case <-ctx.Done():
		l.mu.Lock()
		defer l.mu.Unlock()
		if i := slices.Index(l.queue, req); i >= 0 {
			l.queue = slices.Delete(l.queue, i, i+1)
			l.grant() // a later request may have waited behind this one
			return nil, ctx.Err()
		}
		// Granted meanwhile: give it back.
		l.unhold(req)
		l.grant()
		return nil, ctx.Err()
	}
}

// grant hands out, oldest first, every waiting request that conflicts
// neither with what is held nor with an older request still waiting.
// l.mu is held.
func (l *resourceLocks) grant() {
	var waiting []*lockRequest
	for _, r := range l.queue {
		if l.free(r) && !slices.ContainsFunc(waiting, r.conflicts) {
			l.hold(r)
			close(r.granted)
			continue
		}
		waiting = append(waiting, r)
	}
	l.queue = waiting
}

func (l *resourceLocks) free(r *lockRequest) bool {
	for _, e := range r.excl {
		if l.held[e] != 0 {
			return false
		}
	}
	for _, s := range r.shared {
		if l.held[s] < 0 {
			return false
		}
	}
	return true
}

func (l *resourceLocks) hold(r *lockRequest) {
	for _, e := range r.excl {
		l.held[e] = -1
	}
	for _, s := range r.shared {
		l.held[s]++
	}
}

func (l *resourceLocks) unhold(r *lockRequest) {
	for _, e := range r.excl {
		delete(l.held, e)
	}
	for _, s := range r.shared {
		if l.held[s]--; l.held[s] == 0 {
			delete(l.held, s)
		}
	}
}

func (l *resourceLocks) release(r *lockRequest) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.unhold(r)
	l.grant()
}

// conflicts reports whether r and o cannot hold their resources at once.
func (r *lockRequest) conflicts(o *lockRequest) bool {
	for _, e := range r.excl {
		if slices.Contains(o.excl, e) || slices.Contains(o.shared, e) {
			return true
		}
	}
	for _, e := range o.excl {
		if slices.Contains(r.shared, e) {
			return true
		}
	}
	return false
}

// targetLocks holds one resourceLocks per target of a Runner.
type targetLocks struct {
	mu sync.Mutex
	m  map[string]*resourceLocks
}

func (t *targetLocks) get(target string) *resourceLocks {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.m == nil {
		t.m = map[string]*resourceLocks{}
	}
	l, ok := t.m[target]
	if !ok {
		l = newResourceLocks()
		t.m[target] = l
	}
	return l
}
