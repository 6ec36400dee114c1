package mfa

import (
	"fmt"
	"sync"
	"time"
)

// ThrottleError is returned when an attempt is refused before any
// credential is looked at, because the account is locked or an earlier
// failure's backoff has not passed. It matches ErrLocked or ErrThrottled.
type ThrottleError struct {
	Locked bool      // the account is locked (ErrLocked), not just slowed down
	Until  time.Time // when another attempt is allowed; zero: when an administrator unlocks
	Scope  string    // "account" or "source"
}

func (e *ThrottleError) Error() string {
	switch {
	case e.Locked && e.Until.IsZero():
		return "mfa: account locked until an administrator unlocks it"
	case e.Locked:
		return fmt.Sprintf("mfa: account locked until %s", e.Until.UTC().Format(time.RFC3339))
	}
	return fmt.Sprintf("mfa: too many failed attempts from this %s; try again after %s", e.Scope, e.Until.UTC().Format(time.RFC3339))
}

// Is makes errors.Is(err, ErrLocked) and errors.Is(err, ErrThrottled) work.
func (e *ThrottleError) Is(target error) bool {
	return target == ErrLocked && e.Locked || target == ErrThrottled && !e.Locked
}

// backoff is the wait after n consecutive failures: base·2^(n-1), capped.
func backoff(n int, base, maxDelay time.Duration) time.Duration {
	if n <= 0 || base <= 0 {
		return 0
	}
	d := base
	for i := 1; i < n && d < maxDelay; i++ {
		d *= 2
	}
	return min(d, maxDelay)
}

// admitAccount decides whether an attempt on an account may go ahead and,
// if so, charges it as a failure before any credential is checked: a
// success refunds it (resets the count), so attempts racing each other can
// never get more guesses than the counter allows. It returns whether this
// attempt, if it fails, locks the account.
func admitAccount(t *Throttle, now time.Time, l *Lockout) (locks bool, err error) {
	if t.AdminLocked {
		return false, &ThrottleError{Locked: true, Scope: "account"}
	}
	if now.Before(t.LockedUntil) {
		return false, &ThrottleError{Locked: true, Until: t.LockedUntil, Scope: "account"}
	}
	if t.Failures > 0 && t.Failures < l.MaxFailures {
		if next := t.LastFailure.Add(backoff(t.Failures, l.BackoffBase, l.BackoffMax)); now.Before(next) {
			return false, &ThrottleError{Until: next, Scope: "account"}
		}
	}
	t.Failures++
	t.LastFailure = now
	if t.Failures >= l.MaxFailures {
		// Locked already, for the case this attempt fails; a success
		// clears it. Each failure past the limit doubles the lock.
		d := backoff(t.Failures-l.MaxFailures+1, l.LockDuration, l.MaxLockDuration)
		t.LockedUntil = now.Add(d)
		t.AdminLocked = t.Failures >= l.AdminUnlockAfter
		return true, nil
	}
	return false, nil
}

// refundAccount undoes admitAccount's charge for an attempt that was not a
// failure (right password, second factor still to come), restoring the
// lock state it found.
func refundAccount(t *Throttle, before Throttle) {
	t.Failures = max(0, t.Failures-1)
	t.LockedUntil, t.AdminLocked = before.LockedUntil, before.AdminLocked
}

// tracker keeps failure counts in memory for keys that are not accounts:
// sources, and names that are not accounts (so that an unknown name locks
// exactly like a real one and lockout says nothing about who exists). It
// is bounded: when full it forgets the entry idle longest.
type tracker struct {
	mu      sync.Mutex
	entries map[string]*trackEntry
	cap     int
}

type trackEntry struct {
	t    Throttle
	last time.Time // last attempt, for eviction
}

func newTracker(capacity int) *tracker {
	return &tracker{entries: make(map[string]*trackEntry), cap: capacity}
}

// update runs fn on key's entry under the tracker's lock, creating it if
// needed.
func (tr *tracker) update(key string, now time.Time, fn func(*Throttle) error) error {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	e := tr.entries[key]
	if e == nil {
		if len(tr.entries) >= tr.cap {
			tr.evict(now)
		}
		e = &trackEntry{}
		tr.entries[key] = e
	}
	e.last = now
	err := fn(&e.t)
	if e.t == (Throttle{}) {
		delete(tr.entries, key) // nothing to remember
	}
	return err
}

// evict drops entries that no longer restrain anything, or if there are
// none, the one idle longest.
func (tr *tracker) evict(now time.Time) {
	var oldest string
	var oldestT time.Time
	for k, e := range tr.entries {
		if !e.t.AdminLocked && !now.Before(e.t.LockedUntil) && now.Sub(e.last) > 24*time.Hour {
			delete(tr.entries, k)
			continue
		}
		if oldest == "" || e.last.Before(oldestT) {
			oldest, oldestT = k, e.last
		}
	}
	if len(tr.entries) >= tr.cap {
		delete(tr.entries, oldest)
	}
}

func (tr *tracker) len() int {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	return len(tr.entries)
}

// admitSource charges an attempt to a source (see Lockout). Sources are
// slowed down, never locked: a shared workstation must stay usable.
func admitSource(t *Throttle, now time.Time, l *Lockout) error {
	if t.Failures > 0 && now.Sub(t.LastFailure) >= l.SourceQuiet {
		*t = Throttle{}
	}
	if over := t.Failures - l.SourceFreeFailures; over > 0 {
		if next := t.LastFailure.Add(backoff(over, l.BackoffBase, l.BackoffMax)); now.Before(next) {
			return &ThrottleError{Until: next, Scope: "source"}
		}
	}
	t.Failures++
	t.LastFailure = now
	return nil
}

// refundSource undoes admitSource's charge. Unlike an account, a source is
// not reset by a success: an attacker spraying passwords who also holds one
// good account must not clear their own count by logging in.
func refundSource(t *Throttle) { t.Failures = max(0, t.Failures-1) }
