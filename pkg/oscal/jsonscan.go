package oscal

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// jsonScan is a small streaming JSON reader for the OSCAL reference check.
// encoding/json's Decoder.Token allocates for every token and reads tens of
// megabytes a second; a fleet's assessment results run to tens of megabytes
// and Verify must keep pace with hashing. jsonScan reads in fixed chunks,
// skips the text of strings nobody asked for without copying it, and checks
// the syntax as it goes (strings, escapes, literals, nesting, separators).
type jsonScan struct {
	r        io.Reader
	buf      []byte
	pos, end int
	off      int64 // stream offset of buf[0]
	eof      bool
	rerr     error // a read error other than EOF
	tmp      []byte
}

// jsonSyntaxError is input that is not JSON (or not the JSON expected).
type jsonSyntaxError struct {
	msg string
	off int64
}

func (e *jsonSyntaxError) Error() string {
	return fmt.Sprintf("not valid JSON: %s at byte %d", e.msg, e.off)
}

func newJSONScan(r io.Reader) *jsonScan {
	return &jsonScan{r: r, buf: make([]byte, 64<<10)}
}

func (s *jsonScan) syntax(format string, args ...any) error {
	return &jsonSyntaxError{fmt.Sprintf(format, args...), s.off + int64(s.pos)}
}

// fill discards what has been consumed and reads more. It returns false at
// the end of the input or on a read error (kept in rerr).
func (s *jsonScan) fill() bool {
	if s.eof || s.rerr != nil {
		return false
	}
	s.off += int64(s.pos)
	n := copy(s.buf, s.buf[s.pos:s.end])
	s.pos, s.end = 0, n
	for s.end < len(s.buf) {
		m, err := s.r.Read(s.buf[s.end:])
		s.end += m
		if errors.Is(err, io.EOF) {
			s.eof = true
			break
		}
		if err != nil {
			s.rerr = err
			break
		}
		if m > 0 {
			break
		}
	}
	return s.end > s.pos
}

// eofErr is the error for input that ends early: the read error if there
// was one.
func (s *jsonScan) eofErr() error {
	if s.rerr != nil {
		return s.rerr
	}
	return s.syntax("unexpected end of input")
}

// peek skips white space and returns the next byte without consuming it;
// io.EOF at the end of the input.
func (s *jsonScan) peek() (byte, error) {
	for {
		for s.pos < s.end {
			switch c := s.buf[s.pos]; c {
			case ' ', '\t', '\n', '\r':
				s.pos++
			default:
				return c, nil
			}
		}
		if !s.fill() {
			if s.rerr != nil {
				return 0, s.rerr
			}
			return 0, io.EOF
		}
	}
}

// expect consumes c, after white space.
func (s *jsonScan) expect(c byte) error {
	b, err := s.peek()
	if errors.Is(err, io.EOF) {
		return s.eofErr()
	}
	if err != nil {
		return err
	}
	if b != c {
		return s.syntax("found %q, want %q", b, c)
	}
	s.pos++
	return nil
}

// str reads a string whose opening quote has been consumed. With keep it
// returns the decoded text, valid until the next call; otherwise nil.
func (s *jsonScan) str(keep bool) ([]byte, error) {
	s.tmp = s.tmp[:0]
	escaped := false
	for {
		// The common case: plain text up to the closing quote.
		i, buf, end := s.pos, s.buf, s.end
		for i < end {
			c := buf[i]
			if c == '"' || c == '\\' || c < 0x20 {
				break
			}
			i++
		}
		if i == end {
			if keep {
				s.tmp = append(s.tmp, buf[s.pos:end]...)
			}
			s.pos = end
			if !s.fill() {
				return nil, s.eofErr()
			}
			continue
		}
		switch c := buf[i]; {
		case c == '"':
			var out []byte
			if keep {
				if len(s.tmp) > 0 || escaped {
					s.tmp = append(s.tmp, buf[s.pos:i]...)
					out = s.tmp
				} else {
					out = buf[s.pos:i]
				}
			}
			s.pos = i + 1
			if keep && escaped {
				return s.unescape(out)
			}
			return out, nil
		case c < 0x20:
			s.pos = i
			return nil, s.syntax("control character in string")
		}
		// A backslash: keep the escape as written (unescape decodes it).
		if keep {
			s.tmp = append(s.tmp, buf[s.pos:i]...)
		}
		s.pos = i
		escaped = true
		seq, err := s.escape()
		if err != nil {
			return nil, err
		}
		if keep {
			s.tmp = append(s.tmp, seq...)
		}
	}
}

// escape reads one escape sequence, backslash included, and returns it.
func (s *jsonScan) escape() ([]byte, error) {
	var seq [6]byte
	n := 2
	for k := 0; k < n; k++ {
		if s.pos >= s.end && !s.fill() {
			return nil, s.eofErr()
		}
		c := s.buf[s.pos]
		switch {
		case k == 1:
			switch c {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			case 'u':
				n = 6
			default:
				return nil, s.syntax("bad escape \\%c", c)
			}
		case k >= 2 && !isHex(c):
			return nil, s.syntax("bad \\u escape")
		}
		seq[k] = c
		s.pos++
	}
	return seq[:n], nil
}

func (s *jsonScan) unescape(raw []byte) ([]byte, error) {
	quoted := make([]byte, 0, len(raw)+2)
	quoted = append(append(append(quoted, '"'), raw...), '"')
	var out string
	if err := json.Unmarshal(quoted, &out); err != nil {
		return nil, s.syntax("bad string: %v", err)
	}
	return []byte(out), nil
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

// literal reads a number, true, false or null.
func (s *jsonScan) literal() error {
	s.tmp = s.tmp[:0]
	for {
		for s.pos < s.end {
			c := s.buf[s.pos]
			if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c == '-' || c == '+' || c == '.' || c == 'E') {
				return s.checkLiteral()
			}
			s.tmp = append(s.tmp, c)
			s.pos++
			if len(s.tmp) > 64 {
				return s.syntax("literal too long")
			}
		}
		if !s.fill() {
			if s.rerr != nil {
				return s.rerr
			}
			return s.checkLiteral()
		}
	}
}

func (s *jsonScan) checkLiteral() error {
	switch string(s.tmp) {
	case "true", "false", "null":
		return nil
	case "":
		if s.pos < s.end {
			return s.syntax("unexpected %q", s.buf[s.pos])
		}
		return s.eofErr()
	}
	if !json.Valid(s.tmp) {
		return s.syntax("bad literal %q", s.tmp)
	}
	return nil
}
