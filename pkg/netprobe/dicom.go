package netprobe

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// DICOM upper layer (PS3.8 section 9): just enough to ask for an
// association for the Verification service and send one C-ECHO.

// DICOM UIDs the probe uses.
const (
	dicomAppContext    = "1.2.840.10008.3.1.1.1"
	dicomVerification  = "1.2.840.10008.1.1"
	dicomImplicitLE    = "1.2.840.10008.1.2"
	dicomImplClassUID  = "1.2.826.0.1.3680043.10.1394.1" // identifies the probe; any root works for a probe
	dicomMaxPDU        = 64 << 10
	dicomPDUAssocRQ    = 0x01
	dicomPDUAssocAC    = 0x02
	dicomPDUAssocRJ    = 0x03
	dicomPDUData       = 0x04
	dicomPDUReleaseRQ  = 0x05
	dicomPDUReleaseRP  = 0x06
	dicomPDUAbort      = 0x07
	dicomCEchoRQ       = 0x0030
	dicomCEchoRSP      = 0x8030
	dicomNoDataSet     = 0x0101
	dicomProbeCalledAE = "WARD-UNKNOWN-SCP"
	dicomProbeCallerAE = "WARD-UNKNOWN-SCU"
)

// ErrPDU reports a DICOM PDU that does not decode.
var ErrPDU = errors.New("netprobe: malformed DICOM PDU")

func aeTitle(s string) []byte {
	b := []byte(fmt.Sprintf("%-16s", s))
	return b[:16]
}

func dicomItem(typ byte, body []byte) []byte {
	out := []byte{typ, 0}
	out = binary.BigEndian.AppendUint16(out, uint16(len(body)))
	return append(out, body...)
}

func dicomPDU(typ byte, body []byte) []byte {
	out := []byte{typ, 0}
	out = binary.BigEndian.AppendUint32(out, uint32(len(body)))
	return append(out, body...)
}

// associateRQ builds an A-ASSOCIATE-RQ for the Verification SOP class
// from calling to called.
func associateRQ(called, calling string) []byte {
	var b []byte
	b = binary.BigEndian.AppendUint16(b, 1) // protocol version
	b = append(b, 0, 0)
	b = append(b, aeTitle(called)...)
	b = append(b, aeTitle(calling)...)
	b = append(b, make([]byte, 32)...)
	b = append(b, dicomItem(0x10, []byte(dicomAppContext))...)
	pc := []byte{1, 0, 0, 0} // presentation context id 1
	pc = append(pc, dicomItem(0x30, []byte(dicomVerification))...)
	pc = append(pc, dicomItem(0x40, []byte(dicomImplicitLE))...)
	b = append(b, dicomItem(0x20, pc)...)
	ui := dicomItem(0x51, binary.BigEndian.AppendUint32(nil, 16384))
	ui = append(ui, dicomItem(0x52, []byte(dicomImplClassUID))...)
	b = append(b, dicomItem(0x50, ui)...)
	return dicomPDU(dicomPDUAssocRQ, b)
}

// element appends one implicit-VR little-endian data element.
func element(b []byte, group, elem uint16, val []byte) []byte {
	if len(val)%2 == 1 {
		val = append(val, 0)
	}
	b = binary.LittleEndian.AppendUint16(b, group)
	b = binary.LittleEndian.AppendUint16(b, elem)
	b = binary.LittleEndian.AppendUint32(b, uint32(len(val)))
	return append(b, val...)
}

// cEchoRQ is a P-DATA-TF carrying a C-ECHO-RQ command on presentation
// context 1.
func cEchoRQ() []byte {
	var cmd []byte
	cmd = element(cmd, 0, 0x0002, []byte(dicomVerification))
	cmd = element(cmd, 0, 0x0100, binary.LittleEndian.AppendUint16(nil, dicomCEchoRQ))
	cmd = element(cmd, 0, 0x0110, binary.LittleEndian.AppendUint16(nil, 1))
	cmd = element(cmd, 0, 0x0800, binary.LittleEndian.AppendUint16(nil, dicomNoDataSet))
	full := element(nil, 0, 0x0000, binary.LittleEndian.AppendUint32(nil, uint32(len(cmd))))
	full = append(full, cmd...)
	pdv := binary.BigEndian.AppendUint32(nil, uint32(len(full)+2))
	pdv = append(pdv, 1, 0x03) // context 1; command, last fragment
	pdv = append(pdv, full...)
	return dicomPDU(dicomPDUData, pdv)
}

func releaseRQ() []byte { return dicomPDU(dicomPDUReleaseRQ, make([]byte, 4)) }

// DICOMAnswer is what a DICOM service answered to an association request.
type DICOMAnswer struct {
	// PDU is the type of the answer: 2 accepted, 3 rejected, 7 aborted.
	PDU byte
	// ContextAccepted reports whether the Verification presentation
	// context was accepted (A-ASSOCIATE-AC only).
	ContextAccepted bool
	// Result, Source and Reason are the A-ASSOCIATE-RJ fields.
	Result, Source, Reason byte
	// EchoStatus is the C-ECHO-RSP status (0 success), -1 when none came.
	EchoStatus int
}

// decodeHeader reads a PDU header and returns its type and body length.
func decodeHeader(h []byte) (byte, int, error) {
	if len(h) < 6 {
		return 0, 0, fmt.Errorf("%w: short header", ErrPDU)
	}
	n := binary.BigEndian.Uint32(h[2:6])
	if n > dicomMaxPDU {
		return 0, 0, fmt.Errorf("%w: length %d over %d", ErrPDU, n, dicomMaxPDU)
	}
	switch h[0] {
	case dicomPDUAssocRQ, dicomPDUAssocAC, dicomPDUAssocRJ, dicomPDUData, dicomPDUReleaseRQ, dicomPDUReleaseRP, dicomPDUAbort:
	default:
		return 0, 0, fmt.Errorf("%w: unknown type 0x%02x", ErrPDU, h[0])
	}
	return h[0], int(n), nil
}

// DecodeAssociateAnswer decodes a whole PDU (header and body) sent in
// answer to an A-ASSOCIATE-RQ.
func DecodeAssociateAnswer(pdu []byte) (DICOMAnswer, error) {
	a := DICOMAnswer{EchoStatus: -1}
	typ, n, err := decodeHeader(pdu)
	if err != nil {
		return a, err
	}
	body := pdu[6:]
	if len(body) != n {
		return a, fmt.Errorf("%w: body %d bytes, header says %d", ErrPDU, len(body), n)
	}
	a.PDU = typ
	switch typ {
	case dicomPDUAssocRJ, dicomPDUAbort:
		if len(body) < 4 {
			return a, fmt.Errorf("%w: short reject", ErrPDU)
		}
		a.Result, a.Source, a.Reason = body[1], body[2], body[3]
		return a, nil
	case dicomPDUAssocAC:
	default:
		return a, fmt.Errorf("%w: type 0x%02x is no answer to an association request", ErrPDU, typ)
	}
	if len(body) < 68 {
		return a, fmt.Errorf("%w: short A-ASSOCIATE-AC", ErrPDU)
	}
	items := body[68:]
	for len(items) > 0 {
		if len(items) < 4 {
			return a, fmt.Errorf("%w: truncated item", ErrPDU)
		}
		it, l := items[0], int(binary.BigEndian.Uint16(items[2:4]))
		if len(items) < 4+l {
			return a, fmt.Errorf("%w: item 0x%02x runs past the PDU", ErrPDU, it)
		}
		val := items[4 : 4+l]
		if it == 0x21 && len(val) >= 4 && val[0] == 1 && val[2] == 0 {
			a.ContextAccepted = true
		}
		items = items[4+l:]
	}
	return a, nil
}

// DecodeEchoStatus decodes a P-DATA-TF PDU carrying a C-ECHO-RSP and
// returns its status.
func DecodeEchoStatus(pdu []byte) (int, error) {
	typ, n, err := decodeHeader(pdu)
	if err != nil {
		return -1, err
	}
	if typ != dicomPDUData || len(pdu)-6 != n {
		return -1, fmt.Errorf("%w: not a whole P-DATA-TF", ErrPDU)
	}
	body := pdu[6:]
	if len(body) < 6 {
		return -1, fmt.Errorf("%w: short PDV", ErrPDU)
	}
	l := int(binary.BigEndian.Uint32(body[:4]))
	if l < 2 || l > len(body)-4 {
		return -1, fmt.Errorf("%w: PDV length %d", ErrPDU, l)
	}
	if body[5]&0x01 == 0 {
		return -1, fmt.Errorf("%w: PDV is not a command", ErrPDU)
	}
	cmd := body[6 : 4+l]
	field, status := -1, -1
	for len(cmd) >= 8 {
		g, e := binary.LittleEndian.Uint16(cmd[0:2]), binary.LittleEndian.Uint16(cmd[2:4])
		vl := binary.LittleEndian.Uint32(cmd[4:8])
		if uint64(vl) > uint64(len(cmd)-8) {
			return -1, fmt.Errorf("%w: element (%04x,%04x) runs past the PDV", ErrPDU, g, e)
		}
		val := cmd[8 : 8+vl]
		if g == 0 && vl == 2 {
			switch e {
			case 0x0100:
				field = int(binary.LittleEndian.Uint16(val))
			case 0x0900:
				status = int(binary.LittleEndian.Uint16(val))
			}
		}
		cmd = cmd[8+vl:]
	}
	if field != dicomCEchoRSP || status < 0 {
		return -1, fmt.Errorf("%w: no C-ECHO-RSP status", ErrPDU)
	}
	return status, nil
}
