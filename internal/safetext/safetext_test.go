package safetext_test

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"

	"github.com/wardsec/ward/internal/safetext"
)

// Each attack a device could mount through a string it supplies.
func TestEscapeStopsTerminalAttacks(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{"clear line and forge a summary", "1.0\r\x1b[2K42 satisfied, 0 not satisfied", `1.0\x0d\x1b[2K42 satisfied, 0 not satisfied`},
		{"retitle the window (OSC 0, BEL)", "\x1b]0;pwned\x07", `\x1b]0;pwned\x07`},
		{"write the clipboard (OSC 52)", "\x1b]52;c;Y2FsYw==\x1b\\", `\x1b]52;c;Y2FsYw==\x1b\\`},
		{"C1 CSI", "a\u009b31mred", `a\x9b31mred`},
		{"bidi override", "fw\u202e1.0", `fw\u202e1.0`},
		{"bidi isolate", "\u2066x\u2069", `\u2066x\u2069`},
		{"newline forges a line", "ok\nFAILED none", `ok\x0aFAILED none`},
		{"invalid UTF-8", "a\xffb", `a\xffb`},
		{"backslash stays unambiguous", `C:\x1b`, `C:\\x1b`},
		{"printable kept", "Pompe à perfusion ÄÖ 輸液", "Pompe à perfusion ÄÖ 輸液"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := safetext.Escape(tc.in)
			assert.Equal(t, tc.want, got)
			assert.True(t, safetext.Printable(got), "output not printable: %q", got)
		})
	}
}

func TestClipSaysItTruncated(t *testing.T) {
	long := strings.Repeat("é", 1000) // 2000 bytes
	got := safetext.Clip(long, 101)
	assert.True(t, utf8.ValidString(got))
	assert.Contains(t, got, "[truncated: 100 of 2000 bytes shown]")
	assert.Equal(t, "short", safetext.Clip("short", 10))
	assert.Equal(t, `"a\"b\x1b"`, safetext.Quote("a\"b\x1b"))
}

func FuzzEscape(f *testing.F) {
	for _, s := range []string{"", "plain", "\x1b]52;c;AA==\x07", "\u202e", "a\xffb", "\\"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		e := safetext.Escape(s)
		if !safetext.Printable(e) {
			t.Fatalf("Escape(%q) = %q is not safe", s, e)
		}
		for _, r := range e {
			if r < 0x20 || r == 0x7f || (r >= 0x80 && r <= 0x9f) {
				t.Fatalf("control %U in %q", r, e)
			}
		}
		if safetext.Safe(s) && e != s {
			t.Fatalf("safe %q changed to %q", s, e)
		}
		c := safetext.Clip(s, 16)
		if !safetext.Printable(c) {
			t.Fatalf("Clip(%q) = %q is not safe", s, c)
		}
	})
}
