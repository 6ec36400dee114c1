package harness

import (
	"bufio"
	"context"
	"crypto/tls"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/wardsec/ward/pkg/device"
	"github.com/wardsec/ward/pkg/netprobe"
)

// What a service does with a TLS ClientHello, judged from the bytes it
// sends back, never from what the device says about it: a device may list
// a CA for a service that speaks plain HTTP, or list none for one that
// speaks TLS 1.0.

// tlsProbe says whether the service at addr speaks TLS
// (netprobe.SpeaksTLS, shared with the https driver and the net driver).
func tlsProbe(ctx context.Context, addr string) (netprobe.TLSAnswer, string) {
	return netprobe.SpeaksTLS(ctx, addr, netTimeout)
}

// quoteBytes shows bytes a device sent, escaped, at most 16.
func quoteBytes(b []byte) string { return netprobe.QuoteBytes(b) }

// cleartextProbe speaks the service's protocol without TLS and says
// whether the service answered in kind. Protocols without a probe of their
// own are not sent anything: a request in another protocol proves
// nothing, and the TLS probe has already judged them.
func cleartextProbe(ctx context.Context, ep device.Endpoint) (answered bool, what string) {
	c, err := (&net.Dialer{Timeout: netTimeout}).DialContext(ctx, "tcp", ep.Address)
	if err != nil {
		return false, "no TCP connection: " + oneLineErr(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(netTimeout))
	switch ep.Protocol {
	case "mllp":
		// An order with an invalid rate: answered, it changes nothing.
		m, err := exchange(c, programMessage("0"))
		if err != nil {
			return false, "no HL7 answer in cleartext: " + oneLineErr(err)
		}
		return true, "answered HL7 in cleartext: " + ackCode(m, nil)
	case "http", "https":
		host := hostOnly(ep.Address)
		if _, err := fmt.Fprintf(c, "GET / HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n", host); err != nil {
			return false, "no HTTP answer in cleartext: " + oneLineErr(err)
		}
		br := bufio.NewReaderSize(io.LimitReader(c, 16<<10), 4<<10)
		line, err := br.ReadString('\n')
		f := strings.Fields(line)
		if len(f) < 2 || !strings.HasPrefix(f[0], "HTTP/") {
			if err != nil {
				return false, "no HTTP answer in cleartext: " + oneLineErr(err)
			}
			return false, "no HTTP answer in cleartext"
		}
		code, _ := strconv.Atoi(f[1])
		// Any status is an answer in cleartext (a 401 login page is where
		// the password goes next), except a redirect to HTTPS on the same
		// host, which carries nothing.
		if code >= 300 && code < 400 {
			if loc := headerValue(br, "Location"); redirectsToTLS(loc, host) {
				return false, fmt.Sprintf("only redirects to %s", strconv.QuoteToASCII(loc))
			}
		}
		return true, "answered HTTP " + strconv.Itoa(code) + " in cleartext"
	}
	return false, "no cleartext probe for protocol " + strconv.QuoteToASCII(ep.Protocol)
}

// headerValue reads HTTP header lines from br and returns the value of
// name (bounded by br's limit).
func headerValue(br *bufio.Reader, name string) string {
	for range 100 {
		line, err := br.ReadString('\n')
		line = strings.TrimRight(line, "\r\n")
		if line == "" || err != nil {
			return ""
		}
		k, v, ok := strings.Cut(line, ":")
		if ok && strings.EqualFold(strings.TrimSpace(k), name) {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

func redirectsToTLS(loc, host string) bool {
	u, err := url.Parse(loc)
	return err == nil && u.Scheme == "https" && u.Hostname() == host
}

func hostOnly(addr string) string {
	h, _, err := net.SplitHostPort(addr)
	if err != nil {
		return addr
	}
	return h
}

// sshBanner reports whether the service greets as an SSH-2.0 server:
// SSH encrypts its own transport and is judged by the host checks.
func sshBanner(ctx context.Context, addr string) (bool, string) {
	c, err := (&net.Dialer{Timeout: netTimeout}).DialContext(ctx, "tcp", addr)
	if err != nil {
		return false, "no TCP connection: " + oneLineErr(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(netTimeout))
	line, _ := bufio.NewReaderSize(io.LimitReader(c, 255), 256).ReadString('\n')
	if strings.HasPrefix(line, "SSH-2.0-") {
		return true, "SSH server " + strconv.QuoteToASCII(strings.TrimSpace(line))
	}
	return false, "no SSH-2.0 banner (got " + quoteBytes([]byte(line)) + ")"
}

// transportVerdict is what the encryption-in-transit checks concluded for
// one endpoint.
type transportVerdict struct {
	finding string // why the service is not protected in transit; "" if none
	unknown string // why nothing could be concluded; "" if something was
	observe string
}

// judgeCleartext decides whether ep carries its traffic inside TLS.
func judgeCleartext(ctx context.Context, ep device.Endpoint) transportVerdict {
	label := fmt.Sprintf("%s (%s, %s)", ep.Name, ep.Address, strconv.QuoteToASCII(ep.Protocol))
	if ep.Protocol == "ssh" {
		if ok, what := sshBanner(ctx, ep.Address); ok {
			return transportVerdict{observe: label + ": " + what + ", encrypted by SSH itself"}
		}
	}
	kind, tlsWhat := tlsProbe(ctx, ep.Address)
	answered, clearWhat := false, ""
	if kind != netprobe.TLSUnreachable {
		answered, clearWhat = cleartextProbe(ctx, ep)
		if answered && kind == netprobe.TLSSpoken && strings.HasPrefix(clearWhat, "answered HTTP 400 ") {
			// A TLS server's standard refusal of a plain request
			// ("client sent an HTTP request to an HTTPS server").
			answered, clearWhat = false, "refused plain HTTP with 400, as TLS servers do"
		}
	}
	obs := label + ": " + tlsWhat
	if clearWhat != "" {
		obs += "; " + clearWhat
	}
	v := transportVerdict{observe: obs}
	switch {
	case !answered && strings.HasPrefix(clearWhat, "only redirects"):
		// Browsers sent on to HTTPS: nothing crosses in cleartext.
	case answered:
		v.finding = label + " " + clearWhat
	case kind == netprobe.TLSNotSpoken:
		v.finding = label + " does not speak TLS: it " + tlsWhat
	case kind == netprobe.TLSUnreachable:
		v.unknown = label + ": " + tlsWhat
	case kind == netprobe.TLSSilent:
		v.unknown = label + " " + tlsWhat + " and did not answer in cleartext"
	}
	return v
}

// legacyVerdict decides whether ep accepts TLS 1.0 with legacy suites. A
// service that does not speak TLS at all is a finding too: there is
// nothing to downgrade because nothing is protected.
func judgeLegacy(ctx context.Context, ep device.Endpoint) transportVerdict {
	label := fmt.Sprintf("%s (%s)", ep.Name, ep.Address)
	if ep.Protocol == "ssh" {
		if ok, what := sshBanner(ctx, ep.Address); ok {
			return transportVerdict{observe: label + ": " + what + "; its algorithms are judged by the host checks"}
		}
	}
	ans := legacyProbe(ctx, ep.Address)
	v := transportVerdict{observe: label + " offered TLS 1.0: " + ans.what}
	switch ans.kind {
	case legacyAccepted:
		v.finding = label + " accepted TLS 1.0 with CBC suites"
		return v
	case legacyRefused:
		return v
	case legacyUnreachable:
		v.unknown = label + ": " + ans.what
		return v
	case legacyNotTLS:
		if ep.Protocol == "http" || ep.Protocol == "https" {
			// A listener that only sends browsers on to HTTPS carries
			// nothing to protect (judgeCleartext agrees).
			if answered, what := cleartextProbe(ctx, ep); !answered && strings.HasPrefix(what, "only redirects") {
				v.observe += "; " + what
				return v
			}
		}
		v.finding = label + " speaks no TLS at all: it " + ans.what
		return v
	}
	// Closed without a word: a TLS 1.2+ server may do that; find out
	// whether the service speaks TLS at all.
	kind, what := tlsProbe(ctx, ep.Address)
	v.observe += "; modern TLS: " + what
	switch kind {
	case netprobe.TLSSpoken:
	case netprobe.TLSNotSpoken:
		v.finding = label + " speaks no TLS at all: it " + what
	default:
		v.unknown = label + ": " + what
	}
	return v
}

type legacyKind int

const (
	legacySilent legacyKind = iota // closed or silent: nothing learnt
	legacyAccepted
	legacyRefused
	legacyNotTLS
	legacyUnreachable
)

type legacyAnswer struct {
	kind legacyKind
	what string
}

// legacyProbe offers TLS 1.0 with legacy suites only (built by hand, so the
// check works from a FIPS 140-3 build, whose TLS stack cannot speak 1.0)
// and reads the answer's
// record header.
func legacyProbe(ctx context.Context, addr string) legacyAnswer {
	c, err := (&net.Dialer{Timeout: netTimeout}).DialContext(ctx, "tcp", addr)
	if err != nil {
		return legacyAnswer{legacyUnreachable, "no TCP connection: " + oneLineErr(err)}
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(netTimeout))
	if _, err := c.Write(netprobe.LegacyClientHello(tls.VersionTLS10)); err != nil {
		return legacyAnswer{legacySilent, "the connection closed: " + oneLineErr(err)}
	}
	// Record header (5), handshake header (4), server_version (2).
	hdr := make([]byte, 11)
	n, err := io.ReadFull(c, hdr)
	if n == 0 {
		if errors.Is(err, syscall.ECONNRESET) {
			return legacyAnswer{legacyNotTLS, netprobe.ResetNotTLS}
		}
		return legacyAnswer{legacySilent, "closed without answering (" + oneLineErr(err) + ")"}
	}
	hdr = hdr[:n]
	isTLS := n >= 3 && hdr[1] == 0x03 && (hdr[0] == 0x15 || hdr[0] == 0x16)
	switch {
	case !isTLS:
		return legacyAnswer{legacyNotTLS, "answered with non-TLS bytes " + quoteBytes(hdr)}
	case hdr[0] == 0x15:
		return legacyAnswer{legacyRefused, "refused with a TLS alert"}
	case n == len(hdr) && hdr[5] == 2:
		if v := binary.BigEndian.Uint16(hdr[9:11]); v <= 0x0301 {
			return legacyAnswer{legacyAccepted, "answered with a TLS 1.0 ServerHello"}
		}
		return legacyAnswer{legacyRefused, "answered with a ServerHello for a newer version"}
	}
	return legacyAnswer{legacyRefused, fmt.Sprintf("answered TLS record type %d", hdr[0])}
}
