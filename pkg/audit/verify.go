package audit

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"fmt"
	"slices"
)

// ErrTampered is matched (errors.Is) by every integrity failure: a log or
// checkpoint that is malformed, unprotected, or does not verify.
var ErrTampered = errors.New("audit: log failed verification")

// Problem names what verification found. Values are stable strings; the
// harness prints and matches them.
type Problem string

const (
	// Malformed: a line or the checkpoint cannot be parsed, is longer than
	// MaxLineSize, is ambiguous JSON, or the last line lacks its '\n'.
	Malformed Problem = "malformed"
	// Unprotected: the log carries no hash chain or has no signed
	// checkpoint, so it offers no tamper evidence at all.
	Unprotected Problem = "unprotected"
	// BadSignature: the checkpoint's signature does not verify with the
	// given key, or it names another key.
	BadSignature Problem = "bad signature"
	// Edited: a record's content no longer matches the chain: its hash does
	// not match its fields, or it was re-hashed but the next record still
	// links to the original.
	Edited Problem = "edited"
	// Deleted: one or more records are missing before the end of the log.
	Deleted Problem = "deleted"
	// Inserted: a line holds a record that is not part of the signed chain
	// (forged, or a replayed copy), before the signed head.
	Inserted Problem = "inserted"
	// Reordered: a genuine record is out of its place.
	Reordered Problem = "reordered"
	// Truncated: the log ends before the record the checkpoint signs.
	Truncated Problem = "truncated"
	// Rewritten: every hash in the file checks out, but the chain head at
	// the checkpoint's seq is not the signed one: a record at or before it
	// was changed and every later hash recomputed.
	Rewritten Problem = "rewritten"
	// Appended: records follow the signed head. A crash between writing a
	// record and its checkpoint leaves one such record (Open recovers it);
	// anything else is an attacker adding records.
	Appended Problem = "appended"
)

// VerifyError says what is wrong and where. Seq is the chain position at
// fault (the missing record for Deleted and Truncated); for Inserted it is
// the seq the extra line claims. Line is the 1-based line in the log file,
// 0 when the problem is not on a line.
type VerifyError struct {
	Seq     uint64
	Line    int
	Problem Problem
	Detail  string
	// Checkpoint is set when the problem is in the checkpoint file.
	Checkpoint bool
}

// Error is one line, e.g.
// "audit: record 2 (line 2) edited: hash does not match its content".
func (e *VerifyError) Error() string {
	var where string
	switch {
	case e.Checkpoint && e.Seq > 0:
		where = fmt.Sprintf("checkpoint (record %d)", e.Seq)
	case e.Checkpoint:
		where = "checkpoint"
	case e.Seq > 0 && e.Line > 0:
		where = fmt.Sprintf("record %d (line %d)", e.Seq, e.Line)
	case e.Seq > 0:
		where = fmt.Sprintf("record %d", e.Seq)
	case e.Line > 0:
		where = fmt.Sprintf("line %d", e.Line)
	default:
		where = "log"
	}
	return "audit: " + where + " " + string(e.Problem) + ": " + e.Detail
}

// Is makes every VerifyError match ErrTampered.
func (e *VerifyError) Is(target error) bool { return target == ErrTampered }

// Report describes a log that verified.
type Report struct {
	Records int    // number of records, all covered by the signature
	Head    string // hash of the last record (GenesisHash for an empty log)
}

// Verify checks a log file and its checkpoint file against pub. It returns
// a *VerifyError (matching ErrTampered) naming the first problem, in this
// order: malformed lines, no protection, malformed or badly signed
// checkpoint, then the chain itself (see docs/audit-log.md for the rules).
// A nil or short pub is a usage error, not tampering, unless the log is
// unprotected anyway.
func Verify(log, checkpoint []byte, pub ed25519.PublicKey) (Report, error) {
	res, verr, err := verify(log, checkpoint, pub)
	if err != nil {
		return Report{}, err
	}
	if verr != nil {
		return Report{}, verr
	}
	return res.report, nil
}

type verified struct {
	recs   []Record
	cp     Checkpoint
	report Report
}

func verify(log, checkpoint []byte, pub ed25519.PublicKey) (verified, *VerifyError, error) {
	recs, verr := parseLog(log)
	if verr != nil {
		return verified{}, verr, nil
	}
	res := verified{recs: recs}
	if len(recs) > 0 && !slices.ContainsFunc(recs, chained) {
		return res, &VerifyError{Problem: Unprotected, Detail: "records carry no hash chain"}, nil
	}
	if len(bytes.TrimSpace(checkpoint)) == 0 {
		return res, &VerifyError{Problem: Unprotected, Detail: "no signed checkpoint, so removing the newest records would go unnoticed"}, nil
	}
	if len(pub) != ed25519.PublicKeySize {
		return res, nil, fmt.Errorf("audit: verify: public key is %d bytes, want %d", len(pub), ed25519.PublicKeySize)
	}
	cp, err := parseCheckpoint(checkpoint)
	if err != nil {
		return res, &VerifyError{Problem: Malformed, Checkpoint: true, Detail: err.Error()}, nil
	}
	res.cp = cp
	if id := KeyID(pub); cp.KeyID != id {
		return res, &VerifyError{Seq: cp.Seq, Problem: BadSignature, Checkpoint: true,
			Detail: fmt.Sprintf("signed by key %s, not by the verifying key %s", oneLine(cp.KeyID), id)}, nil
	}
	head, _ := decodeHash(cp.Hash) // parseCheckpoint checked it
	if !ed25519.Verify(pub, checkpointMessage(cp.Seq, &head), cp.Sig) {
		return res, &VerifyError{Seq: cp.Seq, Problem: BadSignature, Checkpoint: true,
			Detail: "signature does not verify: the checkpoint was forged or altered"}, nil
	}
	if cp.Seq == 0 && cp.Hash != GenesisHash {
		return res, &VerifyError{Problem: Malformed, Checkpoint: true, Detail: "a checkpoint for seq 0 must carry the genesis hash"}, nil
	}
	if verr := checkChain(recs, cp); verr != nil {
		return res, verr, nil
	}
	res.report = Report{Records: len(recs), Head: cp.Hash}
	return res, nil, nil
}

func chained(r Record) bool { return r.Hash != "" || r.Prev != "" }

// checkChain decides, given a checkpoint whose signature verified, whether
// recs are exactly records 1..cp.Seq of the signed chain, and if not, names
// the first thing wrong. The signed (seq, hash) pins the whole chain:
// walking back from it through prev links identifies every genuine record
// wherever it sits in the file. Lines the walk reaches are "authentic";
// comparing them with the file order then tells reordering from insertion.
// If the walk breaks, a forward walk from the genesis value finds how far
// the file is intact, and the line after that tells edit from deletion.
func checkChain(recs []Record, cp Checkpoint) *VerifyError {
	n := len(recs)
	// self[i]: line i's stored hash matches its content (and is well formed).
	self := make([]bool, n)
	byHash := make(map[string][]int, n)
	for i := range recs {
		r := &recs[i]
		prev, err1 := decodeHash(r.Prev)
		_, err2 := decodeHash(r.Hash)
		if err1 != nil || err2 != nil {
			continue
		}
		d := recordDigest(r, &prev)
		if hexEqual(r.Hash, &d) {
			self[i] = true
			byHash[r.Hash] = append(byHash[r.Hash], i)
		}
	}

	// Backward walk from the signed head. pos[i] is the authentic chain
	// position held by line i, 0 if none.
	pos := make([]uint64, n)
	at := make(map[uint64]int, n) // position -> line index
	h, s, next := cp.Hash, cp.Seq, n
	for s >= 1 {
		i := pickCandidate(recs, byHash[h], pos, s, next)
		if i < 0 {
			break
		}
		pos[i], at[s] = s, i
		h, next = recs[i].Prev, i
		s--
	}
	if s == 0 && h != GenesisHash {
		i := at[1]
		return &VerifyError{Seq: 1, Line: i + 1, Problem: Edited, Detail: "the first record does not link to the genesis value"}
	}

	if s == 0 {
		// Every signed record is present and intact; only extra or
		// misplaced lines can be wrong.
		e := uint64(1)
		for i := range recs {
			switch {
			case e > cp.Seq:
				return &VerifyError{Seq: e, Line: i + 1, Problem: Appended,
					Detail: fmt.Sprintf("the signed checkpoint ends at record %d; line %d holds %s", cp.Seq, i+1, describeLine(&recs[i], self[i], pos, byHash))}
			case pos[i] == e:
				e++
			case pos[i] != 0:
				return &VerifyError{Seq: e, Line: i + 1, Problem: Reordered,
					Detail: fmt.Sprintf("line %d holds record %d; record %d is at line %d", i+1, pos[i], e, at[e]+1)}
			default:
				return &VerifyError{Seq: recs[i].Seq, Line: i + 1, Problem: Inserted,
					Detail: "not part of the signed chain: the line holds " + describeLine(&recs[i], self[i], pos, byHash)}
			}
		}
		return nil
	}

	// The authentic record s is not in the file intact. Find the intact
	// prefix: lines 1..k hold records 1..k, each linking to the one before.
	k := 0
	p := GenesisHash
	for k < n && self[k] && recs[k].Seq == uint64(k+1) && recs[k].Prev == p {
		p = recs[k].Hash
		k++
	}
	switch {
	case uint64(k) >= s && s == cp.Seq:
		return &VerifyError{Seq: s, Line: int(s), Problem: Rewritten,
			Detail: "every hash checks out but the chain head is not the signed one: a record at or before it was changed and the hashes after it recomputed"}
	case uint64(k) >= s:
		return &VerifyError{Seq: s, Line: int(s), Problem: Edited,
			Detail: fmt.Sprintf("its hash matches its content but record %d links to a different hash: it (or an earlier record) was changed and re-hashed", s+1)}
	case k == n:
		ends := fmt.Sprintf("the log ends after record %d", k)
		if k == 0 {
			ends = "the log has none"
		}
		return &VerifyError{Seq: uint64(k + 1), Line: k + 1, Problem: Truncated,
			Detail: fmt.Sprintf("the signed checkpoint covers %d records but %s", cp.Seq, ends)}
	case pos[k] != 0:
		first, last := uint64(k+1), pos[k]-1
		what := fmt.Sprintf("record %d is missing", first)
		if last > first {
			what = fmt.Sprintf("records %d–%d are missing", first, last)
		}
		return &VerifyError{Seq: first, Line: k + 1, Problem: Deleted,
			Detail: fmt.Sprintf("%s: line %d holds record %d", what, k+1, pos[k])}
	}
	r := &recs[k]
	detail := "hash does not match its content"
	switch {
	case !self[k] && r.Seq != uint64(k+1):
		detail += fmt.Sprintf(" (its seq reads %d)", r.Seq)
	case self[k] && r.Seq == uint64(k+1):
		detail = fmt.Sprintf("it does not link to record %d: it was changed and re-hashed", k)
	case self[k]:
		detail = fmt.Sprintf("it reads seq %d and does not belong to the chain here", r.Seq)
	}
	return &VerifyError{Seq: uint64(k + 1), Line: k + 1, Problem: Edited, Detail: detail}
}

// pickCandidate chooses, among lines whose intact record has the wanted
// hash, the one holding position s. Copies of a record (replays) share its
// hash; preferring the line where s belongs, then the nearest line before
// the record after it, makes the choice deterministic and leaves the copy
// to be reported.
func pickCandidate(recs []Record, cands []int, pos []uint64, s uint64, next int) int {
	best := -1
	for _, i := range cands {
		if pos[i] != 0 || recs[i].Seq != s {
			continue
		}
		if uint64(i+1) == s {
			return i
		}
		before, bestBefore := i < next, best >= 0 && best < next
		switch {
		case best < 0:
			best = i
		case before && (!bestBefore || i > best):
			best = i // nearest line before the record that links to it
		case !before && !bestBefore && i < best:
			best = i // otherwise the first
		}
	}
	return best
}

func describeLine(r *Record, self bool, pos []uint64, byHash map[string][]int) string {
	if self {
		for _, j := range byHash[r.Hash] {
			if pos[j] != 0 {
				return fmt.Sprintf("a copy of record %d (line %d)", pos[j], j+1)
			}
		}
		return fmt.Sprintf("a record claiming seq %d", r.Seq)
	}
	return fmt.Sprintf("a record claiming seq %d, with a hash that does not match its content", r.Seq)
}

func hexEqual(s string, d *[32]byte) bool {
	const digits = "0123456789abcdef"
	if len(s) != 64 {
		return false
	}
	for i, b := range d {
		if s[2*i] != digits[b>>4] || s[2*i+1] != digits[b&15] {
			return false
		}
	}
	return true
}
