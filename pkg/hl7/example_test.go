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
