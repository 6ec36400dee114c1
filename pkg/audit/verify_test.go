package audit

import (
	"errors"
	"strings"
	"testing"
)

// TestVerifyStopsAttack runs every attack in attacks() against a genuine
// log and checks that Verify names it exactly: problem, record and line,
// as an error matching ErrTampered and unwrapping to *VerifyError.
func TestVerifyStopsAttack(t *testing.T) {
	for _, a := range attacks() {
		t.Run(a.name, func(t *testing.T) {
			log, cp, pub := a.apply(t)
			rep, err := Verify(log, cp, pub)
			if a.want == "" {
				if err != nil {
					t.Fatalf("%s: want it to verify, got %v", a.desc, err)
				}
				if rep.Records != a.report.Records {
					t.Errorf("Records = %d, want %d", rep.Records, a.report.Records)
				}
				recs, err := ParseLog(log)
				if err != nil {
					t.Fatal(err)
				}
				wantHead := GenesisHash
				if len(recs) > 0 {
					wantHead = recs[len(recs)-1].Hash
				}
				if rep.Head != wantHead {
					t.Errorf("Head = %s, want %s", rep.Head, wantHead)
				}
				return
			}
			if err == nil {
				t.Fatalf("%s: verified as intact (%+v); want %s", a.desc, rep, a.want)
			}
			if !errors.Is(err, ErrTampered) {
				t.Errorf("errors.Is(%v, ErrTampered) = false", err)
			}
			var ve *VerifyError
			if !errors.As(err, &ve) {
				t.Fatalf("errors.As(%v, *VerifyError) = false", err)
			}
			if ve.Problem != a.want || ve.Seq != a.seq || ve.Line != a.line || ve.Checkpoint != a.inCP {
				t.Errorf("%s:\n got %s at seq %d line %d (checkpoint %v)\nwant %s at seq %d line %d (checkpoint %v)\nerror: %v",
					a.desc, ve.Problem, ve.Seq, ve.Line, ve.Checkpoint, a.want, a.seq, a.line, a.inCP, err)
			}
			msg := err.Error()
			if strings.ContainsAny(msg, "\n\r") || !strings.HasPrefix(msg, "audit: ") || !strings.Contains(msg, string(a.want)) {
				t.Errorf("error is not one clear line naming the problem: %q", msg)
			}
			t.Log(msg)
		})
	}
}

func TestVerifyErrorMessage(t *testing.T) {
	tests := []struct {
		err  VerifyError
		want string
	}{
		{VerifyError{Seq: 2, Line: 2, Problem: Edited, Detail: "hash does not match its content"},
			"audit: record 2 (line 2) edited: hash does not match its content"},
		{VerifyError{Line: 7, Problem: Malformed, Detail: "empty line"}, "audit: line 7 malformed: empty line"},
		{VerifyError{Seq: 5, Problem: BadSignature, Checkpoint: true, Detail: "x"}, "audit: checkpoint (record 5) bad signature: x"},
		{VerifyError{Problem: Malformed, Checkpoint: true, Detail: "x"}, "audit: checkpoint malformed: x"},
		{VerifyError{Problem: Unprotected, Detail: "no signed checkpoint"}, "audit: log unprotected: no signed checkpoint"},
	}
	for _, tt := range tests {
		if got := tt.err.Error(); got != tt.want {
			t.Errorf("Error() = %q, want %q", got, tt.want)
		}
	}
}

func TestVerifyRejectsBadPublicKey(t *testing.T) {
	f := newFixture(t)
	_, err := Verify(f.log(), f.cp, nil)
	if err == nil || errors.Is(err, ErrTampered) {
		t.Fatalf("a missing key is a usage error, not tampering: %v", err)
	}
}

func TestParseLogNamesTheLine(t *testing.T) {
	f := newFixture(t)
	f.lines[3] = []byte("{")
	_, err := ParseLog(f.log())
	var ve *VerifyError
	if !errors.As(err, &ve) || ve.Line != 4 || ve.Problem != Malformed {
		t.Fatalf("ParseLog = %v, want malformed at line 4", err)
	}
	if !strings.Contains(err.Error(), "line 4") {
		t.Errorf("error %q does not name line 4", err)
	}
}

// TestRecordHashMatchesStoredHash pins RecordHash (used by the harness to
// play an attacker who recomputes hashes) to what Append stores.
func TestRecordHashMatchesStoredHash(t *testing.T) {
	f := newFixture(t)
	for i := range f.lines {
		r := f.rec(i)
		h, err := RecordHash(r)
		if err != nil || h != r.Hash {
			t.Errorf("record %d: RecordHash = %s, %v; stored %s", r.Seq, h, err, r.Hash)
		}
	}
	if _, err := RecordHash(Record{Prev: "xyz"}); err == nil {
		t.Error("RecordHash accepted a malformed prev")
	}
}
