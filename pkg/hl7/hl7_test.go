package hl7

import (
	"bytes"
	"errors"
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "rewrite the golden files")

var hdr = Header{SendingApp: "WARD", SendingFacility: "ICU", ReceivingApp: "PUMP", ReceivingFacility: "BED7",
	Time: time.Date(2026, 11, 23, 14, 0, 0, 0, time.UTC), ControlID: "MSG00001"}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", "golden", name)
	if *update {
		require.NoError(t, os.WriteFile(path, got, 0o644))
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, string(want), string(got), "golden %s (run with -update to rewrite)", name)
}

func TestBuildersMatchGoldenMessages(t *testing.T) {
	oru := NewORU(hdr, "MRN-1", []Observation{
		{Code: "150456", Text: "MDC_PULS_OXIM_SAT_O2", System: "MDC", Value: "97", Units: "%", Time: hdr.Time},
		{Code: "149530", Text: "MDC_PULS_OXIM_PULS_RATE", System: "MDC", Value: "72", Units: "/min", Time: hdr.Time},
	})
	rgv := NewRGV(hdr, Program{PatientID: "MRN-1", OrderID: "ORD-7", Drug: "heparin 25000 U/250 mL", RateMLH: "8.0", VolumeML: "250"})
	cases := map[string]*Message{
		"oru_r01.hl7":         oru,
		"rgv_o15.hl7":         rgv,
		"rrg_o16_aa.hl7":      NewAck(hdr, rgv, AA, ""),
		"rrg_o16_ar.hl7":      NewAck(hdr, rgv, AR, "RXG-15 is not a rate"),
		"ack_ae.hl7":          NewAck(hdr, oru, AE, "unknown patient"),
		"ack_ar_unparsed.hl7": NewAck(hdr, nil, AR, "does not start with an MSH segment"),
	}
	for name, m := range cases {
		t.Run(name, func(t *testing.T) {
			b := m.Encode()
			golden(t, name, b)
			back, err := Parse(b)
			require.NoError(t, err)
			assert.Equal(t, b, back.Encode(), "encode(parse(encode(m))) is stable")
		})
	}
	p, err := ProgramOf(mustParse(t, rgv.Encode()))
	require.NoError(t, err)
	assert.Equal(t, Program{PatientID: "MRN-1", OrderID: "ORD-7", Drug: "heparin 25000 U/250 mL", RateMLH: "8.0", VolumeML: "250"}, p)
	ack := mustParse(t, NewAck(hdr, rgv, AR, "bad rate").Encode())
	assert.Equal(t, "RRG^O16", ack.Type())
	code, reason := AckCode(ack)
	assert.Equal(t, AR, code)
	assert.Equal(t, "bad rate", reason)
	assert.Equal(t, "MSG00001", ack.Get("MSA-2"))
}

func mustParse(t *testing.T, b []byte) *Message {
	t.Helper()
	m, err := Parse(b)
	require.NoError(t, err)
	return m
}

func TestParseStructureAndEscapes(t *testing.T) {
	raw := "MSH|^~\\&|SND|FAC|||20261123||ORU^R01^ORU_R01|42|P|2.6\r" +
		"PID|1||A1^^^^MR~B2^^^^PI||Doe^Jane\\S\\Q\\F\\x\\E\\y\\T\\z\\R\\w||\r" +
		"OBX|1|ST|code^text|1|a&b^c&d|\\X0D0A\\|\\H\\bold\\N\\\n"
	m := mustParse(t, []byte(raw))
	require.Len(t, m.Segments, 3)
	assert.Equal(t, "ORU^R01", m.Type())
	assert.Equal(t, "42", m.ControlID())
	pid, _ := m.Segment("PID")
	assert.Equal(t, "A1", pid.Field(3).At(1, 1, 1))
	assert.Equal(t, "PI", pid.Field(3).At(2, 5, 1), "second repetition")
	assert.Equal(t, "Jane^Q|x\\y&z~w", pid.Field(5).At(1, 2, 1), "escapes decode to the delimiters")
	obx, _ := m.Segment("OBX")
	assert.Equal(t, "b", obx.Field(5).At(1, 1, 2), "subcomponent")
	assert.Equal(t, "d", obx.Field(5).At(1, 2, 2))
	assert.Equal(t, "\r\n", obx.Field(6).String(), "hex escape")
	assert.Equal(t, "\\H\\bold\\N\\", obx.Field(7).String(), "formatting escapes kept as written")
	assert.Equal(t, "", m.Get("OBX-99"))
	assert.Equal(t, "", m.Get("ZZZ-1"))
	assert.Equal(t, "|", m.Get("MSH-1"))
	assert.Equal(t, "^~\\&", m.Get("MSH-2"))

	// Other delimiters work as declared.
	alt := mustParse(t, []byte("MSH#:*!@#A#B\rPID#1##X:Y*Z:W!S!@q\r"))
	assert.Equal(t, "Y", alt.Get("PID-3.2"))
	p, _ := alt.Segment("PID")
	assert.Equal(t, "Z", p.Field(3).At(2, 1, 1))
	assert.Equal(t, "W:", p.Field(3).At(2, 2, 1), "!S! is the escaped component separator")
	assert.Equal(t, "q", p.Field(3).At(2, 2, 2), "@ separates subcomponents")
	back := mustParse(t, alt.Encode())
	assert.Empty(t, cmp.Diff(alt, back))
}

func TestParseRejectsMalformed(t *testing.T) {
	for name, raw := range map[string]string{
		"empty":               "",
		"no MSH":              "PID|1\r",
		"short MSH":           "MSH|^~\\",
		"duplicate delims":    "MSH|^^\\&|x\r",
		"alnum delimiter":     "MSH|A~\\&|x\r",
		"long encoding":       "MSH|^~\\&#|x\r",
		"bad segment name":    "MSH|^~\\&|x\rpid|1\r",
		"long segment name":   "MSH|^~\\&|x\rPIDX|1\r",
		"second MSH":          "MSH|^~\\&|x\rMSH|^~\\&|y\r",
		"unterminated escape": "MSH|^~\\&|x\rPID|a\\F\r",
		"bad hex escape":      "MSH|^~\\&|x\rPID|\\XZZ\\\r",
		"odd hex escape":      "MSH|^~\\&|x\rPID|\\X0\\\r",
		"too many fields":     "MSH|^~\\&|x\rPID" + strings.Repeat("|", MaxFields+1) + "\r",
		"too many repeats":    "MSH|^~\\&|x\rPID|" + strings.Repeat("~", MaxRepeats) + "\r",
		"too many segments":   "MSH|^~\\&|x\r" + strings.Repeat("NTE|1\r", MaxSegments),
	} {
		t.Run(name, func(t *testing.T) {
			_, err := Parse([]byte(raw))
			assert.ErrorIs(t, err, ErrMalformed)
		})
	}
}

func TestProgramOfRefusesIncompleteOrders(t *testing.T) {
	rgv := NewRGV(hdr, Program{PatientID: "MRN-1", OrderID: "ORD-7", RateMLH: ""})
	_, err := ProgramOf(mustParse(t, rgv.Encode()))
	assert.ErrorIs(t, err, ErrMalformed)
	assert.Contains(t, err.Error(), "RXG-15")
	oru := NewORU(hdr, "MRN-1", nil)
	_, err = ProgramOf(mustParse(t, oru.Encode()))
	assert.ErrorIs(t, err, ErrMalformed)
}

func TestMLLPRoundTrip(t *testing.T) {
	var buf bytes.Buffer
	msgs := [][]byte{NewORU(hdr, "M", nil).Encode(), []byte("MSH|^~\\&|a\r"), bytes.Repeat([]byte("x"), 10000)}
	for _, m := range msgs {
		require.NoError(t, WriteFrame(&buf, m))
		buf.WriteString("\n") // tolerated between frames
	}
	r := NewReader(&buf, 20000)
	for _, m := range msgs {
		got, err := r.ReadFrame()
		require.NoError(t, err)
		assert.Equal(t, m, got)
	}
	_, err := r.ReadFrame()
	assert.ErrorIs(t, err, io.EOF)
}

func TestMLLPRefusesBadFrames(t *testing.T) {
	for name, tc := range map[string]struct {
		in   string
		want error
	}{
		"garbage before frame": {"xx\x0bMSH\x1c\r", ErrFrame},
		"no CR after end":      {"\x0bMSH\x1cX", ErrFrame},
		"nested start":         {"\x0bMS\x0bH\x1c\r", ErrFrame},
		"cut inside":           {"\x0bMSH|", io.ErrUnexpectedEOF},
		"cut after end":        {"\x0bMSH\x1c", io.ErrUnexpectedEOF},
		"over the limit":       {"\x0b" + strings.Repeat("a", 65) + "\x1c\r", ErrTooLarge},
		"never ends":           {"\x0b" + strings.Repeat("a", 100000), ErrTooLarge},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := NewReader(strings.NewReader(tc.in), 64).ReadFrame()
			assert.True(t, errors.Is(err, tc.want), "got %v, want %v", err, tc.want)
		})
	}
	_, err := AppendFrame(nil, []byte("a\x1cb"))
	assert.ErrorIs(t, err, ErrFrame)
	// Exactly at the limit is fine.
	got, err := NewReader(strings.NewReader("\x0b"+strings.Repeat("a", 64)+"\x1c\r"), 64).ReadFrame()
	require.NoError(t, err)
	assert.Len(t, got, 64)
}

func TestIsAck(t *testing.T) {
	for _, tc := range []struct {
		msg  string
		want bool
	}{
		{"MSH|^~\\&|E||P||20261123||ACK^O16^ACK|1|P|2.6\rMSA|AA|C1\r", true},
		{"MSH|^~\\&|E||P||20261123||ACK^A01|1|P|2.6\rMSA|AA|C1\r", true},
		{"MSH|^~\\&|E||P||20261123||ACK|1|P|2.6\rMSA|AA|C1\r", true},
		{"MSH#@~\\&#E##P##20261123##ACK@R01#1#P#2.6\r", true}, // other delimiters
		{"MSH|^~\\&|E||P||20261123||RRG^O16^RRG_O16|1|P|2.6\rMSA|AA|C1\r", false},
		{"MSH|^~\\&|E||P||20261123||RGV^O15^RGV_O15|1|P|2.6\r", false},
		{"MSH|^~\\&|E||P||20261123||ACKX^O16|1|P|2.6\r", false},
		{"MSH|^~\\&|E||P||20261123||O16^ACK|1|P|2.6\r", false},
		{"MSH|^~\\&|E||P||20261123|||1|P|2.6\r", false},
	} {
		m, err := Parse([]byte(tc.msg))
		require.NoError(t, err, tc.msg)
		assert.Equal(t, tc.want, IsAck(m), tc.msg)
	}
	assert.False(t, IsAck(nil))
}
