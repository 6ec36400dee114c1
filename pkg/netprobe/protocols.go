package netprobe

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"
)

// A recogniser sends its protocol's opening move on a fresh connection
// and reads the answer; it reports whether the service spoke that
// protocol, and what it learned.

// httpAnswer is the status line and authentication challenge of one
// HTTP response.
type httpAnswer struct {
	status int
	line   string
	basic  bool // WWW-Authenticate: Basic offered
	digest bool
	server string // the Server header, printable
}

// httpRequest sends GET path to conn (plain or TLS) and reads the
// response head, at most 8 KiB. Redirects are never followed.
func httpRequest(c net.Conn, host, path, auth string, timeout time.Duration) (httpAnswer, bool) {
	var a httpAnswer
	req := "GET " + path + " HTTP/1.0\r\nHost: " + host + "\r\nUser-Agent: ward-netprobe\r\nConnection: close\r\n"
	if auth != "" {
		req += "Authorization: " + auth + "\r\n"
	}
	_ = c.SetDeadline(time.Now().Add(timeout))
	if _, err := c.Write([]byte(req + "\r\n")); err != nil {
		return a, false
	}
	r := bufio.NewReaderSize(&limitedConn{c, 8 << 10}, 1024)
	line, err := r.ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "HTTP/") {
		return a, false
	}
	f := strings.Fields(line)
	if len(f) < 2 {
		return a, false
	}
	a.status, err = strconv.Atoi(f[1])
	if err != nil || a.status < 100 || a.status > 999 {
		return a, false
	}
	a.line = printable([]byte(line), 80)
	for range 100 {
		h, err := r.ReadString('\n')
		if err != nil || strings.TrimSpace(h) == "" {
			break
		}
		k, v, _ := strings.Cut(h, ":")
		if strings.EqualFold(strings.TrimSpace(k), "Server") {
			a.server = printable([]byte(v), 80)
		}
		if strings.EqualFold(strings.TrimSpace(k), "WWW-Authenticate") {
			v = strings.ToLower(strings.TrimSpace(v))
			a.basic = a.basic || strings.HasPrefix(v, "basic")
			a.digest = a.digest || strings.HasPrefix(v, "digest")
		}
	}
	return a, true
}

// limitedConn stops reading after n bytes: a device that streams forever
// costs at most n.
type limitedConn struct {
	c net.Conn
	n int
}

func (l *limitedConn) Read(b []byte) (int, error) {
	if l.n <= 0 {
		return 0, fmt.Errorf("netprobe: answer over the read limit")
	}
	if len(b) > l.n {
		b = b[:l.n]
	}
	m, err := l.c.Read(b)
	l.n -= m
	return m, err
}

// mqttConnect builds an MQTT 3.1.1 CONNECT, with credentials when c is
// not nil.
func mqttConnect(clientID string, c *Credential) []byte {
	flags := byte(0x02) // clean session
	var payload []byte
	str := func(s string) {
		payload = binary.BigEndian.AppendUint16(payload, uint16(len(s)))
		payload = append(payload, s...)
	}
	str(clientID)
	if c != nil {
		flags |= 0x80 | 0x40
		str(c.User)
		str(c.Password)
	}
	vh := []byte{0, 4, 'M', 'Q', 'T', 'T', 4, flags, 0, 30}
	body := append(vh, payload...)
	return append(append([]byte{0x10}, remLen(len(body))...), body...)
}

func remLen(n int) []byte {
	var out []byte
	for {
		b := byte(n % 128)
		n /= 128
		if n > 0 {
			b |= 0x80
		}
		out = append(out, b)
		if n == 0 {
			return out
		}
	}
}

// mqttSubscribeAll is SUBSCRIBE packet 1 to "#" at QoS 0.
var mqttSubscribeAll = []byte{0x82, 6, 0, 1, 0, 1, '#', 0}

// mqttTry connects (with c, or anonymously) and returns the CONNACK
// return code, -1 when the service does not speak MQTT. When accepted and
// subscribe is set, it also asks for every topic and reports whether
// that was granted.
func mqttTry(ctx context.Context, addr string, c *Credential, subscribe bool, timeout time.Duration) (rc int, subscribed bool) {
	rc, subscribed, _ = mqttTryRetained(ctx, addr, c, subscribe, timeout)
	return rc, subscribed
}

// mqttTryRetained is mqttTry that also counts the retained messages the
// broker delivers on the subscription within a second (their content is
// never kept: it may be patient data).
func mqttTryRetained(ctx context.Context, addr string, c *Credential, subscribe bool, timeout time.Duration) (rc int, subscribed bool, retained int) {
	conn, err := dialTCP(ctx, addr, timeout)
	if err != nil {
		return -1, false, 0
	}
	defer conn.Close()
	if _, err := conn.Write(mqttConnect("ward-probe", c)); err != nil {
		return -1, false, 0
	}
	ack := make([]byte, 4)
	if err := readFull(conn, ack, timeout); err != nil || ack[0] != 0x20 || ack[1] != 2 {
		return -1, false, 0
	}
	rc = int(ack[3])
	if rc == 0 && subscribe {
		if _, err := conn.Write(mqttSubscribeAll); err == nil {
			sa := make([]byte, 5)
			if readFull(conn, sa, timeout) == nil && sa[0] == 0x90 && sa[1] == 3 && sa[4] < 0x80 {
				subscribed = true
				retained = mqttCountPublishes(conn, min(timeout, time.Second))
			}
		}
	}
	_, _ = conn.Write([]byte{0xe0, 0}) // DISCONNECT
	return rc, subscribed, retained
}

// mqttCountPublishes reads PUBLISH packets for d and counts them, at most
// 64 packets and 64 KiB; bodies are discarded unread.
func mqttCountPublishes(c net.Conn, d time.Duration) int {
	_ = c.SetReadDeadline(time.Now().Add(d))
	r := bufio.NewReader(&limitedConn{c, 64 << 10})
	n := 0
	for n < 64 {
		h, err := r.ReadByte()
		if err != nil || h&0xf0 != 0x30 {
			return n
		}
		length, mult := 0, 1
		for i := 0; i < 4; i++ {
			b, err := r.ReadByte()
			if err != nil {
				return n
			}
			length += int(b&0x7f) * mult
			mult *= 128
			if b&0x80 == 0 {
				break
			}
		}
		if _, err := r.Discard(length); err != nil {
			return n
		}
		n++
	}
	return n
}

// dicomTry asks for an association from an unknown AE title to an
// unknown one and, if accepted, sends a C-ECHO and releases.
func dicomTry(ctx context.Context, addr string, timeout time.Duration) (DICOMAnswer, bool) {
	conn, err := dialTCP(ctx, addr, timeout)
	if err != nil {
		return DICOMAnswer{}, false
	}
	defer conn.Close()
	if _, err := conn.Write(associateRQ(dicomProbeCalledAE, dicomProbeCallerAE)); err != nil {
		return DICOMAnswer{}, false
	}
	pdu, err := readPDU(conn, timeout)
	if err != nil {
		return DICOMAnswer{}, false
	}
	a, err := DecodeAssociateAnswer(pdu)
	if err != nil {
		return a, false
	}
	if a.PDU == dicomPDUAssocAC && a.ContextAccepted {
		if _, err := conn.Write(cEchoRQ()); err == nil {
			if rsp, err := readPDU(conn, timeout); err == nil {
				if st, err := DecodeEchoStatus(rsp); err == nil {
					a.EchoStatus = st
				}
			}
		}
		if _, err := conn.Write(releaseRQ()); err == nil {
			_, _ = readPDU(conn, timeout)
		}
	}
	return a, true
}

func readPDU(c net.Conn, timeout time.Duration) ([]byte, error) {
	h := make([]byte, 6)
	if err := readFull(c, h, timeout); err != nil {
		return nil, err
	}
	_, n, err := decodeHeader(h)
	if err != nil {
		return nil, err
	}
	pdu := make([]byte, 6+n)
	copy(pdu, h)
	if err := readFull(c, pdu[6:], timeout); err != nil {
		return nil, err
	}
	return pdu, nil
}

// mllpQuery is a read-only HL7 v2 query (QRY^A19, patient query) framed
// in MLLP; the probe only looks whether an MLLP-framed answer comes back.
func mllpQuery() []byte {
	msg := "MSH|^~\\&|WARD|PROBE|||" + time.Now().UTC().Format("20060102150405") + "||QRY^A19|WARDPROBE1|P|2.5\r" +
		"QRD|" + time.Now().UTC().Format("20060102150405") + "|R|I|WARDPROBE1|||1^RD|WARD-NO-SUCH-PATIENT|DEM\r"
	return append(append([]byte{0x0b}, msg...), 0x1c, 0x0d)
}

// mllpTry sends the query and reports whether an MLLP-framed HL7 answer
// came back, and its acknowledgement code (MSA-1: AA, AE, AR...).
func mllpTry(ctx context.Context, addr string, timeout time.Duration) (answered bool, ack string) {
	conn, err := dialTCP(ctx, addr, timeout)
	if err != nil {
		return false, ""
	}
	defer conn.Close()
	if _, err := conn.Write(mllpQuery()); err != nil {
		return false, ""
	}
	var b []byte
	deadline := time.Now().Add(timeout)
	for len(b) < 16<<10 && !bytes.Contains(b, []byte{0x1c}) && time.Now().Before(deadline) {
		more := readSome(conn, 4096, time.Until(deadline))
		if len(more) == 0 {
			break
		}
		b = append(b, more...)
	}
	if len(b) < 4 || b[0] != 0x0b || !bytes.HasPrefix(b[1:], []byte("MSH")) {
		return false, ""
	}
	if i := bytes.Index(b, []byte("\rMSA|")); i >= 0 && len(b) >= i+7 {
		return true, printable(b[i+5:i+7], 2)
	}
	return true, ""
}

// Telnet (RFC 854) option negotiation: refuse every option the server
// asks for, except that it may echo and suppress go-ahead, so a login
// prompt appears.
const (
	iac  = 255
	dont = 254
	do   = 253
	wont = 252
	will = 251
	sb   = 250
	se   = 240
)

// telnetStrip separates negotiation from text and returns the text and
// the replies to send.
func telnetStrip(b []byte) (text, reply []byte) {
	for i := 0; i < len(b); i++ {
		if b[i] != iac {
			text = append(text, b[i])
			continue
		}
		if i+1 >= len(b) {
			break
		}
		cmd := b[i+1]
		switch {
		case cmd == iac:
			text = append(text, iac)
			i++
		case (cmd == do || cmd == dont || cmd == will || cmd == wont) && i+2 < len(b):
			opt := b[i+2]
			switch cmd {
			case do:
				reply = append(reply, iac, wont, opt)
			case will:
				if opt == 1 || opt == 3 {
					reply = append(reply, iac, do, opt)
				} else {
					reply = append(reply, iac, dont, opt)
				}
			}
			i += 2
		case cmd == sb:
			j := bytes.Index(b[i:], []byte{iac, se})
			if j < 0 {
				return text, reply
			}
			i += j + 1
		default:
			i++
		}
	}
	return text, reply
}

// telnetRead reads for d, answering negotiation, and returns the text.
func telnetRead(c net.Conn, d time.Duration) string {
	var text []byte
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) && len(text) < 4096 {
		b := readSome(c, 2048, time.Until(deadline)/2+time.Millisecond)
		if len(b) == 0 {
			break
		}
		t, r := telnetStrip(b)
		text = append(text, t...)
		if len(r) > 0 {
			_, _ = c.Write(r)
		}
		if promptRe(string(text)) != "" {
			break
		}
	}
	return string(text)
}

// promptRe names the prompt text ends with: "login", "password", "shell"
// or "" for none.
func promptRe(text string) string {
	t := strings.ToLower(strings.TrimRight(text, " \t\r\n\x00"))
	switch {
	case strings.HasSuffix(t, "login:"), strings.HasSuffix(t, "username:"), strings.HasSuffix(t, "user:"), strings.HasSuffix(t, "user name:"):
		return "login"
	case strings.HasSuffix(t, "password:"):
		return "password"
	case strings.HasSuffix(t, "$"), strings.HasSuffix(t, "#"), strings.HasSuffix(t, ">"):
		return "shell"
	}
	return ""
}

// deniedText reports text that says a login failed: failure words, or
// a new login prompt at its end. ("Last login:" after a success is no
// failure.)
func deniedText(text string) bool {
	if promptRe(text) == "login" {
		return true
	}
	t := strings.ToLower(text)
	for _, w := range []string{"incorrect", "failed", "failure", "denied", "invalid", "bad password"} {
		if strings.Contains(t, w) {
			return true
		}
	}
	return false
}

// ftpCommand sends one FTP command and returns the reply code.
func ftpCommand(c net.Conn, r *bufio.Reader, cmd string, timeout time.Duration) int {
	_ = c.SetDeadline(time.Now().Add(timeout))
	if _, err := c.Write([]byte(cmd + "\r\n")); err != nil {
		return 0
	}
	return ftpReply(r)
}

// ftpReply reads a (possibly multi-line) reply and returns its code.
func ftpReply(r *bufio.Reader) int {
	for range 50 {
		line, err := r.ReadString('\n')
		if err != nil || len(line) < 4 {
			return 0
		}
		code, err := strconv.Atoi(line[:3])
		if err != nil {
			return 0
		}
		if line[3] == ' ' {
			return code
		}
	}
	return 0
}
