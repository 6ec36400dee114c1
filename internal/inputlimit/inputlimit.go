package inputlimit

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
)

// Limits for configuration files (controls, waivers, attestations,
// segmentation policies). The embedded catalogue's largest file is a few
// tens of KiB and nests below ten levels.
const (
	// MaxConfigFile bounds one HCL configuration file.
	MaxConfigFile = 4 << 20
	// MaxPolicyFile bounds one segmentation policy: a site's whole device
	// list (a 50 MB policy of 130,000 devices loads in seconds).
	MaxPolicyFile = 256 << 20
	// MaxNesting bounds brackets, braces, parentheses, strings and
	// template interpolations open at once in an HCL file.
	MaxNesting = 64
)

// ErrTooLarge reports an input file over its size limit.
var ErrTooLarge = errors.New("input file too large")

// ErrTooDeep reports an input file nested beyond MaxNesting.
var ErrTooDeep = errors.New("input file nested too deeply")

// ReadFile reads name, refusing files over max bytes without reading more
// than max+1 of them.
func ReadFile(name string, max int64) ([]byte, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return Read(f, name, max)
}

// Read reads r (named name in errors), refusing more than max bytes.
func Read(r io.Reader, name string, max int64) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > max {
		return nil, fmt.Errorf("%s: %w: more than %d bytes", name, ErrTooLarge, max)
	}
	return b, nil
}

// DepthError says where an HCL file first nests deeper than the limit.
type DepthError struct {
	Line, Column, Offset int
	Limit                int
}

func (e *DepthError) Error() string {
	return fmt.Sprintf("line %d, column %d: nested more than %d levels deep", e.Line, e.Column, e.Limit)
}

// Unwrap makes a DepthError match ErrTooDeep.
func (e *DepthError) Unwrap() error { return ErrTooDeep }

// CheckHCLNesting scans HCL native syntax without parsing it and returns
// a *DepthError at the first place where more than limit brackets,
// parentheses, braces, strings, heredocs and template interpolations are
// open at once; nil otherwise. It is linear in len(src) and uses memory
// proportional to limit. Comments are skipped; unbalanced closers are
// ignored (the parser reports them).
func CheckHCLNesting(src []byte, limit int) error {
	const (
		code   = 'c'
		str    = 's'
		interp = 'i'
		here   = 'h'
	)
	var stack []byte
	var markers [][]byte // heredoc end markers, one per 'h' on the stack
	line, col := 1, 1
	push := func(k byte, off int) error {
		if len(stack) >= limit {
			return &DepthError{Line: line, Column: col, Offset: off, Limit: limit}
		}
		stack = append(stack, k)
		return nil
	}
	top := func() byte {
		if len(stack) == 0 {
			return code
		}
		return stack[len(stack)-1]
	}
	lineStart := true
	for i := 0; i < len(src); i++ {
		c := src[i]
		startOfLine := lineStart
		lineStart = false
		switch top() {
		case str:
			switch {
			case c == '\\':
				i++
				col++
			case c == '"' || c == '\n':
				stack = stack[:len(stack)-1]
			case (c == '$' || c == '%') && i+1 < len(src) && src[i+1] == c:
				i++ // $${ and %%{ are literal
				col++
			case (c == '$' || c == '%') && i+1 < len(src) && src[i+1] == '{':
				if err := push(interp, i); err != nil {
					return err
				}
				i++
				col++
			}
		case here:
			m := markers[len(markers)-1]
			if startOfLine {
				rest := src[i:]
				eol := bytes.IndexByte(rest, '\n')
				if eol < 0 {
					eol = len(rest)
				}
				if bytes.Equal(bytes.TrimSpace(rest[:eol]), m) {
					stack = stack[:len(stack)-1]
					markers = markers[:len(markers)-1]
				}
			}
			if (c == '$' || c == '%') && i+1 < len(src) && src[i+1] == '{' {
				if err := push(interp, i); err != nil {
					return err
				}
				i++
				col++
			}
		default: // code or interpolation
			switch c {
			case '#':
				for i+1 < len(src) && src[i+1] != '\n' {
					i++
				}
			case '/':
				if i+1 < len(src) && src[i+1] == '/' {
					for i+1 < len(src) && src[i+1] != '\n' {
						i++
					}
				} else if i+1 < len(src) && src[i+1] == '*' {
					end := bytes.Index(src[i+2:], []byte("*/"))
					if end < 0 {
						return nil // unterminated comment: the parser says so
					}
					skipped := src[i : i+2+end+2]
					line += bytes.Count(skipped, []byte("\n"))
					i += 2 + end + 1
				}
			case '"':
				if err := push(str, i); err != nil {
					return err
				}
			case '(', '[', '{':
				if err := push(code, i); err != nil {
					return err
				}
			case ')', ']', '}':
				if len(stack) > 0 {
					stack = stack[:len(stack)-1]
				}
			case '<':
				if m, n := heredocStart(src[i:]); m != nil {
					if err := push(here, i); err != nil {
						return err
					}
					markers = append(markers, m)
					i += n - 1 // up to and including the newline
					line++
					col = 1
					lineStart = true
					continue
				}
			}
		}
		if c == '\n' {
			line++
			col = 1
			lineStart = true
		} else {
			col++
		}
	}
	return nil
}

// heredocStart recognises "<<MARKER\n" or "<<-MARKER\n" at the start of b
// and returns the marker and the length through the newline.
func heredocStart(b []byte) ([]byte, int) {
	if !bytes.HasPrefix(b, []byte("<<")) {
		return nil, 0
	}
	j := 2
	if j < len(b) && b[j] == '-' {
		j++
	}
	k := j
	for k < len(b) && (b[k] == '_' || b[k] >= 'A' && b[k] <= 'Z' || b[k] >= 'a' && b[k] <= 'z' || b[k] >= '0' && b[k] <= '9') {
		k++
	}
	if k == j {
		return nil, 0
	}
	e := k
	if e < len(b) && b[e] == '\r' {
		e++
	}
	if e >= len(b) || b[e] != '\n' {
		return nil, 0
	}
	return b[j:k], e + 1
}
