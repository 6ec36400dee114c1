package audit

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSyslogVector(t *testing.T) {
	r := Record{Seq: 7, Time: time.Date(2026, 11, 23, 14, 0, 0, 123456000, time.UTC), Actor: `eve "the" ]hacker\`,
		Source: "keypad", Action: "login", Object: "session", Outcome: Denied, Detail: map[string]string{"reason": "bad password"},
		Prev: strings.Repeat("a", 64), Hash: strings.Repeat("b", 64)}
	got, err := Syslog(r, "SIM-IP 000001", "ward-sim")
	require.NoError(t, err)
	path := filepath.Join("testdata", "syslog", "record1.txt")
	if os.Getenv("WARD_UPDATE_VECTORS") == "1" {
		require.NoError(t, os.WriteFile(path, got, 0o644))
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, string(want), string(got))

	n, msg, ok := strings.Cut(string(got), " ")
	require.True(t, ok)
	size, err := strconv.Atoi(n)
	require.NoError(t, err)
	assert.Equal(t, len(msg), size, "octet count is the message's length")
	assert.True(t, strings.HasPrefix(msg, "<84>1 2026-11-23T14:00:00.123456Z SIM-IP000001 ward-sim - login "), msg)
	assert.Contains(t, msg, `actor="eve \"the\" \]hacker\\"`)
	assert.Contains(t, msg, `outcome="denied"`)
	assert.Contains(t, msg, "\xEF\xBB\xBF{")

	r.Outcome = Success
	ok5, _ := Syslog(r, "", "")
	assert.Contains(t, string(ok5), "<85>1 2026-11-23T14:00:00.123456Z - - - login ", "NILVALUE for missing names, notice for successes")
}

// TestSyslogEscapesControlCharacters: a line feed (or any control
// character) in a field never reaches a collector raw, where it would be
// rewritten (rsyslog stores LF as "#012") or split the record; the escape
// is reversible, so the value still matches the record.
func TestSyslogEscapesControlCharacters(t *testing.T) {
	actor := "eve\nadmin\r\x00\x1b[31m\x7f\u0085\u2028 \\x0A \xff Müller"
	r := Record{Seq: 8, Time: time.Date(2026, 11, 23, 14, 0, 0, 0, time.UTC), Actor: actor, Source: "keypad\t1",
		Action: "login", Object: "session", Outcome: Denied, Prev: strings.Repeat("a", 64), Hash: strings.Repeat("b", 64)}
	got, err := Syslog(r, "h", "a")
	require.NoError(t, err)
	_, msg, _ := strings.Cut(string(got), " ")
	sd, _, ok := strings.Cut(msg, "] \xEF\xBB\xBF")
	require.True(t, ok)
	require.True(t, utf8.ValidString(sd), "RFC 5424: PARAM-VALUE is UTF-8")
	for i, c := range sd {
		if unicode.IsControl(c) || c == '\u2028' || c == '\u2029' {
			t.Fatalf("%U raw in the structured data at %d: %q", c, i, sd)
		}
	}
	assert.Contains(t, sd, `actor="eve\x0Aadmin\x0D\x00\x1B[31m\x7F\xC2\x85\xE2\x80\xA8 \\x0A \xFF Müller"`)
	assert.Contains(t, sd, `source="keypad\x091"`)
	for _, tc := range []struct{ raw, want string }{
		{`eve\x0Aadmin\x0D\x00\x1B[31m\x7F\xC2\x85\xE2\x80\xA8 \\x0A \xFF Müller`, actor},
		{`\x0a\xc2\x85`, "\n\u0085"}, // either case of hex digits
		{`keypad\x091`, "keypad\t1"},
		{`eve \"the\" \]hacker\\`, `eve "the" ]hacker\`},
		{`a\b \x4`, `a\b \x4`}, // RFC 5424: other backslashes are literal
		{`\x4g\xZZ`, `\x4g\xZZ`},
	} {
		v, err := UnescapeSDValue(tc.raw)
		require.NoError(t, err, tc.raw)
		assert.Equal(t, tc.want, v, tc.raw)
	}
	_, err = UnescapeSDValue(`a"b`)
	assert.Error(t, err, "an unescaped quote ends a value")
	assert.ErrorIs(t, err, ErrSDValue)
	// Other senders may leave these raw; they decode as they are.
	for _, s := range []string{"a]b", "a\nb"} {
		v, err := UnescapeSDValue(s)
		require.NoError(t, err, s)
		assert.Equal(t, s, v)
	}
}
