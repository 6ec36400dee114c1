package ssh

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/wardsec/ward/pkg/device"
)

// ErrParse reports device output that is not in the expected format.
var ErrParse = errors.New("unexpected output from the device")

// parseSS reads the output of `ss -Htuln`: one listening socket per line,
// "Netid State Recv-Q Send-Q Local:Port Peer:Port [Process]" (the Netid
// column, tcp or udp, may be absent: `ss -Htln` lists TCP only). Local
// addresses look like 0.0.0.0:22, [::]:22, *:22 or 127.0.0.53%lo:53.
// Service names instead of numbers (ss without -n) are refused.
func parseSS(out []byte) ([]device.ListeningPort, error) {
	var ports []device.ListeningPort
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	line := 0
	for sc.Scan() {
		line++
		f := strings.Fields(sc.Text())
		if len(f) == 0 {
			continue
		}
		proto := "tcp"
		if f[0] == "tcp" || f[0] == "udp" {
			proto, f = f[0], f[1:]
		}
		if len(f) < 5 {
			return nil, fmt.Errorf("%w: ss line %d: %d fields, want at least 5", ErrParse, line, len(f))
		}
		local := f[3]
		i := strings.LastIndexByte(local, ':')
		if i <= 0 {
			return nil, fmt.Errorf("%w: ss line %d: local address %q has no port", ErrParse, line, local)
		}
		port, err := strconv.Atoi(local[i+1:])
		if err != nil || port < 0 || port > 65535 {
			return nil, fmt.Errorf("%w: ss line %d: bad port in %q", ErrParse, line, local)
		}
		addr := local[:i]
		if j := strings.IndexByte(addr, '%'); j >= 0 {
			addr = addr[:j] // interface scope, "127.0.0.53%lo"
		}
		addr = strings.TrimSuffix(strings.TrimPrefix(addr, "["), "]")
		ports = append(ports, device.ListeningPort{Proto: proto, Address: addr, Port: port})
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%w: ss: %v", ErrParse, err)
	}
	return ports, nil
}

// parsePortSpec reads "tcp/443" (or "443", meaning tcp).
func parsePortSpec(s string) (device.ListeningPort, error) {
	proto, num, ok := strings.Cut(s, "/")
	if !ok {
		proto, num = "tcp", s
	}
	if proto != "tcp" && proto != "udp" {
		return device.ListeningPort{}, fmt.Errorf("protocol %q is not tcp or udp", proto)
	}
	n, err := strconv.Atoi(num)
	if err != nil || n < 1 || n > 65535 {
		return device.ListeningPort{}, fmt.Errorf("port %q is not 1-65535", num)
	}
	return device.ListeningPort{Proto: proto, Port: n}, nil
}

// parseOSRelease reads os-release(5): KEY=VALUE lines, values optionally
// in single or double quotes with shell-style backslash escapes inside
// double quotes; # starts a comment line.
func parseOSRelease(b []byte) map[string]string {
	out := map[string]string{}
	for raw := range strings.SplitSeq(string(b), "\n") {
		l := strings.TrimSpace(raw)
		if l == "" || l[0] == '#' {
			continue
		}
		k, v, ok := strings.Cut(l, "=")
		if !ok || k == "" || strings.ContainsAny(k, " \t\"'") {
			continue // os-release(5): ignore lines that are not assignments
		}
		out[k] = unquote(v)
	}
	return out
}

func unquote(v string) string {
	if len(v) >= 2 && v[0] == '\'' && v[len(v)-1] == '\'' {
		return v[1 : len(v)-1]
	}
	if len(v) >= 2 && v[0] == '"' && v[len(v)-1] == '"' {
		v = v[1 : len(v)-1]
		var b strings.Builder
		for i := 0; i < len(v); i++ {
			if v[i] == '\\' && i+1 < len(v) && strings.IndexByte("\\$\"`", v[i+1]) >= 0 {
				i++
			}
			b.WriteByte(v[i])
		}
		return b.String()
	}
	return v
}

// firstLine is the trimmed first line of a file holding one value.
func firstLine(b []byte) string {
	s, _, _ := strings.Cut(string(b), "\n")
	return strings.TrimSpace(strings.TrimRight(s, "\x00"))
}

// shellQuote quotes s for a POSIX shell.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
