package audit

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// Outcome is how an audited action ended.
type Outcome string

const (
	Success Outcome = "success"
	Failure Outcome = "failure"
	Denied  Outcome = "denied" // refused by policy (authorization, lockout)
)

// Valid reports whether o is one of the defined outcomes.
func (o Outcome) Valid() bool { return o == Success || o == Failure || o == Denied }

// UnknownActor is stored for an Event with an empty Actor, so every record
// names an actor and "nobody knew who" is explicit rather than a blank an
// auditor might read as a logging bug.
const UnknownActor = "unknown"

// LocalSource is the Source of what a device does by itself, with no peer
// asking (its traffic guard, its monitor, its bootloader): an empty source
// would read as a gap in the record's "from where".
const LocalSource = "local"

// Actions and the actor Open uses when it records its own recovery after a
// crash (see Open).
const (
	ActionRecover = "audit.recover"
	SystemActor   = "audit"
)

// Event is what a caller records.
type Event struct {
	Time    time.Time // zero: the Log's clock; stored in UTC either way
	Actor   string    // user id; "" is stored as UnknownActor
	Source  string    // where the request came from (address, interface); "": WithSource's, if any
	Action  string    // required, e.g. "login", "phi.read", "phi.write", "logout"
	Object  string    // what was acted on (patient id, setting name)
	Outcome Outcome   // required: Success, Failure or Denied
	Detail  map[string]string
}

// Record is a stored event: one JSON object per line in the log file.
type Record struct {
	Seq     uint64            `json:"seq"` // 1-based, consecutive
	Time    time.Time         `json:"time"`
	Actor   string            `json:"actor"`
	Source  string            `json:"source"`
	Action  string            `json:"action"`
	Object  string            `json:"object"`
	Outcome Outcome           `json:"outcome"`
	Detail  map[string]string `json:"detail,omitempty"`
	Prev    string            `json:"prev"` // Hash of the previous record; GenesisHash for seq 1
	Hash    string            `json:"hash"` // see RecordHash
}

// Checkpoint is the signed chain head, stored beside the log. Sig is
// Ed25519 over "ward/audit/v1 checkpoint" 0x00 || u64be(Seq) || Hash
// (raw 32 bytes); KeyID is KeyID(public key).
type Checkpoint struct {
	Seq   uint64 `json:"seq"`
	Hash  string `json:"hash"`
	KeyID string `json:"key_id"`
	Sig   []byte `json:"sig"`
}

// ErrInvalidEvent is returned by Append for an event it refuses to record
// (no action, unknown outcome, unstorable time). It is a caller bug, so the
// event is rejected rather than stored half-right.
var ErrInvalidEvent = errors.New("audit: invalid event")

// Option configures Open.
type Option func(*config)

type config struct {
	now     func() time.Time
	key     ed25519.PrivateKey
	sinks   []Sink
	sinkErr func(error)
	err     error
}

func (c *config) fail(err error) {
	if c.err == nil {
		c.err = err
	}
}

// WithClock sets the clock used for events without a Time (default
// time.Now). Tests and devices with a trusted time source inject it here.
func WithClock(now func() time.Time) Option {
	return func(c *config) {
		if now == nil {
			c.fail(errors.New("audit: WithClock(nil)"))
			return
		}
		c.now = now
	}
}

// WithSigner sets the checkpoint signing key. Without it Open makes a fresh
// key from crypto/rand, which suits only logs that live no longer than the
// process: reopening a stored log needs the key that signed it.
func WithSigner(key ed25519.PrivateKey) Option {
	return func(c *config) {
		if len(key) != ed25519.PrivateKeySize {
			c.fail(fmt.Errorf("audit: WithSigner: key is %d bytes, want %d", len(key), ed25519.PrivateKeySize))
			return
		}
		// A private key whose public half does not match its seed would
		// sign checkpoints nobody can verify; catch it here, not at audit.
		if !ed25519.NewKeyFromSeed(key.Seed()).Equal(key) {
			c.fail(errors.New("audit: WithSigner: public half does not match the seed"))
			return
		}
		c.key = slices.Clone(key)
	}
}

// WithSink adds a sink that receives every record after it is stored
// locally. It may be given several times.
func WithSink(s Sink) Option {
	return func(c *config) {
		if s == nil {
			c.fail(errors.New("audit: WithSink(nil)"))
			return
		}
		c.sinks = append(c.sinks, s)
	}
}

// WithSinkErrors sets where sink failures go. By default they are dropped:
// the record is already stored locally, and Append's error is reserved for
// a record that was not.
func WithSinkErrors(f func(error)) Option {
	return func(c *config) { c.sinkErr = f }
}

// Log is an append-only, hash-chained, signed audit log over a Store. It
// assumes it is the only writer of its Store.
type Log struct {
	store   Store
	key     ed25519.PrivateKey
	pub     ed25519.PublicKey
	keyID   string
	now     func() time.Time
	sinks   []Sink
	sinkErr func(error)

	mu     sync.Mutex
	seq    uint64
	head   string
	broken error // set after a store write failed; see Append
}

// Open loads the log in s and verifies it with the signer's public key. An
// empty store starts a new log and signs a checkpoint for it at once, so a
// stored log always has one. A log that does not verify is refused with an
// error matching ErrTampered (errors.As gives the *VerifyError).
//
// Open repairs the two states a crash can leave, and records that it did
// with an "audit.recover" record (Outcome Failure) whose Detail says what it
// found: a torn last line (cut off, if s implements Truncater; it was never
// acknowledged to a caller), and one complete record after the signed head
// (written, but the process died before its checkpoint; it is kept and
// signed, and Detail["unsigned_seq"] names it so an auditor can weigh it).
// Two or more records after the head cannot come from a crash and are
// refused as Appended.
func Open(ctx context.Context, s Store, opts ...Option) (*Log, error) {
	if s == nil {
		return nil, errors.New("audit: open: nil store")
	}
	cfg := config{now: time.Now}
	for _, o := range opts {
		o(&cfg)
	}
	if cfg.err != nil {
		return nil, cfg.err
	}
	if cfg.key == nil {
		_, key, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			return nil, fmt.Errorf("audit: open: generate key: %w", err)
		}
		cfg.key = key
	}
	pub := cfg.key.Public().(ed25519.PublicKey)
	l := &Log{
		store: s, key: cfg.key, pub: pub, keyID: KeyID(pub), now: cfg.now,
		sinks: cfg.sinks, sinkErr: cfg.sinkErr, head: GenesisHash,
	}
	logBytes, cpBytes, err := s.Load(ctx)
	if err != nil {
		return nil, fmt.Errorf("audit: open: load: %w", err)
	}
	if len(logBytes) == 0 && len(cpBytes) == 0 {
		if err := s.SaveCheckpoint(ctx, l.checkpoint(0, GenesisHash)); err != nil {
			return nil, fmt.Errorf("audit: open: save first checkpoint: %w", err)
		}
		return l, nil
	}
	if err := l.recover(ctx, logBytes, cpBytes); err != nil {
		return nil, err
	}
	return l, nil
}

// recover verifies what Load returned and applies the crash repairs Open
// documents.
func (l *Log) recover(ctx context.Context, logBytes, cpBytes []byte) error {
	found := map[string]string{}
	tr, canTruncate := l.store.(Truncater)
	cut := len(logBytes)
	if cut > 0 && logBytes[cut-1] != '\n' && canTruncate {
		cut = bytes.LastIndexByte(logBytes, '\n') + 1
		found["torn_bytes"] = strconv.Itoa(len(logBytes) - cut)
	}
	res, verr, err := verify(logBytes[:cut], cpBytes, l.pub)
	if err != nil {
		return fmt.Errorf("audit: open: %w", err)
	}
	seq, head := uint64(len(res.recs)), res.cp.Hash
	if verr != nil {
		last := len(res.recs) - 1
		crashed := verr.Problem == Appended && verr.Seq == res.cp.Seq+1 && verr.Line == last+1 &&
			res.recs[last].Seq == verr.Seq && res.recs[last].Prev == res.cp.Hash &&
			func() bool { h, err := RecordHash(res.recs[last]); return err == nil && h == res.recs[last].Hash }()
		if !crashed {
			return fmt.Errorf("audit: open: %w", verr)
		}
		head = res.recs[last].Hash
		found["unsigned_seq"] = strconv.FormatUint(seq, 10)
	}
	if len(found) == 0 {
		l.seq, l.head = seq, head
		return nil
	}
	if _, torn := found["torn_bytes"]; torn {
		if err := tr.Truncate(ctx, int64(cut)); err != nil {
			return fmt.Errorf("audit: open: cut torn last line: %w", err)
		}
	}
	if _, unsigned := found["unsigned_seq"]; unsigned {
		if err := l.store.SaveCheckpoint(ctx, l.checkpoint(seq, head)); err != nil {
			return fmt.Errorf("audit: open: sign recovered record %d: %w", seq, err)
		}
	}
	l.seq, l.head = seq, head
	found["reason"] = "log reopened after an interrupted write"
	_, err = l.Append(ctx, Event{Actor: SystemActor, Source: SystemActor, Action: ActionRecover,
		Object: "log", Outcome: Failure, Detail: found})
	if err != nil {
		return fmt.Errorf("audit: open: record recovery: %w", err)
	}
	return nil
}

// PublicKey returns the key that verifies this log's checkpoints.
func (l *Log) PublicKey() ed25519.PublicKey { return slices.Clone(l.pub) }

// Head returns the seq and hash of the last record written (0 and
// GenesisHash for an empty log).
func (l *Log) Head() (seq uint64, hash string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.seq, l.head
}

// Append records e: it writes the record line, then a new signed
// checkpoint, then hands the record to the sinks. It returns once the store
// reports both writes durable. It is safe for concurrent use; records are
// numbered in the order their Appends take the lock.
//
// If the store fails, the Log refuses further appends (the store may hold a
// partial line or a record without its checkpoint); Open it again, which
// repairs and records exactly those states. Sink failures never fail Append.
func (l *Log) Append(ctx context.Context, e Event) (Record, error) {
	if err := ctx.Err(); err != nil {
		return Record{}, fmt.Errorf("audit: append: %w", err)
	}
	if e.Source == "" {
		e.Source = SourceFrom(ctx)
	}
	r, err := newRecord(e)
	if err != nil {
		return Record{}, err
	}
	l.mu.Lock()
	if l.broken != nil {
		err := l.broken
		l.mu.Unlock()
		return Record{}, err
	}
	if r.Time.IsZero() {
		r.Time = l.now().Round(0).UTC()
		if err := checkTime(r.Time); err != nil {
			l.mu.Unlock()
			return Record{}, fmt.Errorf("%w: clock: %w", ErrInvalidEvent, err)
		}
	}
	r.Seq, r.Prev = l.seq+1, l.head
	line, err := sealRecord(&r)
	if err != nil {
		l.mu.Unlock()
		return Record{}, fmt.Errorf("%w: %w", ErrInvalidEvent, err)
	}
	if err := l.store.Append(ctx, line); err != nil {
		l.broken = fmt.Errorf("audit: log unusable after a failed write of record %d; reopen it: %w", r.Seq, err)
		l.mu.Unlock()
		return Record{}, fmt.Errorf("audit: append record %d: %w", r.Seq, err)
	}
	l.seq, l.head = r.Seq, r.Hash
	// The record is on disk: its checkpoint must follow even if the caller
	// gives up now, or the next Open would find an unsigned record.
	if err := l.store.SaveCheckpoint(context.WithoutCancel(ctx), l.checkpoint(r.Seq, r.Hash)); err != nil {
		l.broken = fmt.Errorf("audit: log unusable: record %d has no checkpoint; reopen it: %w", r.Seq, err)
		l.mu.Unlock()
		return Record{}, fmt.Errorf("audit: record %d written but its checkpoint was not: %w", r.Seq, err)
	}
	l.mu.Unlock()

	// Sinks run outside the lock so a slow collector does not serialize
	// every caller; records carry Seq, so receivers can order them.
	for i, s := range l.sinks {
		c := r
		c.Detail = maps.Clone(r.Detail)
		if err := s.Send(ctx, c); err != nil && l.sinkErr != nil {
			l.sinkErr(fmt.Errorf("audit: sink %d: record %d: %w", i, r.Seq, err))
		}
	}
	r.Detail = maps.Clone(r.Detail)
	return r, nil
}

// Records reads the store and returns every record, after verifying the
// stored log against this Log's key and its own view of the head, so a
// file edited, truncated or rolled back underneath a running Log is
// reported (ErrTampered) rather than returned.
func (l *Log) Records(ctx context.Context) ([]Record, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.broken != nil {
		return nil, l.broken
	}
	logBytes, cpBytes, err := l.store.Load(ctx)
	if err != nil {
		return nil, fmt.Errorf("audit: records: load: %w", err)
	}
	res, verr, err := verify(logBytes, cpBytes, l.pub)
	if err != nil {
		return nil, fmt.Errorf("audit: records: %w", err)
	}
	if verr != nil {
		return nil, fmt.Errorf("audit: records: %w", verr)
	}
	if got := uint64(res.report.Records); got != l.seq || res.report.Head != l.head {
		verr := &VerifyError{Seq: got + 1, Line: int(got) + 1, Problem: Truncated,
			Detail: fmt.Sprintf("the store was rolled back: it ends at record %d but this log wrote up to %d", got, l.seq)}
		if got > l.seq {
			verr = &VerifyError{Seq: l.seq + 1, Line: int(l.seq) + 1, Problem: Appended,
				Detail: fmt.Sprintf("the store holds %d records but this log wrote %d: another writer", got, l.seq)}
		} else if got == l.seq {
			verr = &VerifyError{Seq: got, Line: int(got), Problem: Rewritten,
				Detail: "the stored head is not the one this log wrote"}
		}
		return nil, fmt.Errorf("audit: records: %w", verr)
	}
	return res.recs, nil
}

func (l *Log) checkpoint(seq uint64, hash string) []byte {
	h, err := decodeHash(hash)
	if err != nil { // the Log only holds hashes it computed
		panic("audit: internal error: bad head " + hash)
	}
	cp := Checkpoint{Seq: seq, Hash: hash, KeyID: l.keyID, Sig: ed25519.Sign(l.key, checkpointMessage(seq, &h))}
	return marshalCheckpoint(&cp)
}

// newRecord validates and normalizes the caller's fields; Seq, Prev, Hash
// and a missing Time are filled under the lock.
func newRecord(e Event) (Record, error) {
	if strings.TrimSpace(e.Action) == "" {
		return Record{}, fmt.Errorf("%w: no action", ErrInvalidEvent)
	}
	if !e.Outcome.Valid() {
		return Record{}, fmt.Errorf("%w: outcome %q is not success, failure or denied", ErrInvalidEvent, e.Outcome)
	}
	r := Record{
		Actor: validUTF8(e.Actor), Source: validUTF8(e.Source), Action: validUTF8(e.Action),
		Object: validUTF8(e.Object), Outcome: e.Outcome,
	}
	if r.Actor == "" {
		r.Actor = UnknownActor
	}
	if !e.Time.IsZero() {
		r.Time = e.Time.Round(0).UTC()
		if err := checkTime(r.Time); err != nil {
			return Record{}, fmt.Errorf("%w: %w", ErrInvalidEvent, err)
		}
	}
	if len(e.Detail) > 0 {
		r.Detail = make(map[string]string, len(e.Detail))
		// Sorted so two keys that sanitize alike resolve the same way
		// every time.
		for _, k := range slices.Sorted(maps.Keys(e.Detail)) {
			r.Detail[validUTF8(k)] = validUTF8(e.Detail[k])
		}
	}
	return r, nil
}

// validUTF8 replaces invalid bytes: JSON cannot carry them, and the hash
// must cover exactly what the line says.
func validUTF8(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	return strings.ToValidUTF8(s, "\uFFFD")
}

// Field caps applied only to a record that would exceed MaxLineSize. An
// attacker-sized user name must not cost the record of the attempt, so the
// record is shortened, marked, and kept.
const (
	clampField    = 1024
	clampKey      = 128
	truncatedMark = "audit.truncated"
)

// sealRecord computes r.Hash and the line, clamping r to fit MaxLineSize.
func sealRecord(r *Record) ([]byte, error) {
	line, err := hashAndMarshal(r)
	if err != nil || len(line) <= MaxLineSize {
		return line, err
	}
	for _, f := range []*string{&r.Actor, &r.Source, &r.Action, &r.Object} {
		*f = clamp(*f, clampField)
	}
	d := make(map[string]string, len(r.Detail)+1)
	for k, v := range r.Detail {
		d[clamp(k, clampKey)] = clamp(v, clampField)
	}
	d[truncatedMark] = "fields shortened to fit " + strconv.Itoa(MaxLineSize) + " bytes"
	r.Detail = d
	if line, err = hashAndMarshal(r); err != nil || len(line) <= MaxLineSize {
		return line, err
	}
	// Still too long (many detail entries): keep the who/what/outcome.
	r.Detail = map[string]string{truncatedMark: "detail dropped to fit " + strconv.Itoa(MaxLineSize) + " bytes"}
	return hashAndMarshal(r)
}

func hashAndMarshal(r *Record) ([]byte, error) {
	h, err := RecordHash(*r)
	if err != nil {
		return nil, err
	}
	r.Hash = h
	return marshalLine(r)
}

// clamp cuts s to at most n bytes on a rune boundary.
func clamp(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
