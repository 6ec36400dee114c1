package hl7

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// ErrMalformed reports a message that does not parse as HL7 v2 under the
// rules of docs/hl7.md.
var ErrMalformed = errors.New("hl7: malformed message")

// Parser limits: generous for real feeds, small enough that a hostile
// message cannot make the parser allocate without bound.
const (
	MaxSegments = 1000
	MaxFields   = 256 // per segment
	MaxRepeats  = 64  // per field
	MaxParts    = 64  // components per repetition, subcomponents per component
)

// Delimiters are a message's encoding characters, declared in MSH-1 and
// MSH-2.
type Delimiters struct {
	Field, Component, Repetition, Escape, Subcomponent byte
}

// DefaultDelimiters are the usual |^~\&.
var DefaultDelimiters = Delimiters{Field: '|', Component: '^', Repetition: '~', Escape: '\\', Subcomponent: '&'}

// Encoding returns MSH-2 for d.
func (d Delimiters) Encoding() string {
	return string([]byte{d.Component, d.Repetition, d.Escape, d.Subcomponent})
}

func (d Delimiters) valid() error {
	set := []byte{d.Field, d.Component, d.Repetition, d.Escape, d.Subcomponent}
	for i, c := range set {
		if c < 0x21 || c > 0x7e || (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') {
			return fmt.Errorf("%w: delimiter %q is not a printable punctuation character", ErrMalformed, c)
		}
		if bytes.IndexByte(set[i+1:], c) >= 0 {
			return fmt.Errorf("%w: delimiter %q used twice", ErrMalformed, c)
		}
	}
	return nil
}

// A Field is a list of repetitions; a repetition a list of components; a
// component a list of subcomponents, each an unescaped string. The empty
// field is nil.
type (
	Field      []Repetition
	Repetition []Component
	Component  []string
)

// F makes a field of one repetition of plain components (no
// subcomponents): F("ORU", "R01", "ORU_R01").
func F(components ...string) Field {
	rep := make(Repetition, len(components))
	for i, c := range components {
		rep[i] = Component{c}
	}
	return Field{rep}
}

// String returns the field's first value (repetition 1, component 1,
// subcomponent 1).
func (f Field) String() string { return f.At(1, 1, 1) }

// At returns repetition r, component c, subcomponent s (all from 1), or ""
// when absent.
func (f Field) At(r, c, s int) string {
	if r < 1 || r > len(f) || c < 1 || c > len(f[r-1]) || s < 1 || s > len(f[r-1][c-1]) {
		return ""
	}
	return f[r-1][c-1][s-1]
}

// Segment is one segment. Fields[0] holds the segment name; Fields[i] is
// field i as HL7 numbers them. In MSH, Fields[1] is the field separator and
// Fields[2] the encoding characters, both as plain text.
type Segment struct {
	Name   string
	Fields []Field
}

// Field returns field n (from 1), nil when absent.
func (s Segment) Field(n int) Field {
	if n < 1 || n >= len(s.Fields) {
		return nil
	}
	return s.Fields[n]
}

// Set sets field n (from 1), growing the segment as needed.
func (s *Segment) Set(n int, f Field) {
	for len(s.Fields) <= n {
		s.Fields = append(s.Fields, nil)
	}
	s.Fields[n] = f
}

// Message is a parsed HL7 v2 message.
type Message struct {
	Delims   Delimiters
	Segments []Segment
}

// Segment returns the first segment named name.
func (m *Message) Segment(name string) (Segment, bool) {
	for _, s := range m.Segments {
		if s.Name == name {
			return s, true
		}
	}
	return Segment{}, false
}

// All returns every segment named name, in order.
func (m *Message) All(name string) []Segment {
	var out []Segment
	for _, s := range m.Segments {
		if s.Name == name {
			out = append(out, s)
		}
	}
	return out
}

// Get returns the value at a terse path "SEG-F[.C[.S]]" in the first
// segment named SEG, first repetition: "MSH-9.1", "PID-3", "RXG-15".
// It returns "" when the path or the value is absent.
func (m *Message) Get(path string) string {
	name, rest, ok := strings.Cut(path, "-")
	if !ok {
		return ""
	}
	parts := strings.Split(rest, ".")
	idx := []int{0, 1, 1}
	for i, p := range parts {
		if i > 2 {
			return ""
		}
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 {
			return ""
		}
		idx[i] = n
	}
	s, ok := m.Segment(name)
	if !ok {
		return ""
	}
	return s.Field(idx[0]).At(1, idx[1], idx[2])
}

// Type is MSH-9 as "ORU^R01" (message code and trigger event).
func (m *Message) Type() string {
	code, event := m.Get("MSH-9.1"), m.Get("MSH-9.2")
	if event == "" {
		return code
	}
	return code + "^" + event
}

// ControlID is MSH-10, the message control id an acknowledgement echoes.
func (m *Message) ControlID() string { return m.Get("MSH-10") }

// Parse parses one HL7 v2 message (an MLLP frame's payload). Segments end
// with a carriage return; a line feed or CR LF is accepted too. The first
// segment must be MSH.
func Parse(b []byte) (*Message, error) {
	if len(b) < 8 || string(b[:3]) != "MSH" {
		return nil, fmt.Errorf("%w: does not start with an MSH segment", ErrMalformed)
	}
	d := Delimiters{Field: b[3], Component: b[4], Repetition: b[5], Escape: b[6], Subcomponent: b[7]}
	if err := d.valid(); err != nil {
		return nil, err
	}
	if len(b) > 8 && b[8] != d.Field && b[8] != '\r' && b[8] != '\n' {
		return nil, fmt.Errorf("%w: MSH-2 holds more than four encoding characters", ErrMalformed)
	}
	m := &Message{Delims: d}
	// One conversion: every value is a substring of it unless it holds
	// escapes, so parsing allocates the structure, not the text.
	lines := splitSegments(string(b))
	if len(lines) > MaxSegments {
		return nil, fmt.Errorf("%w: over %d segments", ErrMalformed, MaxSegments)
	}
	for i, line := range lines {
		s, err := parseSegment(line, d, i == 0)
		if err != nil {
			return nil, fmt.Errorf("%w (segment %d)", err, i+1)
		}
		m.Segments = append(m.Segments, s)
	}
	return m, nil
}

// splitSegments splits on CR, LF or CR LF and drops empty lines.
func splitSegments(b string) []string {
	var out []string
	for len(b) > 0 {
		i := strings.IndexAny(b, "\r\n")
		line := b
		if i >= 0 {
			line, b = b[:i], b[i+1:]
		} else {
			b = ""
		}
		if len(line) > 0 {
			out = append(out, line)
		}
	}
	return out
}

func validName(n string) bool {
	if len(n) != 3 {
		return false
	}
	for _, c := range []byte(n) {
		if (c < 'A' || c > 'Z') && (c < '0' || c > '9') {
			return false
		}
	}
	return n[0] >= 'A' && n[0] <= 'Z'
}

func parseSegment(line string, d Delimiters, first bool) (Segment, error) {
	if strings.Count(line, string(d.Field)) >= MaxFields {
		return Segment{}, fmt.Errorf("%w: %s has over %d fields", ErrMalformed, clip(line[:min(3, len(line))]), MaxFields)
	}
	raw := strings.Split(line, string(d.Field))
	if !validName(raw[0]) {
		return Segment{}, fmt.Errorf("%w: segment name %q", ErrMalformed, clip(raw[0]))
	}
	name := raw[0]
	if name == "MSH" && !first {
		return Segment{}, fmt.Errorf("%w: a second MSH segment", ErrMalformed)
	}
	if len(raw) > MaxFields {
		return Segment{}, fmt.Errorf("%w: %s has over %d fields", ErrMalformed, name, MaxFields)
	}
	s := Segment{Name: name, Fields: make([]Field, 1, len(raw)+1)}
	s.Fields[0] = F(name)
	fields := raw[1:]
	if name == "MSH" {
		// MSH-1 is the separator itself and MSH-2 the encoding characters:
		// neither is split.
		s.Fields = append(s.Fields, F(string(d.Field)), F(d.Encoding()))
		fields = fields[1:]
	}
	for _, rf := range fields {
		f, err := parseField(rf, d)
		if err != nil {
			return Segment{}, fmt.Errorf("%w in %s-%d", err, name, len(s.Fields))
		}
		s.Fields = append(s.Fields, f)
	}
	return s, nil
}

// plain is a field of one value, allocated at once.
type plain struct {
	c [1]string
	r [1]Component
	f [1]Repetition
}

func parseField(b string, d Delimiters) (Field, error) {
	if len(b) == 0 {
		return nil, nil
	}
	if strings.IndexByte(b, d.Repetition) < 0 && strings.IndexByte(b, d.Component) < 0 && strings.IndexByte(b, d.Subcomponent) < 0 {
		// Most fields hold one plain value: skip the three splits.
		v, err := unescape(b, d)
		if err != nil {
			return nil, err
		}
		p := &plain{}
		p.c[0] = v
		p.r[0] = p.c[:]
		p.f[0] = p.r[:]
		return p.f[:], nil
	}
	if strings.Count(b, string(d.Repetition)) >= MaxRepeats {
		return nil, fmt.Errorf("%w: over %d repetitions", ErrMalformed, MaxRepeats)
	}
	reps := strings.Split(b, string(d.Repetition))
	if len(reps) > MaxRepeats {
		return nil, fmt.Errorf("%w: over %d repetitions", ErrMalformed, MaxRepeats)
	}
	f := make(Field, 0, len(reps))
	for _, r := range reps {
		if strings.Count(r, string(d.Component)) >= MaxParts {
			return nil, fmt.Errorf("%w: over %d components", ErrMalformed, MaxParts)
		}
		comps := strings.Split(r, string(d.Component))
		if len(comps) > MaxParts {
			return nil, fmt.Errorf("%w: over %d components", ErrMalformed, MaxParts)
		}
		rep := make(Repetition, 0, len(comps))
		for _, c := range comps {
			if strings.Count(c, string(d.Subcomponent)) >= MaxParts {
				return nil, fmt.Errorf("%w: over %d subcomponents", ErrMalformed, MaxParts)
			}
			subs := strings.Split(c, string(d.Subcomponent))
			if len(subs) > MaxParts {
				return nil, fmt.Errorf("%w: over %d subcomponents", ErrMalformed, MaxParts)
			}
			comp := make(Component, 0, len(subs))
			for _, sc := range subs {
				v, err := unescape(sc, d)
				if err != nil {
					return nil, err
				}
				comp = append(comp, v)
			}
			rep = append(rep, comp)
		}
		f = append(f, rep)
	}
	return f, nil
}

// unescape decodes \F\ \S\ \T\ \R\ \E\ and \Xhh..\; other escapes
// (formatting such as \H\ or \.br\) are kept as written.
func unescape(b string, d Delimiters) (string, error) {
	if strings.IndexByte(b, d.Escape) < 0 {
		return b, nil
	}
	var out strings.Builder
	for i := 0; i < len(b); i++ {
		c := b[i]
		if c != d.Escape {
			out.WriteByte(c)
			continue
		}
		end := strings.IndexByte(b[i+1:], d.Escape)
		if end < 0 {
			return "", fmt.Errorf("%w: unterminated escape sequence", ErrMalformed)
		}
		seq := b[i+1 : i+1+end]
		switch {
		case string(seq) == "F":
			out.WriteByte(d.Field)
		case string(seq) == "S":
			out.WriteByte(d.Component)
		case string(seq) == "T":
			out.WriteByte(d.Subcomponent)
		case string(seq) == "R":
			out.WriteByte(d.Repetition)
		case string(seq) == "E":
			out.WriteByte(d.Escape)
		case len(seq) > 1 && seq[0] == 'X':
			h := seq[1:]
			if len(h)%2 != 0 {
				return "", fmt.Errorf("%w: odd-length hex escape", ErrMalformed)
			}
			for j := 0; j < len(h); j += 2 {
				v, err := strconv.ParseUint(string(h[j:j+2]), 16, 8)
				if err != nil {
					return "", fmt.Errorf("%w: bad hex escape", ErrMalformed)
				}
				out.WriteByte(byte(v))
			}
		default:
			out.WriteByte(d.Escape)
			out.WriteString(seq)
			out.WriteByte(d.Escape)
		}
		i += end + 1
	}
	return out.String(), nil
}

// escape is unescape's inverse for the delimiters and for bytes that would
// end a segment or a frame (written as \Xhh\).
func escape(s string, d Delimiters) string {
	if !strings.ContainsAny(s, string([]byte{d.Field, d.Component, d.Repetition, d.Escape, d.Subcomponent, '\r', '\n', StartBlock, EndBlock})) {
		return s
	}
	var out strings.Builder
	e := string(d.Escape)
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case d.Field:
			out.WriteString(e + "F" + e)
		case d.Component:
			out.WriteString(e + "S" + e)
		case d.Subcomponent:
			out.WriteString(e + "T" + e)
		case d.Repetition:
			out.WriteString(e + "R" + e)
		case d.Escape:
			out.WriteString(e + "E" + e)
		case '\r', '\n', StartBlock, EndBlock:
			fmt.Fprintf(&out, "%sX%02X%s", e, c, e)
		default:
			out.WriteByte(c)
		}
	}
	return out.String()
}

// Encode writes the message in HL7 v2 encoding, segments ended by carriage
// returns. Parse(m.Encode()) gives back m (up to trailing empty parts).
func (m *Message) Encode() []byte {
	d := m.Delims
	if d == (Delimiters{}) {
		d = DefaultDelimiters
	}
	var b bytes.Buffer
	for _, s := range m.Segments {
		b.WriteString(s.Name)
		start := 1
		if s.Name == "MSH" {
			b.WriteByte(d.Field)
			b.WriteString(d.Encoding())
			start = 3
		}
		for i := start; i < len(s.Fields); i++ {
			b.WriteByte(d.Field)
			writeField(&b, s.Fields[i], d)
		}
		b.WriteByte('\r')
	}
	return b.Bytes()
}

func writeField(b *bytes.Buffer, f Field, d Delimiters) {
	for ri, r := range f {
		if ri > 0 {
			b.WriteByte(d.Repetition)
		}
		for ci, c := range r {
			if ci > 0 {
				b.WriteByte(d.Component)
			}
			for si, sc := range c {
				if si > 0 {
					b.WriteByte(d.Subcomponent)
				}
				b.WriteString(escape(sc, d))
			}
		}
	}
}

func clip(b string) string {
	if len(b) > 16 {
		return b[:16] + "…"
	}
	return b
}
