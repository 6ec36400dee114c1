package harness

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/wardsec/ward/pkg/audit"
)

// syslogMessage is an RFC 5424 message as the harness's collector parsed it.
type syslogMessage struct {
	Priority         int
	Time             time.Time
	Host, App, MsgID string
	Structured       map[string]map[string]string // SD-ID -> PARAM-NAME -> value
	Message          string
}

var errSyslog = errors.New("not an RFC 5424 message")

// maxSyslogFrame bounds one octet-counted frame (RFC 5425 lets receivers
// pick a limit; 64 KiB is generous for audit records).
const maxSyslogFrame = 64 << 10

// readSyslogFrame reads one RFC 6587 octet-counted frame: "LEN SP MSG".
func readSyslogFrame(r *bufio.Reader) ([]byte, error) {
	n := 0
	for i := 0; ; i++ {
		c, err := r.ReadByte()
		if err != nil {
			return nil, err
		}
		if c == ' ' && i > 0 {
			break
		}
		if c < '0' || c > '9' || i > 6 || (i == 0 && c == '0') {
			return nil, fmt.Errorf("%w: bad octet count", errSyslog)
		}
		n = n*10 + int(c-'0')
	}
	if n > maxSyslogFrame {
		return nil, fmt.Errorf("%w: frame of %d bytes", errSyslog, n)
	}
	b := make([]byte, n)
	if _, err := io.ReadFull(r, b); err != nil {
		return nil, err
	}
	return b, nil
}

// parseSyslog parses one RFC 5424 message (section 6): HEADER SP
// STRUCTURED-DATA [SP MSG].
func parseSyslog(b []byte) (syslogMessage, error) {
	var m syslogMessage
	s := string(b)
	if !strings.HasPrefix(s, "<") {
		return m, fmt.Errorf("%w: no PRI", errSyslog)
	}
	end := strings.IndexByte(s, '>')
	if end < 2 || end > 4 {
		return m, fmt.Errorf("%w: bad PRI", errSyslog)
	}
	pri, err := strconv.Atoi(s[1:end])
	if err != nil || pri < 0 || pri > 191 || (len(s[1:end]) > 1 && s[1] == '0') {
		return m, fmt.Errorf("%w: bad PRI", errSyslog)
	}
	m.Priority = pri
	s = s[end+1:]
	fields := make([]string, 6)
	for i := range fields {
		f, rest, ok := strings.Cut(s, " ")
		if !ok || f == "" {
			return m, fmt.Errorf("%w: header field %d", errSyslog, i+1)
		}
		fields[i], s = f, rest
	}
	if fields[0] != "1" {
		return m, fmt.Errorf("%w: version %q", errSyslog, fields[0])
	}
	if fields[1] != "-" {
		if m.Time, err = time.Parse(time.RFC3339Nano, fields[1]); err != nil {
			return m, fmt.Errorf("%w: timestamp %q", errSyslog, fields[1])
		}
	}
	m.Host, m.App, m.MsgID = fields[2], fields[3], fields[5]
	m.Structured = map[string]map[string]string{}
	if strings.HasPrefix(s, "-") {
		s = s[1:]
	} else {
		for strings.HasPrefix(s, "[") {
			var err error
			if s, err = parseSDElement(s, m.Structured); err != nil {
				return m, err
			}
		}
		if len(m.Structured) == 0 {
			return m, fmt.Errorf("%w: structured data", errSyslog)
		}
	}
	if s != "" {
		if s[0] != ' ' {
			return m, fmt.Errorf("%w: junk after structured data", errSyslog)
		}
		m.Message = strings.TrimPrefix(s[1:], "\xEF\xBB\xBF")
	}
	return m, nil
}

// parseSDElement parses "[SD-ID *(SP PARAM="VALUE")]" and returns the rest.
func parseSDElement(s string, into map[string]map[string]string) (string, error) {
	s = s[1:]
	i := strings.IndexAny(s, " ]")
	if i <= 0 {
		return "", fmt.Errorf("%w: SD-ID", errSyslog)
	}
	id := s[:i]
	params := map[string]string{}
	s = s[i:]
	for strings.HasPrefix(s, " ") {
		s = s[1:]
		eq := strings.Index(s, "=\"")
		if eq <= 0 || strings.ContainsAny(s[:eq], " ]\"") {
			return "", fmt.Errorf("%w: SD-PARAM", errSyslog)
		}
		name := s[:eq]
		s = s[eq+2:]
		// The value ends at the first quote not escaped by a backslash;
		// pkg/audit decodes it (RFC 5424 escapes and Ward's \xHH).
		end := -1
		for j := 0; j < len(s); j++ {
			if s[j] == '\\' {
				j++
				continue
			}
			if s[j] == '"' {
				end = j
				break
			}
		}
		if end < 0 {
			return "", fmt.Errorf("%w: unterminated PARAM-VALUE", errSyslog)
		}
		v, err := audit.UnescapeSDValue(s[:end])
		if err != nil {
			return "", fmt.Errorf("%w: %w", errSyslog, err)
		}
		s = s[end+1:]
		params[name] = v
	}
	if !strings.HasPrefix(s, "]") {
		return "", fmt.Errorf("%w: SD-ELEMENT not closed", errSyslog)
	}
	into[id] = params
	return s[1:], nil
}
