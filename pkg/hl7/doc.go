// Package hl7 reads and writes HL7 v2 messages and their MLLP framing, the
// clinical data feed of infusion pumps and patient monitors.
//
// It is Ward's own code (no HL7 library): an MLLP reader and writer with a
// size limit (Reader, WriteFrame), a parser for the HL7 v2 encoding
// (Parse: MSH encoding characters, fields, repetitions, components,
// subcomponents and escape sequences) with an encoder that round-trips, and
// builders for the messages Ward's devices exchange: ORU^R01 observations,
// RGV^O15 pump programming with its RRG^O16 acknowledgement, and general
// acknowledgements (AA, AE, AR). docs/hl7.md specifies what is accepted.
//
// The parser is strict where sloppiness could change a setting (bad
// delimiters, a segment name that is not three upper-case letters or
// digits, a message over the limits) and returns an error matching
// ErrMalformed; a device then answers AR and changes nothing.
package hl7
