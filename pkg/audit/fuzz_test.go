package audit

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
)

var knownProblems = map[Problem]bool{Malformed: true, Unprotected: true, BadSignature: true, Edited: true, Deleted: true,
	Inserted: true, Reordered: true, Truncated: true, Rewritten: true, Appended: true}

// FuzzParseLog: no input panics; errors name a line; anything accepted
// re-encodes to records that parse back identically.
func FuzzParseLog(f *testing.F) {
	fx := newFixture(f)
	f.Add(fx.log())
	f.Add([]byte("{}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		recs, err := ParseLog(data)
		if err != nil {
			var ve *VerifyError
			if !errors.As(err, &ve) || ve.Problem != Malformed || ve.Line < 1 || !errors.Is(err, ErrTampered) {
				t.Fatalf("ParseLog error %v (%#v) does not name a line", err, ve)
			}
			return
		}
		again, err := ParseLog(encodeLog(t, recs))
		if err != nil {
			t.Fatalf("re-encoded log does not parse: %v", err)
		}
		if diff := cmp.Diff(recs, again); diff != "" {
			t.Fatalf("re-parse differs (-first +second):\n%s", diff)
		}
	})
}

func encodeLog(t *testing.T, recs []Record) []byte {
	var b bytes.Buffer
	for i := range recs {
		line, err := marshalLine(&recs[i])
		if err != nil {
			t.Fatalf("accepted record %d cannot be re-encoded: %v", i+1, err)
		}
		b.Write(line)
	}
	return b.Bytes()
}

// FuzzVerify: no input panics; every failure is a *VerifyError with a
// known problem; anything Verify accepts parses, re-encodes canonically,
// and still verifies with the same report.
func FuzzVerify(f *testing.F) {
	fx := newFixture(f)
	f.Add(fx.log(), fx.cp)
	pub := testKey().Public().(ed25519.PublicKey)
	f.Fuzz(func(t *testing.T, log, cp []byte) {
		rep, err := Verify(log, cp, pub)
		if err != nil {
			var ve *VerifyError
			if !errors.Is(err, ErrTampered) || !errors.As(err, &ve) || !knownProblems[ve.Problem] {
				t.Fatalf("Verify error %v is not a known *VerifyError", err)
			}
			return
		}
		recs, err := ParseLog(log)
		if err != nil {
			t.Fatalf("Verify accepted what ParseLog rejects: %v", err)
		}
		if rep.Records != len(recs) {
			t.Fatalf("report says %d records, log has %d", rep.Records, len(recs))
		}
		canon := encodeLog(t, recs)
		rep2, err := Verify(canon, cp, pub)
		if err != nil || rep2 != rep {
			t.Fatalf("canonical re-encoding: %+v, %v; want %+v", rep2, err, rep)
		}
		again, err := ParseLog(canon)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(recs, again); diff != "" {
			t.Fatalf("re-parse differs (-first +second):\n%s", diff)
		}
	})
}

// FuzzSDValue: any string escapes to valid UTF-8 free of control
// characters, quotes and brackets left raw, and decodes back exactly;
// the decoder never panics on anything.
func FuzzSDValue(f *testing.F) {
	f.Add("eve\nadmin")
	f.Add(`eve "the" ]hacker\`)
	f.Add("\\x0A\x00\xff\u0085\u2028 Müller")
	f.Fuzz(func(t *testing.T, s string) {
		e := sdEscape(s)
		if !utf8.ValidString(e) {
			t.Fatalf("escaped %q is not UTF-8: %q", s, e)
		}
		for i, r := range e {
			if unicode.IsControl(r) || r == '\u2028' || r == '\u2029' {
				t.Fatalf("escaped %q has %U raw at %d", s, r, i)
			}
			if (r == '"' || r == ']') && (i == 0 || e[i-1] != '\\') {
				t.Fatalf("escaped %q has %q unescaped at %d", s, r, i)
			}
		}
		back, err := UnescapeSDValue(e)
		if err != nil || back != s {
			t.Fatalf("UnescapeSDValue(sdEscape(%q)) = %q, %v", s, back, err)
		}
		_, _ = UnescapeSDValue(s)
	})
}
