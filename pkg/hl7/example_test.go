package hl7_test

import (
	"bytes"
	"fmt"
	"time"

	"github.com/wardsec/ward/pkg/hl7"
)

// An interface engine programs a pump; the pump reads the order and
// acknowledges it, both over MLLP.
func Example() {
	h := hl7.Header{SendingApp: "ENGINE", SendingFacility: "ICU", Time: time.Date(2026, 11, 23, 14, 0, 0, 0, time.UTC), ControlID: "42"}
	order := hl7.NewRGV(h, hl7.Program{PatientID: "MRN-1", OrderID: "ORD-7", Drug: "saline", RateMLH: "125"})

	var wire bytes.Buffer
	_ = hl7.WriteFrame(&wire, order.Encode())

	frame, _ := hl7.NewReader(&wire, 0).ReadFrame()
	m, err := hl7.Parse(frame)
	if err != nil {
		panic(err)
	}
	p, _ := hl7.ProgramOf(m)
	fmt.Println(m.Type(), p.PatientID, p.RateMLH, "mL/h")

	ack := hl7.NewAck(hl7.Header{SendingApp: "PUMP", Time: h.Time, ControlID: "A1"}, m, hl7.AA, "")
	code, _ := hl7.AckCode(ack)
	fmt.Println(ack.Type(), code, ack.Get("MSA-2"))

	_, err = hl7.Parse([]byte("MSH|^^\\&|bad"))
	fmt.Println(err)
	// Output:
	// RGV^O15 MRN-1 125 mL/h
	// RRG^O16 AA 42
	// hl7: malformed message: delimiter '^' used twice
}

// A receive loop answers every message but an acknowledgement.
func ExampleIsAck() {
	for _, in := range []string{
		"MSH|^~\\&|ENGINE|ICU|PUMP||20261123140000||RGV^O15^RGV_O15|42|P|2.6\r",
		"MSH|^~\\&|ENGINE|ICU|PUMP||20261123140000||ACK^O16^ACK|43|P|2.6\rMSA|AA|A1\r",
	} {
		m, err := hl7.Parse([]byte(in))
		if err != nil {
			panic(err)
		}
		if hl7.IsAck(m) {
			fmt.Println(m.Type(), "-> no answer")
			continue
		}
		ack := hl7.NewAck(hl7.Header{SendingApp: "PUMP", ControlID: "A2"}, m, hl7.AA, "")
		fmt.Println(m.Type(), "->", ack.Type())
	}
	// Output:
	// RGV^O15 -> RRG^O16
	// ACK^O16 -> no answer
}
