package safetext

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// unsafeRune reports whether r must not reach a terminal raw.
func unsafeRune(r rune) bool {
	switch {
	case r < 0x20, r == 0x7f, r >= 0x80 && r <= 0x9f: // C0, DEL, C1
		return true
	case r == 0x061c, r == 0x200e, r == 0x200f: // bidi marks
		return true
	case r >= 0x202a && r <= 0x202e: // bidi embeddings and overrides
		return true
	case r >= 0x2066 && r <= 0x2069: // bidi isolates
		return true
	case r == 0x2028, r == 0x2029, r == 0xfeff: // separators, BOM
		return true
	}
	return false
}

// Printable reports whether s is valid UTF-8 without any character that
// must not reach a terminal raw: what Escape always returns.
func Printable(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if unsafeRune(r) {
			return false
		}
	}
	return true
}

// Safe reports whether s prints as itself: valid UTF-8 with no character
// Escape would rewrite.
func Safe(s string) bool {
	for i, r := range s {
		if r == utf8.RuneError {
			if _, n := utf8.DecodeRuneInString(s[i:]); n == 1 {
				return false
			}
		}
		if unsafeRune(r) || r == '\\' {
			return false
		}
	}
	return true
}

// Escape returns s with every unsafe character written as a visible
// escape: \xHH for bytes below 0x100 and invalid UTF-8, \uHHHH above. A
// backslash becomes \\, so an escape in the output always means the
// device sent that character, never the characters of an escape.
func Escape(s string) string {
	if Safe(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 16)
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && n == 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case r == '\\':
			b.WriteString(`\\`)
		case unsafeRune(r) && r < 0x100:
			fmt.Fprintf(&b, `\x%02x`, r)
		case unsafeRune(r):
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteString(s[i : i+n])
		}
		i += n
	}
	return b.String()
}

// Truncate returns s cut to at most max bytes (on a character boundary)
// followed by a note of how much was left out; s itself when it fits.
func Truncate(s string, max int) string {
	if len(s) <= max {
		return s
	}
	cut := max
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return fmt.Sprintf("%s… [truncated: %d of %d bytes shown]", s[:cut], cut, len(s))
}

// Clip escapes s and bounds it to max bytes of the original, saying so
// when it cut: the form for one device-supplied field on a terminal.
func Clip(s string, max int) string {
	if len(s) <= max {
		return Escape(s)
	}
	cut := max
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return fmt.Sprintf("%s… [truncated: %d of %d bytes shown]", Escape(s[:cut]), cut, len(s))
}

// Quote returns s escaped and in double quotes (a double quote inside is
// escaped too), for naming a device-supplied value inside a sentence.
func Quote(s string) string {
	return `"` + strings.ReplaceAll(Escape(s), `"`, `\"`) + `"`
}
