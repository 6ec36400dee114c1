package hl7

import (
	"bytes"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// FuzzParse: any input either fails with ErrMalformed or parses into a
// message that re-encodes to something that parses back to the same
// message (no panic, no loss, no drift).
func FuzzParse(f *testing.F) {
	f.Add([]byte("MSH|^~\\&|SND|FAC|||20261123||RGV^O15^RGV_O15|1|P|2.6\rPID|1||MRN-1^^^^MR\rRXG|1||||||||||||||8.0|mL/h\r"))
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := Parse(b)
		if err != nil {
			return
		}
		enc := m.Encode()
		back, err := Parse(enc)
		if err != nil {
			t.Fatalf("re-encoded message does not parse: %v\n%q\n%q", err, b, enc)
		}
		if d := cmp.Diff(m, back); d != "" {
			t.Fatalf("round trip changed the message:\n%s", d)
		}
		if !bytes.Equal(back.Encode(), enc) {
			t.Fatal("encoding is not stable")
		}
		_, _ = ProgramOf(m)
	})
}

// FuzzReadFrame: the MLLP reader never panics, never returns more than its
// limit, and every frame it returns re-frames to bytes it reads back.
func FuzzReadFrame(f *testing.F) {
	f.Add([]byte("\x0bMSH|^~\\&|a\r\x1c\r"))
	f.Fuzz(func(t *testing.T, b []byte) {
		r := NewReader(bytes.NewReader(b), 256)
		for range 100 {
			p, err := r.ReadFrame()
			if err != nil {
				return
			}
			if len(p) > 256 {
				t.Fatalf("frame of %d bytes over the limit", len(p))
			}
			fr, err := AppendFrame(nil, p)
			if err != nil {
				t.Fatalf("a frame read holds framing bytes: %q", p)
			}
			again, err := NewReader(bytes.NewReader(fr), 256).ReadFrame()
			if err != nil || !bytes.Equal(again, p) {
				t.Fatalf("re-framed payload reads back as %q, %v", again, err)
			}
		}
	})
}
