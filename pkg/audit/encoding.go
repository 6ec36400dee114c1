package audit

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"time"
	"unicode/utf8"
)

// Format constants. They are part of the on-disk format (docs/audit-log.md);
// changing any of them breaks every stored log and the test vectors.
const (
	// recordDomain and checkpointDomain separate the two hash/signature
	// inputs so a record encoding can never be passed off as a checkpoint
	// message or vice versa, nor be confused with another protocol's input.
	recordDomain     = "ward/audit/v1 record\x00"
	checkpointDomain = "ward/audit/v1 checkpoint\x00"

	// MaxLineSize is the largest record line, including its '\n'. Append
	// clamps oversized events to fit; parsers reject longer lines so a
	// hostile file cannot make the verifier buffer without bound.
	MaxLineSize = 64 << 10

	// GenesisHash is the Prev of record 1 and the Hash of the checkpoint of
	// an empty log.
	GenesisHash = "0000000000000000000000000000000000000000000000000000000000000000"
)

// RecordHash returns the hex SHA-256 chain value of r, computed over the
// canonical encoding of every field but Hash (so it includes Seq and Prev).
// It fails if r.Prev is not 64 lowercase hex digits or r.Time cannot be
// stored.
func RecordHash(r Record) (string, error) {
	prev, err := decodeHash(r.Prev)
	if err != nil {
		return "", fmt.Errorf("audit: record hash: prev: %w", err)
	}
	if err := checkTime(r.Time); err != nil {
		return "", fmt.Errorf("audit: record hash: %w", err)
	}
	d := recordDigest(&r, &prev)
	return hex.EncodeToString(d[:]), nil
}

// recordDigest is the hash construction of docs/audit-log.md:
//
//	SHA-256( "ward/audit/v1 record" 0x00 || prev[32] || u64be(seq) ||
//	         str(time) || str(actor) || str(source) || str(action) ||
//	         str(object) || str(outcome) ||
//	         u32be(n) || n × (str(key) || str(value)), keys sorted bytewise )
//
// where str(s) = u32be(len(s)) || s. Length prefixes make the encoding
// injective: no two different records share an encoding.
func recordDigest(r *Record, prev *[32]byte) [32]byte {
	ts := r.Time.UTC().Format(time.RFC3339Nano)
	size := len(recordDomain) + 32 + 8 + 4*6 + len(ts) + len(r.Actor) + len(r.Source) +
		len(r.Action) + len(r.Object) + len(r.Outcome) + 4
	for k, v := range r.Detail {
		size += 8 + len(k) + len(v)
	}
	b := make([]byte, 0, size)
	b = append(b, recordDomain...)
	b = append(b, prev[:]...)
	b = binary.BigEndian.AppendUint64(b, r.Seq)
	b = appendStr(b, ts)
	b = appendStr(b, r.Actor)
	b = appendStr(b, r.Source)
	b = appendStr(b, r.Action)
	b = appendStr(b, r.Object)
	b = appendStr(b, string(r.Outcome))
	b = binary.BigEndian.AppendUint32(b, uint32(len(r.Detail)))
	if len(r.Detail) > 0 {
		keys := make([]string, 0, len(r.Detail))
		for k := range r.Detail {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			b = appendStr(b, k)
			b = appendStr(b, r.Detail[k])
		}
	}
	return sha256.Sum256(b)
}

func appendStr(b []byte, s string) []byte {
	b = binary.BigEndian.AppendUint32(b, uint32(len(s)))
	return append(b, s...)
}

// checkpointMessage is what the checkpoint signature covers:
// "ward/audit/v1 checkpoint" 0x00 || u64be(seq) || hash[32].
func checkpointMessage(seq uint64, hash *[32]byte) []byte {
	b := make([]byte, 0, len(checkpointDomain)+8+32)
	b = append(b, checkpointDomain...)
	b = binary.BigEndian.AppendUint64(b, seq)
	return append(b, hash[:]...)
}

// KeyID names a public key in checkpoints: the first 8 bytes of
// SHA-256(pub), in hex. It only tells verifiers which key to use; security
// rests on the signature.
func KeyID(pub ed25519.PublicKey) string {
	d := sha256.Sum256(pub)
	return hex.EncodeToString(d[:8])
}

var errBadHash = errors.New("not 64 lowercase hex digits")

// decodeHash accepts exactly the form writers produce, so one chain value
// has one spelling.
func decodeHash(s string) ([32]byte, error) {
	var h [32]byte
	if len(s) != 64 {
		return h, errBadHash
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return h, errBadHash
		}
	}
	_, err := hex.Decode(h[:], []byte(s))
	return h, err
}

// checkTime rejects times encoding/json cannot write (years outside 0–9999).
func checkTime(t time.Time) error {
	if y := t.UTC().Year(); y < 0 || y > 9999 {
		return fmt.Errorf("time %v is outside years 0–9999", t)
	}
	return nil
}

// marshalLine writes the canonical line of r: encoding/json's output for
// Record (fixed key order, no spaces, time in UTC) plus '\n'.
func marshalLine(r *Record) ([]byte, error) {
	c := *r
	c.Time = c.Time.UTC()
	b, err := json.Marshal(&c)
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

// ParseLog splits a log file into records without judging their integrity.
// Every line, including the last, must end in '\n' and hold one JSON record
// of at most MaxLineSize bytes. Key order and whitespace are free, but
// encodings that two JSON parsers could read differently (duplicate keys,
// keys differing only in case, unknown keys, invalid UTF-8, surrogate
// escapes) are rejected. The error is a *VerifyError with Problem Malformed
// naming the line.
func ParseLog(log []byte) ([]Record, error) {
	recs, verr := parseLog(log)
	if verr != nil {
		return nil, verr
	}
	return recs, nil
}

func parseLog(log []byte) ([]Record, *VerifyError) {
	if len(log) == 0 {
		return nil, nil
	}
	recs := make([]Record, 0, bytes.Count(log, []byte{'\n'})+1)
	for line := 1; len(log) > 0; line++ {
		i := bytes.IndexByte(log, '\n')
		if i < 0 {
			if len(log) >= MaxLineSize {
				return nil, malformed(line, fmt.Sprintf("line is longer than %d bytes", MaxLineSize))
			}
			return nil, malformed(line, "last line is not terminated by a newline (torn write?)")
		}
		if i+1 > MaxLineSize {
			return nil, malformed(line, fmt.Sprintf("line is %d bytes, longer than %d", i+1, MaxLineSize))
		}
		r, err := parseLine(log[:i])
		if err != nil {
			return nil, malformed(line, err.Error())
		}
		recs = append(recs, r)
		log = log[i+1:]
	}
	return recs, nil
}

func malformed(line int, detail string) *VerifyError {
	return &VerifyError{Line: line, Problem: Malformed, Detail: detail}
}

// parseLine decodes one record. The fast path accepts a line that is
// byte-identical to its canonical re-encoding (what every writer of this
// package produces); anything else goes through a strict token scan first.
func parseLine(line []byte) (Record, error) {
	var r Record
	if len(line) == 0 {
		return r, errors.New("empty line")
	}
	if !utf8.Valid(line) {
		return r, errors.New("line is not valid UTF-8")
	}
	if err := json.Unmarshal(line, &r); err != nil {
		return Record{}, fmt.Errorf("not a record: %s", oneLine(err.Error()))
	}
	r.Time = r.Time.UTC()
	if len(r.Detail) == 0 {
		r.Detail = nil // `"detail":{}` and no detail hash alike; read them alike
	}
	if canon, err := json.Marshal(&r); err == nil && bytes.Equal(canon, line) {
		return r, nil
	}
	if err := scanStrict(line); err != nil {
		return Record{}, err
	}
	return r, nil
}

// recordKeys are the only keys a record line may have, spelled exactly.
var recordKeys = [...]string{"seq", "time", "actor", "source", "action", "object", "outcome", "detail", "prev", "hash"}

// scanStrict rejects JSON that encoding/json accepts but another parser may
// read differently: a later duplicate key silently wins in Go but not
// everywhere, keys match case-insensitively in Go only, and lone surrogate
// escapes decode to U+FFFD in Go but fail or pass through elsewhere.
func scanStrict(line []byte) error {
	if hasSurrogateEscape(line) {
		return errors.New("string contains a \\uD800–\\uDFFF escape")
	}
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.UseNumber()
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return errors.New("not a JSON object")
	}
	var seen [len(recordKeys)]bool
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return fmt.Errorf("not a record: %s", oneLine(err.Error()))
		}
		k, _ := t.(string)
		idx := slices.Index(recordKeys[:], k)
		if idx < 0 {
			return fmt.Errorf("unknown key %s", strconv.Quote(k))
		}
		if seen[idx] {
			return fmt.Errorf("duplicate key %q", k)
		}
		seen[idx] = true
		if k == "detail" {
			if err := scanDetail(dec); err != nil {
				return err
			}
			continue
		}
		if t, err := dec.Token(); err != nil {
			return fmt.Errorf("not a record: %s", oneLine(err.Error()))
		} else if t == nil {
			// Go reads null as "leave unset"; other parsers differ.
			return fmt.Errorf("key %q holds null", k)
		} else if _, isDelim := t.(json.Delim); isDelim {
			return fmt.Errorf("key %q holds an array or object", k)
		}
	}
	if _, err := dec.Token(); err != nil { // the closing '}'
		return fmt.Errorf("not a record: %s", oneLine(err.Error()))
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("data after the record")
	}
	return nil
}

func scanDetail(dec *json.Decoder) error {
	t, err := dec.Token()
	if err != nil {
		return fmt.Errorf("detail: %s", oneLine(err.Error()))
	}
	if t != json.Delim('{') {
		return errors.New("detail is not an object")
	}
	seen := map[string]bool{}
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return fmt.Errorf("detail: %s", oneLine(err.Error()))
		}
		k, _ := t.(string)
		if seen[k] {
			return fmt.Errorf("duplicate detail key %s", strconv.Quote(k))
		}
		seen[k] = true
		if t, err := dec.Token(); err != nil {
			return fmt.Errorf("detail: %s", oneLine(err.Error()))
		} else if _, ok := t.(string); !ok {
			return fmt.Errorf("detail %s is not a string", strconv.Quote(k))
		}
	}
	_, err = dec.Token()
	return err
}

func hasSurrogateEscape(b []byte) bool {
	for i := 0; i+5 < len(b); i++ {
		if b[i] != '\\' {
			continue
		}
		if b[i+1] == 'u' && (b[i+2] == 'd' || b[i+2] == 'D') {
			switch b[i+3] {
			case '8', '9', 'a', 'b', 'c', 'd', 'e', 'f', 'A', 'B', 'C', 'D', 'E', 'F':
				return true
			}
		}
		i++ // skip the escaped character so `\\ud800` is not misread
	}
	return false
}

// marshalCheckpoint writes the canonical checkpoint file: one JSON object
// and '\n'.
func marshalCheckpoint(cp *Checkpoint) []byte {
	b, err := json.Marshal(cp)
	if err != nil { // cannot happen: only strings, integers and bytes
		panic("audit: marshal checkpoint: " + err.Error())
	}
	return append(b, '\n')
}

// parseCheckpoint requires the exact form marshalCheckpoint writes: there is
// one writer, and a checkpoint is small, so nothing else needs accepting.
func parseCheckpoint(b []byte) (Checkpoint, error) {
	var cp Checkpoint
	if len(b) > 4096 {
		return cp, errors.New("checkpoint is longer than 4096 bytes")
	}
	if len(b) == 0 || b[len(b)-1] != '\n' {
		return cp, errors.New("checkpoint does not end in a newline")
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&cp); err != nil {
		return Checkpoint{}, fmt.Errorf("not a checkpoint: %s", oneLine(err.Error()))
	}
	if !bytes.Equal(marshalCheckpoint(&cp), b) {
		return Checkpoint{}, errors.New("checkpoint is not in canonical form")
	}
	if _, err := decodeHash(cp.Hash); err != nil {
		return Checkpoint{}, fmt.Errorf("checkpoint hash: %w", err)
	}
	return cp, nil
}

// oneLine keeps error details on one line whatever the input held.
func oneLine(s string) string {
	q := strconv.Quote(s)
	return q[1 : len(q)-1]
}
