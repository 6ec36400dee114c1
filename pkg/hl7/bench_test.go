package hl7

import (
	"bufio"
	"bytes"
	"testing"
)

// BenchmarkParse parses an ORU^R01 with ten observations; the ceiling is
// splitting the same bytes on the field separator only (no structure, no
// escapes, no validation).
func BenchmarkParse(b *testing.B) {
	obs := make([]Observation, 10)
	for i := range obs {
		obs[i] = Observation{Code: "150456", Text: "MDC_PULS_OXIM_SAT_O2", System: "MDC", Value: "97", Units: "%", Time: hdr.Time}
	}
	msg := NewORU(hdr, "MRN-1", obs).Encode()
	b.Run("hl7.Parse", func(b *testing.B) {
		b.SetBytes(int64(len(msg)))
		b.ReportAllocs()
		for b.Loop() {
			if _, err := Parse(msg); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("ceiling-split", func(b *testing.B) {
		b.SetBytes(int64(len(msg)))
		b.ReportAllocs()
		for b.Loop() {
			for _, seg := range bytes.Split(msg, []byte{'\r'}) {
				_ = bytes.Split(seg, []byte{'|'})
			}
		}
	})
}

// BenchmarkReadFrame reads 4 KiB frames; the ceiling is bufio's ReadSlice
// on the end block alone (no limit, no checks, no copy).
func BenchmarkReadFrame(b *testing.B) {
	payload := bytes.Repeat([]byte("OBX|1|NM|x^y^MDC||97|%\r"), 4096/24)
	frame, _ := AppendFrame(nil, payload)
	stream := bytes.Repeat(frame, 256)
	b.Run("hl7.Reader", func(b *testing.B) {
		b.SetBytes(int64(len(stream)))
		for b.Loop() {
			r := NewReader(bytes.NewReader(stream), 0)
			for range 256 {
				if _, err := r.ReadFrame(); err != nil {
					b.Fatal(err)
				}
			}
		}
	})
	b.Run("ceiling-bufio", func(b *testing.B) {
		b.SetBytes(int64(len(stream)))
		for b.Loop() {
			r := bufio.NewReaderSize(bytes.NewReader(stream), 8192)
			for range 256 {
				if _, err := r.ReadSlice(EndBlock); err != nil {
					b.Fatal(err)
				}
				if _, err := r.ReadByte(); err != nil {
					b.Fatal(err)
				}
			}
		}
	})
}
