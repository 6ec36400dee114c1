package audit

import (
	"fmt"
	"strconv"
	"strings"
)

// Syslog formats r as an RFC 5424 syslog message, framed with RFC 6587
// octet counting ("LEN SP MSG") as RFC 5425 (syslog over TLS) requires.
// The record travels as structured data, SD-ID "ward@32473" (the IANA
// example enterprise number), one SD-PARAM per field; MSG is the record's
// JSON line, so a collector can also verify its hash. hostname and app
// identify the device (NILVALUE "-" when empty).
func Syslog(r Record, hostname, app string) ([]byte, error) {
	line, err := marshalLine(&r)
	if err != nil {
		return nil, fmt.Errorf("audit: syslog: %w", err)
	}
	// Facility 10 (security/authorization), severity 5 (notice), 4
	// (warning) for refusals and failures.
	sev := 5
	if r.Outcome != Success {
		sev = 4
	}
	var b strings.Builder
	fmt.Fprintf(&b, "<%d>1 %s %s %s - %s [ward@32473 seq=\"%d\" actor=\"%s\" source=\"%s\" action=\"%s\" object=\"%s\" outcome=\"%s\"] ",
		10*8+sev, r.Time.UTC().Format("2006-01-02T15:04:05.000000Z"), sysName(hostname, 255), sysName(app, 48), sysName(r.Action, 32),
		r.Seq, sdEscape(r.Actor), sdEscape(r.Source), sdEscape(r.Action), sdEscape(r.Object), sdEscape(string(r.Outcome)))
	b.WriteString("\xEF\xBB\xBF") // BOM: MSG is UTF-8
	b.Write(line[:len(line)-1])   // without the newline
	msg := b.String()
	return []byte(strconv.Itoa(len(msg)) + " " + msg), nil
}

// sysName is a header field: printable US-ASCII without spaces, clipped.
func sysName(s string, max int) string {
	var b strings.Builder
	for _, c := range []byte(s) {
		if c > 32 && c < 127 && b.Len() < max {
			b.WriteByte(c)
		}
	}
	if b.Len() == 0 {
		return "-"
	}
	return b.String()
}

// sdEscape escapes a PARAM-VALUE (RFC 5424 section 6.3.3).
func sdEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, `"`, `\"`, `]`, `\]`).Replace(s)
}
