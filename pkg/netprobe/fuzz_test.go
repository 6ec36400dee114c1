package netprobe

import (
	"encoding/binary"
	"testing"
)

// The DICOM decoders never panic and never read past the PDU; whatever
// they accept re-decodes the same.
func FuzzDICOMAnswer(f *testing.F) {
	ac := append(make([]byte, 68), dicomItem(0x21, []byte{1, 0, 0, 0})...)
	f.Add(dicomPDU(dicomPDUAssocAC, ac))
	f.Add(dicomPDU(dicomPDUAssocRJ, []byte{0, 1, 1, 7}))
	f.Add(dicomPDU(dicomPDUAbort, []byte{0, 0, 2, 0}))
	f.Add(cEchoRQ())
	f.Add(associateRQ("A", "B"))
	f.Fuzz(func(t *testing.T, b []byte) {
		a, err := DecodeAssociateAnswer(b)
		if err == nil {
			if a.PDU != dicomPDUAssocAC && a.PDU != dicomPDUAssocRJ && a.PDU != dicomPDUAbort {
				t.Fatalf("accepted PDU type %d", a.PDU)
			}
			if int(binary.BigEndian.Uint32(b[2:6])) != len(b)-6 {
				t.Fatal("accepted a PDU whose length field lies")
			}
		}
		if st, err := DecodeEchoStatus(b); err == nil && (st < 0 || st > 0xffff) {
			t.Fatalf("status %d", st)
		}
	})
}

func FuzzSNMPResponse(f *testing.F) {
	r, _ := agentAnswer(snmpGet(1, "public", 7), "public", "Acme")
	f.Add(r)
	f.Add(snmpGet(0, "public", 1))
	f.Add([]byte{0x30, 0x82, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, b []byte) {
		a, err := DecodeSNMPResponse(b)
		if err != nil {
			return
		}
		for _, c := range []byte(a.SysDescr) {
			if (c < 0x20 || c >= 0x7f) && c != 0xe2 && c != 0x80 && c != 0xa6 { // "…" is the only non-ASCII
				t.Fatalf("unprintable byte %#x in %q", c, a.SysDescr)
			}
		}
	})
}

func FuzzTelnetStrip(f *testing.F) {
	f.Add([]byte{iac, do, 1, 'l', 'o', 'g', 'i', 'n', ':', ' '})
	f.Add([]byte{iac, sb, 24, 1, iac, se, 'x'})
	f.Add([]byte{iac, iac, iac})
	f.Fuzz(func(t *testing.T, b []byte) {
		text, reply := telnetStrip(b)
		if len(text) > len(b) || len(reply) > 3*len(b) {
			t.Fatalf("output larger than input: %d, %d from %d", len(text), len(reply), len(b))
		}
	})
}
