package netprobe

import (
	"context"
	"errors"
	"fmt"
	"net"
	"time"
)

// SNMP v1/v2c (RFC 1157, RFC 3416) GET of sysDescr.0, in hand-written BER:
// one request and a decoder for the one answer it can get.

// ErrSNMP reports an SNMP message that does not decode.
var ErrSNMP = errors.New("netprobe: malformed SNMP message")

// sysDescr0 is the BER body of OID 1.3.6.1.2.1.1.1.0.
var sysDescr0 = []byte{0x2b, 6, 1, 2, 1, 1, 1, 0}

func tlv(tag byte, body []byte) []byte {
	n := len(body)
	switch {
	case n < 0x80:
		return append([]byte{tag, byte(n)}, body...)
	case n < 0x100:
		return append([]byte{tag, 0x81, byte(n)}, body...)
	default:
		return append([]byte{tag, 0x82, byte(n >> 8), byte(n)}, body...)
	}
}

func berInt(v int) []byte {
	// Non-negative values under 2^31 only: all the probe sends.
	b := []byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)}
	for len(b) > 1 && b[0] == 0 && b[1] < 0x80 {
		b = b[1:]
	}
	return tlv(0x02, b)
}

// snmpGet builds a GetRequest for sysDescr.0. version is 0 (v1) or 1 (v2c).
func snmpGet(version int, community string, reqID int) []byte {
	vb := tlv(0x30, append(tlv(0x06, sysDescr0), 0x05, 0x00))
	pdu := append(berInt(reqID), berInt(0)...)
	pdu = append(pdu, berInt(0)...)
	pdu = append(pdu, tlv(0x30, vb)...)
	msg := append(berInt(version), tlv(0x04, []byte(community))...)
	msg = append(msg, tlv(0xa0, pdu)...)
	return tlv(0x30, msg)
}

// readTLV splits one BER element off b.
func readTLV(b []byte) (tag byte, val, rest []byte, err error) {
	if len(b) < 2 {
		return 0, nil, nil, fmt.Errorf("%w: truncated", ErrSNMP)
	}
	tag, l, hdr := b[0], int(b[1]), 2
	if l&0x80 != 0 {
		k := l & 0x7f
		if k == 0 || k > 2 || len(b) < 2+k {
			return 0, nil, nil, fmt.Errorf("%w: length form", ErrSNMP)
		}
		l = 0
		for _, c := range b[2 : 2+k] {
			l = l<<8 | int(c)
		}
		hdr += k
	}
	if l > len(b)-hdr {
		return 0, nil, nil, fmt.Errorf("%w: element runs past the message", ErrSNMP)
	}
	return tag, b[hdr : hdr+l], b[hdr+l:], nil
}

func berIntVal(b []byte) (int, error) {
	if len(b) == 0 || len(b) > 4 {
		return 0, fmt.Errorf("%w: integer of %d bytes", ErrSNMP, len(b))
	}
	v := int(int8(b[0]))
	for _, c := range b[1:] {
		v = v<<8 | int(c)
	}
	return v, nil
}

// SNMPAnswer is a decoded GetResponse.
type SNMPAnswer struct {
	RequestID   int
	ErrorStatus int
	// SysDescr is the printable form of the value returned, if any.
	SysDescr string
}

// DecodeSNMPResponse decodes a GetResponse message.
func DecodeSNMPResponse(msg []byte) (SNMPAnswer, error) {
	var a SNMPAnswer
	tag, body, _, err := readTLV(msg)
	if err != nil || tag != 0x30 {
		return a, fmt.Errorf("%w: not a sequence", ErrSNMP)
	}
	fields := make([][]byte, 0, 3)
	tags := make([]byte, 0, 3)
	for len(body) > 0 && len(fields) < 3 {
		t, v, rest, err := readTLV(body)
		if err != nil {
			return a, err
		}
		tags, fields, body = append(tags, t), append(fields, v), rest
	}
	if len(fields) != 3 || tags[0] != 0x02 || tags[1] != 0x04 || tags[2] != 0xa2 {
		return a, fmt.Errorf("%w: not a GetResponse", ErrSNMP)
	}
	pdu := fields[2]
	ints := make([]int, 0, 3)
	for range 3 {
		t, v, rest, err := readTLV(pdu)
		if err != nil || t != 0x02 {
			return a, fmt.Errorf("%w: PDU header", ErrSNMP)
		}
		n, err := berIntVal(v)
		if err != nil {
			return a, err
		}
		ints, pdu = append(ints, n), rest
	}
	a.RequestID, a.ErrorStatus = ints[0], ints[1]
	t, vbl, _, err := readTLV(pdu)
	if err != nil || t != 0x30 {
		return a, fmt.Errorf("%w: varbind list", ErrSNMP)
	}
	if len(vbl) == 0 {
		return a, nil
	}
	t, vb, _, err := readTLV(vbl)
	if err != nil || t != 0x30 {
		return a, fmt.Errorf("%w: varbind", ErrSNMP)
	}
	t, _, rest, err := readTLV(vb)
	if err != nil || t != 0x06 {
		return a, fmt.Errorf("%w: varbind name", ErrSNMP)
	}
	t, val, _, err := readTLV(rest)
	if err != nil {
		return a, err
	}
	if t == 0x04 {
		a.SysDescr = printable(val, maxBanner)
	}
	return a, nil
}

// SNMPResult is what an SNMP probe of one UDP port learned.
type SNMPResult struct {
	Port int `json:"port"`
	// Answered lists the versions ("v1", "v2c") that answered the
	// community "public" with a value.
	Answered []string `json:"answered"`
	SysDescr string   `json:"sys_descr,omitempty"`
}

// ProbeSNMP asks addr (host:port, UDP) for sysDescr.0 with community
// "public", in v1 and in v2c.
func ProbeSNMP(ctx context.Context, addr string, timeout time.Duration) (SNMPResult, error) {
	var r SNMPResult
	_, port, _ := net.SplitHostPort(addr)
	fmt.Sscan(port, &r.Port)
	for i, v := range []string{"v1", "v2c"} {
		d := net.Dialer{Timeout: timeout}
		c, err := d.DialContext(ctx, "udp", addr)
		if err != nil {
			return r, err
		}
		id := 0x5752 + i
		_ = c.SetDeadline(time.Now().Add(timeout))
		if _, err := c.Write(snmpGet(i, "public", id)); err != nil {
			c.Close()
			continue
		}
		buf := make([]byte, 4096)
		n, err := c.Read(buf)
		c.Close()
		if err != nil {
			continue
		}
		a, err := DecodeSNMPResponse(buf[:n])
		if err != nil || a.RequestID != id || a.ErrorStatus != 0 {
			continue
		}
		r.Answered = append(r.Answered, v)
		if r.SysDescr == "" {
			r.SysDescr = a.SysDescr
		}
	}
	return r, nil
}
