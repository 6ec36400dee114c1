package harness

import (
	"context"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var ambient = []string{"audit-log", "clock"}

// tryAcquire reports whether acquire returns within a short wait.
func tryAcquire(l *resourceLocks, excl, shared []string) (func(), bool) {
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	rel, err := l.acquire(ctx, excl, shared)
	return rel, err == nil
}

func TestResourceLocks(t *testing.T) {
	ctx := context.Background()
	t.Run("scenarios that share only ambient state run together", func(t *testing.T) {
		l := newResourceLocks()
		a, err := l.acquire(ctx, []string{"firmware"}, ambient)
		require.NoError(t, err)
		b, ok := tryAcquire(l, []string{"storage"}, ambient)
		require.True(t, ok)
		c, ok := tryAcquire(l, nil, ambient)
		require.True(t, ok)
		a()
		b()
		c()
	})
	t.Run("the same resource is held by one scenario at a time", func(t *testing.T) {
		l := newResourceLocks()
		a, err := l.acquire(ctx, []string{"firmware"}, ambient)
		require.NoError(t, err)
		_, ok := tryAcquire(l, []string{"firmware", "storage"}, ambient)
		assert.False(t, ok)
		a()
		b, ok := tryAcquire(l, []string{"firmware", "storage"}, ambient)
		assert.True(t, ok)
		b()
	})
	t.Run("moving the clock waits for everyone and stops everyone", func(t *testing.T) {
		l := newResourceLocks()
		a, err := l.acquire(ctx, nil, ambient)
		require.NoError(t, err)
		_, ok := tryAcquire(l, []string{"clock"}, ambient)
		assert.False(t, ok, "a scenario relying on the clock is running")
		a()
		c, ok := tryAcquire(l, []string{"clock"}, ambient)
		require.True(t, ok)
		_, ok = tryAcquire(l, []string{"storage"}, ambient)
		assert.False(t, ok, "the clock is being moved")
		c()
	})
	t.Run("a waiting clock move is not overtaken by later sharers", func(t *testing.T) {
		l := newResourceLocks()
		a, err := l.acquire(ctx, nil, ambient)
		require.NoError(t, err)
		got := make(chan func())
		go func() {
			rel, err := l.acquire(ctx, []string{"clock"}, ambient)
			assert.NoError(t, err)
			got <- rel
		}()
		require.Eventually(t, func() bool { l.mu.Lock(); defer l.mu.Unlock(); return len(l.queue) == 1 }, time.Second, time.Millisecond)
		if rel, ok := tryAcquire(l, nil, ambient); ok {
			rel()
			t.Error("a later sharer passed the waiting clock move")
		}
		// A request that conflicts with nobody waiting still passes.
		l2 := newResourceLocks()
		x, err := l2.acquire(ctx, []string{"firmware"}, nil)
		require.NoError(t, err)
		go func() { _, _ = l2.acquire(ctx, []string{"firmware"}, nil) }()
		y, ok := tryAcquire(l2, []string{"storage"}, nil)
		assert.True(t, ok)
		x()
		y()
		a()
		(<-got)()
	})
	t.Run("a waiter that gives up frees the way", func(t *testing.T) {
		l := newResourceLocks()
		a, err := l.acquire(ctx, nil, ambient)
		require.NoError(t, err)
		_, ok := tryAcquire(l, []string{"clock"}, ambient) // times out
		require.False(t, ok)
		b, ok := tryAcquire(l, nil, ambient)
		assert.True(t, ok, "the abandoned clock move still blocks")
		a()
		b()
		l.mu.Lock()
		defer l.mu.Unlock()
		assert.Empty(t, l.held)
		assert.Empty(t, l.queue)
	})
}

// Many scenarios with random resource sets, more than run at once, as
// godog's concurrency runs them: every one finishes (no deadlock, no
// starvation), and no two ever hold a conflicting resource together.
func TestResourceLocksUnderLoad(t *testing.T) {
	names := []string{"accounts", "alerts", "audit-log", "clinical-settings", "clock", "firmware", "quarantine", "storage"}
	l := newResourceLocks()
	var excl [8]atomic.Int32   // holders of each resource exclusively
	var shared [8]atomic.Int32 // holders of each resource shared
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	slots := make(chan struct{}, 8) // godog's concurrency
	var wg sync.WaitGroup
	var done atomic.Int32
	for i := range 400 {
		slots <- struct{}{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-slots }()
			r := rand.New(rand.NewPCG(uint64(i), 1))
			var e []int
			for j := range names {
				if r.IntN(6) == 0 {
					e = append(e, j)
				}
			}
			var en []string
			for _, j := range e {
				en = append(en, names[j])
			}
			rel, err := l.acquire(ctx, en, ambient)
			if !assert.NoError(t, err) {
				return
			}
			isExcl := func(j int) bool {
				for _, x := range e {
					if x == j {
						return true
					}
				}
				return false
			}
			for j, n := range names {
				switch {
				case isExcl(j):
					excl[j].Add(1)
				case n == "audit-log" || n == "clock":
					shared[j].Add(1)
				}
			}
			for j := range names {
				if isExcl(j) {
					assert.Equal(t, int32(1), excl[j].Load(), names[j])
					assert.Zero(t, shared[j].Load(), names[j])
				} else if names[j] == "audit-log" || names[j] == "clock" {
					assert.Zero(t, excl[j].Load(), names[j])
				}
			}
			time.Sleep(time.Duration(r.IntN(200)) * time.Microsecond)
			for j, n := range names {
				switch {
				case isExcl(j):
					excl[j].Add(-1)
				case n == "audit-log" || n == "clock":
					shared[j].Add(-1)
				}
			}
			rel()
			done.Add(1)
		}()
	}
	wg.Wait()
	assert.Equal(t, int32(400), done.Load())
}
