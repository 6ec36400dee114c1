package audit

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func openMem(t *testing.T, opts ...Option) (*Log, *MemStore) {
	t.Helper()
	st := NewMemStore()
	opts = append([]Option{WithSigner(testKey()), WithClock(stepClock(testStart))}, opts...)
	l, err := Open(context.Background(), st, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return l, st
}

func mustVerify(t *testing.T, st *MemStore, pub ed25519.PublicKey) Report {
	t.Helper()
	rep, err := Verify(st.LogBytes(), st.CheckpointBytes(), pub)
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

func TestAppendStoresWhatWasGiven(t *testing.T) {
	ctx := context.Background()
	l, st := openMem(t)
	given := time.Date(2024, 2, 29, 23, 59, 59, 123456789, time.FixedZone("CET", 3600))
	got, err := l.Append(ctx, Event{Time: given, Actor: "nurse.jones", Source: "10.0.0.7", Action: "login",
		Object: "session", Outcome: Success, Detail: map[string]string{"method": "totp"}})
	if err != nil {
		t.Fatal(err)
	}
	want := Record{Seq: 1, Time: given.UTC(), Actor: "nurse.jones", Source: "10.0.0.7", Action: "login",
		Object: "session", Outcome: Success, Detail: map[string]string{"method": "totp"}, Prev: GenesisHash, Hash: got.Hash}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("record (-want +got):\n%s", diff)
	}
	recs, err := l.Records(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]Record{want}, recs); diff != "" {
		t.Errorf("stored (-want +got):\n%s", diff)
	}
	if rep := mustVerify(t, st, l.PublicKey()); rep.Records != 1 || rep.Head != got.Hash {
		t.Errorf("report %+v", rep)
	}
	if seq, head := l.Head(); seq != 1 || head != got.Hash {
		t.Errorf("Head() = %d, %s", seq, head)
	}
}

func TestAppendNormalizesEvents(t *testing.T) {
	ctx := context.Background()
	l, st := openMem(t)
	tests := []struct {
		name  string
		event Event
		check func(t *testing.T, r Record)
	}{
		{"empty actor is stored as unknown", Event{Action: "login", Outcome: Failure}, func(t *testing.T, r Record) {
			if r.Actor != UnknownActor {
				t.Errorf("Actor = %q", r.Actor)
			}
		}},
		{"zero time comes from the clock in UTC", Event{Actor: "a", Action: "x", Outcome: Success}, func(t *testing.T, r Record) {
			if r.Time.IsZero() || r.Time.Location() != time.UTC {
				t.Errorf("Time = %v", r.Time)
			}
		}},
		{"invalid UTF-8 is replaced, not rejected", Event{Actor: "bad\xff\xfename", Action: "login", Outcome: Failure,
			Detail: map[string]string{"k\xff": "v\xfe"}}, func(t *testing.T, r Record) {
			if r.Actor != "bad\uFFFDname" || r.Detail["k\uFFFD"] != "v\uFFFD" {
				t.Errorf("Actor = %q, Detail = %q", r.Actor, r.Detail)
			}
		}},
		{"empty detail is omitted", Event{Actor: "a", Action: "x", Outcome: Success, Detail: map[string]string{}}, func(t *testing.T, r Record) {
			if r.Detail != nil {
				t.Errorf("Detail = %#v", r.Detail)
			}
		}},
		{"an attacker-sized field is clamped and marked, not lost", Event{Actor: strings.Repeat("\x01", 100<<10), Action: "login", Outcome: Failure},
			func(t *testing.T, r Record) {
				if len(r.Actor) != clampField || r.Detail[truncatedMark] == "" {
					t.Errorf("len(Actor) = %d, Detail = %q", len(r.Actor), r.Detail)
				}
			}},
		{"too many detail entries are dropped, and marked", Event{Actor: "a", Action: "x", Outcome: Success, Detail: bigDetail()},
			func(t *testing.T, r Record) {
				if len(r.Detail) != 1 || r.Detail[truncatedMark] == "" {
					t.Errorf("Detail has %d entries", len(r.Detail))
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := l.Append(ctx, tt.event)
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, r)
		})
	}
	// Everything above is stored within the line cap and verifies.
	for i, line := range splitLines(st.LogBytes()) {
		if len(line)+1 > MaxLineSize {
			t.Errorf("line %d is %d bytes", i+1, len(line)+1)
		}
	}
	mustVerify(t, st, l.PublicKey())
}

func bigDetail() map[string]string {
	d := map[string]string{}
	for i := range 200 {
		d[fmt.Sprintf("k%03d", i)] = strings.Repeat("v", 1000)
	}
	return d
}

func TestAppendRejectsInvalidEvents(t *testing.T) {
	ctx := context.Background()
	l, st := openMem(t)
	for name, e := range map[string]Event{
		"no action":       {Actor: "a", Outcome: Success},
		"blank action":    {Actor: "a", Action: "  ", Outcome: Success},
		"no outcome":      {Actor: "a", Action: "x"},
		"unknown outcome": {Actor: "a", Action: "x", Outcome: "ok"},
		"year 10000":      {Actor: "a", Action: "x", Outcome: Success, Time: time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)},
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := l.Append(ctx, e); !errors.Is(err, ErrInvalidEvent) {
				t.Errorf("Append = %v, want ErrInvalidEvent", err)
			}
		})
	}
	if len(st.LogBytes()) != 0 {
		t.Error("a rejected event was written")
	}
	if _, err := l.Append(ctx, Event{Action: "x", Outcome: Success}); err != nil {
		t.Errorf("the log must stay usable after rejecting events: %v", err)
	}
}

func TestAppendHonoursCanceledContext(t *testing.T) {
	l, st := openMem(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := l.Append(ctx, Event{Action: "x", Outcome: Success}); !errors.Is(err, context.Canceled) {
		t.Fatalf("Append = %v", err)
	}
	if len(st.LogBytes()) != 0 {
		t.Error("written despite a canceled context")
	}
}

func TestOpenRejectsBadOptions(t *testing.T) {
	bad := testKey()
	bad = append(ed25519.PrivateKey(nil), bad...)
	bad[40] ^= 1 // public half no longer matches the seed
	for name, opt := range map[string]Option{
		"short key":         WithSigner(make([]byte, 10)),
		"mismatched halves": WithSigner(bad),
		"nil clock":         WithClock(nil),
		"nil sink":          WithSink(nil),
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := Open(context.Background(), NewMemStore(), opt); err == nil {
				t.Error("Open accepted it")
			}
		})
	}
	if _, err := Open(context.Background(), nil); err == nil {
		t.Error("Open accepted a nil store")
	}
}

func TestOpenWithoutSignerMakesAFreshKey(t *testing.T) {
	ctx := context.Background()
	a, err := Open(ctx, NewMemStore())
	if err != nil {
		t.Fatal(err)
	}
	b, err := Open(ctx, NewMemStore())
	if err != nil {
		t.Fatal(err)
	}
	if a.PublicKey().Equal(b.PublicKey()) {
		t.Error("two default keys are equal")
	}
}

// TestOpenRefusesTamperedLog: a device must not keep appending to (and
// re-signing) a log someone edited while it was off. The two states a crash
// also leaves (a torn last line, one record after the signed head) are
// repaired instead, and the repair is itself recorded for the auditor.
func TestOpenRefusesTamperedLog(t *testing.T) {
	// A torn last line whose record the checkpoint already signs is not a
	// crash state (the checkpoint is written after the line), so only the
	// single unsigned record looks like one here; torn lines are covered by
	// TestOpenRecoversFromInterruptedWrites.
	crashLike := map[string]string{"appended_forged_record": "unsigned_seq"}
	for _, a := range attacks() {
		if a.want == "" {
			continue
		}
		t.Run(a.name, func(t *testing.T) {
			log, cp, _ := a.apply(t)
			st := NewMemStore()
			st.SetLog(log)
			st.SetCheckpoint(cp)
			l, err := Open(context.Background(), st, WithSigner(testKey()))
			switch key := crashLike[a.name]; {
			case len(log) == 0 && len(cp) == 0:
				if err != nil {
					t.Fatalf("an empty store is a new log: %v", err)
				}
			case key != "":
				if err != nil {
					t.Fatalf("Open = %v, want recovery", err)
				}
				recs, err := l.Records(context.Background())
				if err != nil {
					t.Fatal(err)
				}
				if last := recs[len(recs)-1]; last.Action != ActionRecover || last.Detail[key] == "" {
					t.Errorf("last record %+v, want %s with %s", last, ActionRecover, key)
				}
			default:
				var ve *VerifyError
				if !errors.Is(err, ErrTampered) || !errors.As(err, &ve) {
					t.Fatalf("Open = %v, want ErrTampered", err)
				}
			}
		})
	}
}

func TestOpenWithWrongKeyIsBadSignature(t *testing.T) {
	l, st := openMem(t)
	if _, err := l.Append(context.Background(), Event{Action: "x", Outcome: Success}); err != nil {
		t.Fatal(err)
	}
	_, err := Open(context.Background(), st, WithSigner(otherKey()))
	var ve *VerifyError
	if !errors.As(err, &ve) || ve.Problem != BadSignature {
		t.Fatalf("Open = %v, want bad signature", err)
	}
}

type failingSink struct{ err error }

func (s failingSink) Send(context.Context, Record) error { return s.err }

// TestFailingSinkKeepsLocalRecord: a collector outage must not cost the
// device its own record, nor fail the audited operation.
func TestFailingSinkKeepsLocalRecord(t *testing.T) {
	var mu sync.Mutex
	var reported []error
	var buf bytes.Buffer
	boom := errors.New("collector down")
	l, st := openMem(t, WithSink(failingSink{boom}), WithSink(NewWriterSink(&buf)),
		WithSinkErrors(func(err error) { mu.Lock(); reported = append(reported, err); mu.Unlock() }))
	r, err := l.Append(context.Background(), Event{Actor: "a", Action: "login", Outcome: Success})
	if err != nil {
		t.Fatalf("Append failed because a sink did: %v", err)
	}
	if len(reported) != 1 || !errors.Is(reported[0], boom) || !strings.Contains(reported[0].Error(), "record 1") {
		t.Errorf("sink errors = %v", reported)
	}
	if rep := mustVerify(t, st, l.PublicKey()); rep.Records != 1 {
		t.Errorf("local records = %d", rep.Records)
	}
	// The writer sink got the same line as the log file.
	if !bytes.Equal(buf.Bytes(), st.LogBytes()) {
		t.Errorf("writer sink wrote %q, log holds %q", buf.Bytes(), st.LogBytes())
	}
	if recs, _ := ParseLog(buf.Bytes()); len(recs) != 1 || recs[0].Hash != r.Hash {
		t.Errorf("sink records = %v", recs)
	}
}

func TestSinkErrorsDroppedByDefault(t *testing.T) {
	l, _ := openMem(t, WithSink(failingSink{errors.New("down")}))
	if _, err := l.Append(context.Background(), Event{Action: "x", Outcome: Success}); err != nil {
		t.Fatal(err)
	}
}

// TestConcurrentAppend: many goroutines append at once (run with -race);
// the chain must stay valid with consecutive seqs and no record lost.
func TestConcurrentAppend(t *testing.T) {
	const workers, each = 16, 50
	var buf bytes.Buffer
	l, st := openMem(t, WithSink(NewWriterSink(&buf)))
	ctx := context.Background()
	var wg sync.WaitGroup
	seqs := make(chan uint64, workers*each)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				r, err := l.Append(ctx, Event{Actor: fmt.Sprintf("w%d", w), Action: "tick", Object: fmt.Sprint(i), Outcome: Success})
				if err != nil {
					t.Error(err)
					return
				}
				seqs <- r.Seq
			}
		}()
	}
	wg.Add(1)
	go func() { // readers alongside writers
		defer wg.Done()
		for range 20 {
			if _, err := l.Records(ctx); err != nil {
				t.Error(err)
				return
			}
		}
	}()
	wg.Wait()
	close(seqs)
	seen := map[uint64]bool{}
	for s := range seqs {
		if seen[s] {
			t.Fatalf("seq %d returned twice", s)
		}
		seen[s] = true
	}
	rep := mustVerify(t, st, l.PublicKey())
	if rep.Records != workers*each || len(seen) != workers*each {
		t.Fatalf("records = %d, seqs = %d, want %d", rep.Records, len(seen), workers*each)
	}
	recs, err := l.Records(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range recs {
		if r.Seq != uint64(i+1) {
			t.Fatalf("line %d holds seq %d", i+1, r.Seq)
		}
	}
	sunk, err := ParseLog(buf.Bytes())
	if err != nil || len(sunk) != workers*each {
		t.Fatalf("sink got %d records, %v", len(sunk), err)
	}
}

// TestRecordsDetectsTamperingWhileOpen: a running Log re-verifies what it
// reads, including a rollback of both files to an older signed state,
// which Verify alone cannot see.
func TestRecordsDetectsTamperingWhileOpen(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name   string
		tamper func(st *MemStore, cps [][]byte, log []byte)
		want   Problem
	}{
		{"edited record", func(st *MemStore, _ [][]byte, log []byte) {
			st.SetLog(bytes.Replace(log, []byte(`"object":"o2"`), []byte(`"object":"oX"`), 1))
		}, Edited},
		{"rolled back to an older signed pair", func(st *MemStore, cps [][]byte, log []byte) {
			lines := splitLines(log)
			st.SetLog(joinLines(lines[:2]))
			st.SetCheckpoint(cps[2])
		}, Truncated},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, st := openMem(t)
			cps := [][]byte{st.CheckpointBytes()}
			for i := range 4 {
				if _, err := l.Append(ctx, Event{Action: "x", Object: fmt.Sprintf("o%d", i+1), Outcome: Success}); err != nil {
					t.Fatal(err)
				}
				cps = append(cps, st.CheckpointBytes())
			}
			tt.tamper(st, cps, st.LogBytes())
			_, err := l.Records(ctx)
			var ve *VerifyError
			if !errors.As(err, &ve) || ve.Problem != tt.want || !errors.Is(err, ErrTampered) {
				t.Fatalf("Records = %v, want %s", err, tt.want)
			}
		})
	}
}

// flakyStore fails the chosen operation once.
type flakyStore struct {
	*MemStore
	failAppend, failCheckpoint bool
}

var errDisk = errors.New("disk on fire")

func (s *flakyStore) Append(ctx context.Context, line []byte) error {
	if s.failAppend {
		s.failAppend = false
		// A torn write: half the line reaches the disk.
		_ = s.MemStore.Append(ctx, line[:len(line)/2])
		return errDisk
	}
	return s.MemStore.Append(ctx, line)
}

func (s *flakyStore) SaveCheckpoint(ctx context.Context, cp []byte) error {
	if s.failCheckpoint {
		s.failCheckpoint = false
		return errDisk
	}
	return s.MemStore.SaveCheckpoint(ctx, cp)
}

// noTruncate hides MemStore's Truncate.
type noTruncate struct{ Store }

// TestOpenRecoversFromInterruptedWrites covers the two states a crash can
// leave, and that recovery is itself on the record.
func TestOpenRecoversFromInterruptedWrites(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name       string
		fail       func(s *flakyStore)
		wantKey    string
		wantRecord uint64 // records before the recovery record
	}{
		{"torn last line is cut", func(s *flakyStore) { s.failAppend = true }, "torn_bytes", 3},
		{"unsigned last record is kept and signed", func(s *flakyStore) { s.failCheckpoint = true }, "unsigned_seq", 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := &flakyStore{MemStore: NewMemStore()}
			l, err := Open(ctx, st, WithSigner(testKey()))
			if err != nil {
				t.Fatal(err)
			}
			for range 3 {
				if _, err := l.Append(ctx, Event{Action: "x", Outcome: Success}); err != nil {
					t.Fatal(err)
				}
			}
			tt.fail(st)
			if _, err := l.Append(ctx, Event{Action: "crash", Outcome: Success}); !errors.Is(err, errDisk) {
				t.Fatalf("Append = %v, want the store error", err)
			}
			if _, err := l.Append(ctx, Event{Action: "x", Outcome: Success}); !errors.Is(err, errDisk) {
				t.Fatalf("a broken Log appended again: %v", err)
			}
			if _, err := Verify(st.LogBytes(), st.CheckpointBytes(), l.PublicKey()); !errors.Is(err, ErrTampered) {
				t.Fatalf("the interrupted state verified: %v", err)
			}

			l2, err := Open(ctx, st, WithSigner(testKey()))
			if err != nil {
				t.Fatalf("reopen: %v", err)
			}
			recs, err := l2.Records(ctx)
			if err != nil {
				t.Fatal(err)
			}
			last := recs[len(recs)-1]
			if uint64(len(recs)) != tt.wantRecord+1 || last.Action != ActionRecover || last.Outcome != Failure || last.Detail[tt.wantKey] == "" {
				t.Fatalf("after recovery: %d records, last %+v", len(recs), last)
			}
			if _, err := l2.Append(ctx, Event{Action: "after", Outcome: Success}); err != nil {
				t.Fatal(err)
			}
			mustVerify(t, st.MemStore, l2.PublicKey())
		})
	}

	t.Run("torn line without a Truncater is refused", func(t *testing.T) {
		st := NewMemStore()
		l, _ := Open(ctx, st, WithSigner(testKey()))
		_, _ = l.Append(ctx, Event{Action: "x", Outcome: Success})
		st.SetLog(append(st.LogBytes(), `{"seq":2,"ti`...))
		_, err := Open(ctx, noTruncate{st}, WithSigner(testKey()))
		var ve *VerifyError
		if !errors.As(err, &ve) || ve.Problem != Malformed {
			t.Fatalf("Open = %v", err)
		}
	})

	t.Run("two unsigned records are not a crash", func(t *testing.T) {
		f := newFixture(t)
		st := NewMemStore()
		st.SetLog(f.log())
		st.SetCheckpoint(f.cps[3])
		_, err := Open(ctx, st, WithSigner(testKey()))
		var ve *VerifyError
		if !errors.As(err, &ve) || ve.Problem != Appended || ve.Seq != 4 {
			t.Fatalf("Open = %v", err)
		}
	})
}

func TestMemStoreTruncateBounds(t *testing.T) {
	st := NewMemStore()
	st.SetLog([]byte("abc"))
	if err := st.Truncate(context.Background(), 4); err == nil {
		t.Error("truncate beyond the end accepted")
	}
}

// TestSourceFromContext: an Event without a Source takes the request's
// source from the context; an explicit one wins.
func TestSourceFromContext(t *testing.T) {
	l, err := Open(context.Background(), NewMemStore())
	if err != nil {
		t.Fatal(err)
	}
	ctx := WithSource(context.Background(), "10.0.0.9")
	r, err := l.Append(ctx, Event{Actor: "nurse.jones", Action: "session.invalid", Outcome: Denied})
	if err != nil || r.Source != "10.0.0.9" {
		t.Fatalf("source %q, %v; want the context's", r.Source, err)
	}
	r, err = l.Append(ctx, Event{Actor: "nurse.jones", Source: "console", Action: "login", Outcome: Success})
	if err != nil || r.Source != "console" {
		t.Fatalf("source %q, %v; want the event's own", r.Source, err)
	}
	r, err = l.Append(context.Background(), Event{Actor: "nurse.jones", Action: "login", Outcome: Success})
	if err != nil || r.Source != "" {
		t.Fatalf("source %q, %v; want none", r.Source, err)
	}
}
