package hl7

import (
	"fmt"
	"strings"
	"time"
)

// Header is what every message's MSH segment carries.
type Header struct {
	SendingApp, SendingFacility     string
	ReceivingApp, ReceivingFacility string
	Time                            time.Time
	ControlID                       string // MSH-10, unique per sender
	Processing                      string // MSH-11: P production, T training, D debugging (default P)
}

// Version is the HL7 version Ward writes in MSH-12.
const Version = "2.6"

const tsLayout = "20060102150405-0700"

func (h Header) msh(code, event, structure string) Segment {
	p := h.Processing
	if p == "" {
		p = "P"
	}
	s := Segment{Name: "MSH"}
	s.Set(0, F("MSH"))
	s.Set(1, F("|"))
	s.Set(2, F(DefaultDelimiters.Encoding()))
	s.Set(3, F(h.SendingApp))
	s.Set(4, F(h.SendingFacility))
	s.Set(5, F(h.ReceivingApp))
	s.Set(6, F(h.ReceivingFacility))
	s.Set(7, F(h.Time.Format(tsLayout)))
	s.Set(9, F(code, event, structure))
	s.Set(10, F(h.ControlID))
	s.Set(11, F(p))
	s.Set(12, F(Version))
	return s
}

func seg(name string, fields map[int]Field) Segment {
	s := Segment{Name: name}
	s.Set(0, F(name))
	for n, f := range fields {
		s.Set(n, f)
	}
	return s
}

// Observation is one OBX result.
type Observation struct {
	Code, Text, System string // OBX-3, e.g. "150456", "MDC_PULS_OXIM_SAT_O2", "MDC"
	Value              string // OBX-5 (numeric, type NM)
	Units              string // OBX-6
	Time               time.Time
}

// NewORU builds an ORU^R01 message: the observations of one patient, as a
// patient monitor sends them.
func NewORU(h Header, patientID string, obs []Observation) *Message {
	m := &Message{Delims: DefaultDelimiters}
	msh := h.msh("ORU", "R01", "ORU_R01")
	m.Segments = append(m.Segments, msh,
		seg("PID", map[int]Field{1: F("1"), 3: F(patientID, "", "", "", "MR")}),
		seg("OBR", map[int]Field{1: F("1"), 4: F("182777000", "monitoring of patient", "SCT"), 7: F(h.Time.Format(tsLayout))}))
	for i, o := range obs {
		m.Segments = append(m.Segments, seg("OBX", map[int]Field{
			1: F(fmt.Sprint(i + 1)), 2: F("NM"), 3: F(o.Code, o.Text, o.System), 5: F(o.Value), 6: F(o.Units),
			11: F("R"), 14: F(o.Time.Format(tsLayout)),
		}))
	}
	return m
}

// Program is an infusion programming order, the content of an RGV^O15.
type Program struct {
	PatientID string
	OrderID   string // ORC-2, placer order number
	Drug      string // RXG-4 text
	RateMLH   string // RXG-15 give rate amount, in mL/h
	VolumeML  string // RXG-5 give amount, in mL (volume to be infused)
}

// NewRGV builds an RGV^O15 pharmacy give message that programs an infusion
// pump (IHE PCD-03 shape, reduced to what Ward's devices use).
func NewRGV(h Header, p Program) *Message {
	msh := h.msh("RGV", "O15", "RGV_O15")
	return &Message{Delims: DefaultDelimiters, Segments: []Segment{
		msh,
		seg("PID", map[int]Field{1: F("1"), 3: F(p.PatientID, "", "", "", "MR")}),
		seg("ORC", map[int]Field{1: F("RE"), 2: F(p.OrderID)}),
		seg("RXG", map[int]Field{1: F("1"), 3: nil, 4: F("", p.Drug), 5: F(p.VolumeML), 7: F("mL"),
			15: F(p.RateMLH), 16: F("mL/h")}),
	}}
}

// ProgramOf reads the order of an RGV^O15. It fails with ErrMalformed when
// the message is not one or lacks the patient, order or rate.
func ProgramOf(m *Message) (Program, error) {
	if m.Type() != "RGV^O15" {
		return Program{}, fmt.Errorf("%w: %q is not RGV^O15", ErrMalformed, m.Type())
	}
	p := Program{PatientID: m.Get("PID-3"), OrderID: m.Get("ORC-2"), Drug: m.Get("RXG-4.2"),
		RateMLH: m.Get("RXG-15"), VolumeML: m.Get("RXG-5")}
	var missing []string
	for name, v := range map[string]string{"PID-3": p.PatientID, "ORC-2": p.OrderID, "RXG-15": p.RateMLH} {
		if v == "" {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		return p, fmt.Errorf("%w: RGV^O15 lacks %s", ErrMalformed, strings.Join(missing, ", "))
	}
	return p, nil
}

// Acknowledgement codes (MSA-1).
const (
	AA = "AA" // accepted
	AE = "AE" // error: understood but not acted on
	AR = "AR" // rejected: malformed or not acceptable
)

// NewAck acknowledges orig with code (AA, AE or AR) and, for errors, a
// reason in ERR. An RGV^O15 is answered with RRG^O16, anything else with
// ACK. orig may be nil when the message did not parse at all. An
// acknowledgement is never acknowledged: check IsAck first.
func NewAck(h Header, orig *Message, code, reason string) *Message {
	event, ctrl := "", ""
	if orig != nil {
		event, ctrl = orig.Get("MSH-9.2"), orig.ControlID()
		if h.ReceivingApp == "" {
			h.ReceivingApp, h.ReceivingFacility = orig.Get("MSH-3"), orig.Get("MSH-4")
		}
	}
	msgCode, ackEvent, structure := "ACK", event, "ACK"
	if orig != nil && orig.Type() == "RGV^O15" {
		msgCode, ackEvent, structure = "RRG", "O16", "RRG_O16"
	}
	msh := h.msh(msgCode, ackEvent, structure)
	m := &Message{Delims: DefaultDelimiters, Segments: []Segment{msh, seg("MSA", map[int]Field{1: F(code), 2: F(ctrl)})}}
	if code != AA {
		sev := "E"
		m.Segments = append(m.Segments, seg("ERR", map[int]Field{3: F("207", "Application internal error", "HL70357"), 4: F(sev), 8: F(reason)}))
	}
	return m
}

// AckCode returns MSA-1 and, for errors, ERR-8 of an acknowledgement.
func AckCode(m *Message) (code, reason string) { return m.Get("MSA-1"), m.Get("ERR-8") }

// IsAck reports whether m is an acknowledgement: message code (MSH-9.1)
// ACK, whatever the trigger event (ACK^O16, ACK^A01, ACK). HL7 v2 never
// acknowledges an acknowledgement; a receiver that did would start an
// endless exchange with a peer doing the same, so check IsAck before
// calling NewAck.
func IsAck(m *Message) bool { return m != nil && m.Get("MSH-9.1") == "ACK" }
