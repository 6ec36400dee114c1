package audit

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Syslog formats r as an RFC 5424 syslog message, framed with RFC 6587
// octet counting ("LEN SP MSG") as RFC 5425 (syslog over TLS) requires.
// The record travels as structured data, SD-ID "ward@32473" (the IANA
// example enterprise number), one SD-PARAM per field; MSG is the record's
// JSON line, so a collector can also verify its hash. hostname and app
// identify the device (NILVALUE "-" when empty).
func Syslog(r Record, hostname, app string) ([]byte, error) {
	line, err := marshalLine(&r)
	if err != nil {
		return nil, fmt.Errorf("audit: syslog: %w", err)
	}
	// Facility 10 (security/authorization), severity 5 (notice), 4
	// (warning) for refusals and failures.
	sev := 5
	if r.Outcome != Success {
		sev = 4
	}
	var b strings.Builder
	fmt.Fprintf(&b, "<%d>1 %s %s %s - %s [ward@32473 seq=\"%d\" actor=\"%s\" source=\"%s\" action=\"%s\" object=\"%s\" outcome=\"%s\"] ",
		10*8+sev, r.Time.UTC().Format("2006-01-02T15:04:05.000000Z"), sysName(hostname, 255), sysName(app, 48), sysName(r.Action, 32),
		r.Seq, sdEscape(r.Actor), sdEscape(r.Source), sdEscape(r.Action), sdEscape(r.Object), sdEscape(string(r.Outcome)))
	b.WriteString("\xEF\xBB\xBF") // BOM: MSG is UTF-8
	b.Write(line[:len(line)-1])   // without the newline
	msg := b.String()
	return []byte(strconv.Itoa(len(msg)) + " " + msg), nil
}

// sysName is a header field: printable US-ASCII without spaces, clipped.
func sysName(s string, max int) string {
	var b strings.Builder
	for _, c := range []byte(s) {
		if c > 32 && c < 127 && b.Len() < max {
			b.WriteByte(c)
		}
	}
	if b.Len() == 0 {
		return "-"
	}
	return b.String()
}

// sdEscape escapes a PARAM-VALUE. RFC 5424 (section 6.3.3) requires `"`,
// `\` and `]` to be escaped with a backslash. It lets other bytes through,
// but a raw line feed or other control character does not survive a
// receiver (rsyslog stores LF as "#012"; line-oriented stores split the
// record) and may reach a terminal. Ward escapes each byte of a control
// character (C0, DEL, C1), of U+2028/U+2029 and of invalid UTF-8 as
// `\xHH` (upper-case hex). A literal backslash is always `\\`, so the
// escape is unambiguous and UnescapeSDValue reverses it exactly.
func sdEscape(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && n <= 1, unicode.IsControl(r), r == '\u2028', r == '\u2029':
			for _, c := range []byte(s[i : i+n]) {
				fmt.Fprintf(&b, `\x%02X`, c)
			}
		case r == '\\', r == '"', r == ']':
			b.WriteByte('\\')
			b.WriteRune(r)
		default:
			b.WriteString(s[i : i+n])
		}
		i += n
	}
	return b.String()
}

// ErrSDValue reports a PARAM-VALUE that Syslog could not have written.
var ErrSDValue = errors.New("audit: not an escaped syslog PARAM-VALUE")

// UnescapeSDValue decodes a PARAM-VALUE as Syslog writes it, the text
// between its quotes: `\"`, `\\`, `\]` and Ward's `\xHH` (one byte; either
// case of hex digits). A backslash before anything else is literal, as
// RFC 5424 says. Other senders' values decode too (raw control characters
// and an unescaped `]` are taken as they are); only an unescaped `"`,
// which cannot be inside a value, is ErrSDValue. A collector uses it to
// compare a received value with the record in MSG.
func UnescapeSDValue(raw string) (string, error) {
	var b strings.Builder
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		switch {
		case c == '\\' && i+1 < len(raw) && strings.IndexByte(`"\]`, raw[i+1]) >= 0:
			b.WriteByte(raw[i+1])
			i++
		case c == '\\' && i+3 < len(raw) && raw[i+1] == 'x' && isHex(raw[i+2]) && isHex(raw[i+3]):
			b.WriteByte(unhex(raw[i+2])<<4 | unhex(raw[i+3]))
			i += 3
		case c == '"':
			return "", fmt.Errorf("%w: unescaped '\"' at %d", ErrSDValue, i)
		default:
			b.WriteByte(c)
		}
	}
	return b.String(), nil
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c <= '9':
		return c - '0'
	case c >= 'a':
		return c - 'a' + 10
	default:
		return c - 'A' + 10
	}
}
