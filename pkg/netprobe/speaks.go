package netprobe

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"strconv"
	"syscall"
	"time"
)

// TLSAnswer is what a service did with a TLS ClientHello.
type TLSAnswer int

const (
	// TLSSilent: the service said nothing either way (it closed the
	// connection or stayed silent): nothing can be concluded.
	TLSSilent TLSAnswer = iota
	// TLSSpoken: it answered with a TLS record (a ServerHello or an alert).
	TLSSpoken
	// TLSNotSpoken: it answered with bytes that are not TLS, or reset the
	// connection before answering (see ResetNotTLS).
	TLSNotSpoken
	// TLSUnreachable: no TCP connection.
	TLSUnreachable
)

// ResetNotTLS is why a reset means "not TLS": a TLS server reads the whole
// ClientHello record before it answers or refuses, so a connection reset
// before any answer means the service dropped a ClientHello it did not
// read (DICOM and MQTT servers do, on a first byte they do not know).
const ResetNotTLS = "reset the connection on a TLS ClientHello without reading it, as no TLS server does"

// SpeaksTLS offers a modern TLS handshake to addr and says, from the bytes
// that come back, whether the service speaks TLS, with what it saw in
// words (device bytes quoted and escaped). The handshake verifies nothing
// and nothing is sent over it: it only observes.
func SpeaksTLS(ctx context.Context, addr string, timeout time.Duration) (TLSAnswer, string) {
	raw, err := (&net.Dialer{Timeout: timeout}).DialContext(ctx, "tcp", addr)
	if err != nil {
		return TLSUnreachable, "no TCP connection: " + errLine(err)
	}
	defer raw.Close()
	_ = raw.SetDeadline(time.Now().Add(timeout))
	rec := &firstBytes{Conn: raw}
	host, _, _ := net.SplitHostPort(addr)
	c := tls.Client(rec, &tls.Config{InsecureSkipVerify: true, ServerName: host}) // observation only
	err = c.HandshakeContext(ctx)
	if err == nil {
		return TLSSpoken, "completed a TLS handshake (" + tls.VersionName(c.ConnectionState().Version) + ")"
	}
	var rh tls.RecordHeaderError
	if errors.As(err, &rh) {
		return TLSNotSpoken, "answered a TLS ClientHello with non-TLS bytes " + QuoteBytes(rh.RecordHeader[:])
	}
	switch {
	case len(rec.first) >= 3 && (rec.first[0] == 0x15 || rec.first[0] == 0x16) && rec.first[1] == 0x03:
		return TLSSpoken, "answered in TLS (" + errLine(err) + ")"
	case len(rec.first) > 0:
		return TLSNotSpoken, "answered a TLS ClientHello with non-TLS bytes " + QuoteBytes(rec.first)
	case errors.Is(err, syscall.ECONNRESET):
		return TLSNotSpoken, ResetNotTLS
	}
	return TLSSilent, "did not answer a TLS ClientHello (" + errLine(err) + ")"
}

// firstBytes remembers the first bytes a connection reads.
type firstBytes struct {
	net.Conn
	first []byte
}

func (f *firstBytes) Read(p []byte) (int, error) {
	n, err := f.Conn.Read(p)
	if len(f.first) < 16 && n > 0 {
		f.first = append(f.first, p[:min(n, 16-len(f.first))]...)
	}
	return n, err
}

// QuoteBytes shows bytes a device sent, escaped, at most 16.
func QuoteBytes(b []byte) string {
	if len(b) > 16 {
		b = b[:16]
	}
	return strconv.QuoteToASCII(string(b))
}

// errLine is an error on one bounded line.
func errLine(err error) string {
	s := strconv.QuoteToASCII(err.Error())
	s = s[1 : len(s)-1]
	if len(s) > 160 {
		s = s[:160] + "…"
	}
	return s
}
