package netprobe

import (
	"context"
	"io"
	"net"
	"strings"
	"time"
)

// maxBanner is the most of a banner or reply kept as text.
const maxBanner = 160

// printable reduces device bytes to at most n characters of printable
// ASCII, so nothing a device says can reach a terminal raw.
func printable(b []byte, n int) string {
	var sb strings.Builder
	for _, c := range b {
		if sb.Len() >= n {
			sb.WriteString("…")
			break
		}
		switch {
		case c >= 0x20 && c < 0x7f:
			sb.WriteByte(c)
		case c == '\r' || c == '\n' || c == '\t':
			sb.WriteByte(' ')
		default:
			sb.WriteByte('.')
		}
	}
	return strings.TrimSpace(sb.String())
}

// readSome reads what arrives within d, at most limit bytes, and returns
// it (possibly empty) without an error for a timeout: a device that says
// nothing is an answer too.
func readSome(c net.Conn, limit int, d time.Duration) []byte {
	_ = c.SetReadDeadline(time.Now().Add(d))
	buf := make([]byte, limit)
	n := 0
	for n < limit {
		m, err := c.Read(buf[n:])
		n += m
		if err != nil {
			break
		}
		if m > 0 && d > 0 {
			// Keep reading briefly: banners come in pieces.
			_ = c.SetReadDeadline(time.Now().Add(d / 4))
		}
	}
	return buf[:n]
}

// readFull reads exactly len(b) bytes before deadline d.
func readFull(c net.Conn, b []byte, d time.Duration) error {
	_ = c.SetReadDeadline(time.Now().Add(d))
	_, err := io.ReadFull(c, b)
	return err
}

// dialer opens a TCP connection to addr, bounded by timeout.
func dialTCP(ctx context.Context, addr string, timeout time.Duration) (net.Conn, error) {
	d := net.Dialer{Timeout: timeout}
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	_ = c.SetDeadline(time.Now().Add(4 * timeout))
	return c, nil
}
