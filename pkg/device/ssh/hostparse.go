package ssh

import (
	"bufio"
	"bytes"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/wardsec/ward/pkg/device"
)

// maxAccounts bounds the accounts read from /etc/passwd.
const maxAccounts = 65536

// maxSettings bounds how many settings one sshd configuration may hold.
const maxSettings = 4096

// parseSSHDT reads `sshd -T` output: one "keyword value..." line per
// effective setting, keywords lower case. Repeated keywords (listenaddress,
// hostkey) keep their values comma-joined.
func parseSSHDT(out []byte) (map[string]string, error) {
	m := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	for sc.Scan() {
		k, v, _ := strings.Cut(strings.TrimSpace(sc.Text()), " ")
		if k == "" {
			continue
		}
		k = strings.ToLower(k)
		if old, ok := m[k]; ok {
			v = old + "," + v
		} else if len(m) >= maxSettings {
			return nil, fmt.Errorf("%w: sshd -T: more than %d settings", ErrParse, maxSettings)
		}
		m[k] = strings.TrimSpace(v)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%w: sshd -T: %v", ErrParse, err)
	}
	if len(m) == 0 {
		return nil, fmt.Errorf("%w: sshd -T printed no settings", ErrParse)
	}
	return m, nil
}

// sshdDefaults are OpenSSH's compiled-in values of the settings the host
// checks read, for a config file that leaves them unset.
var sshdDefaults = map[string]string{
	"passwordauthentication":       "yes",
	"kbdinteractiveauthentication": "yes",
	"permitrootlogin":              "prohibit-password",
	"permitemptypasswords":         "no",
	"usepam":                       "no",
}

// parseSSHDConfig reads sshd_config(5) text as sshd does for the settings
// outside any Match block: keywords are case-insensitive, the first value
// obtained wins, "Keyword=value" and quoted values are allowed. include is
// called for each Include argument (a path or glob) and returns the text
// of the files it names, which are read in place. Settings after the first
// Match line are conditional and not read (matched says so).
func parseSSHDConfig(text []byte, include func(pattern string) ([]byte, error)) (settings map[string]string, matched bool, err error) {
	m := map[string]string{}
	var walk func(b []byte, depth int) (bool, error)
	walk = func(b []byte, depth int) (bool, error) {
		if depth > 4 {
			return false, fmt.Errorf("%w: sshd_config: Include nested more than 4 deep", ErrParse)
		}
		sc := bufio.NewScanner(bytes.NewReader(b))
		sc.Buffer(make([]byte, 0, 4096), 1<<20)
		for sc.Scan() {
			line := strings.TrimSpace(sc.Text())
			if line == "" || line[0] == '#' {
				continue
			}
			k, v := splitKeyword(line)
			k = strings.ToLower(k)
			switch k {
			case "":
				continue
			case "match":
				return true, nil
			case "include":
				for _, pat := range strings.Fields(v) {
					inc, err := include(strings.Trim(pat, `"`))
					if err != nil {
						return false, err
					}
					if stop, err := walk(inc, depth+1); stop || err != nil {
						return stop, err
					}
				}
				continue
			}
			if _, ok := m[k]; ok {
				continue // the first value obtained is used
			}
			if len(m) >= maxSettings {
				return false, fmt.Errorf("%w: sshd_config: more than %d settings", ErrParse, maxSettings)
			}
			m[k] = strings.Trim(v, `"`)
		}
		if err := sc.Err(); err != nil {
			return false, fmt.Errorf("%w: sshd_config: %v", ErrParse, err)
		}
		return false, nil
	}
	matched, err = walk(text, 0)
	if err != nil {
		return nil, false, err
	}
	for k, v := range sshdDefaults {
		if _, ok := m[k]; !ok {
			m[k] = v
		}
	}
	return m, matched, nil
}

// splitKeyword splits "Keyword value" or "Keyword=value".
func splitKeyword(line string) (string, string) {
	i := strings.IndexAny(line, " \t=")
	if i < 0 {
		return line, ""
	}
	k, rest := line[:i], strings.TrimLeft(line[i:], " \t")
	rest = strings.TrimPrefix(rest, "=")
	return k, strings.TrimSpace(rest)
}

// parseAccounts reads /etc/passwd and /etc/shadow (shadow may be nil) into
// accounts with the state of their password: "empty" when either file
// lets the account in without one, "locked" for "!..." and "*", else "set".
func parseAccounts(passwd, shadow []byte) ([]device.HostAccount, error) {
	shadowPW := map[string]string{}
	for l := range strings.SplitSeq(string(shadow), "\n") {
		f := strings.Split(l, ":")
		if len(f) < 2 || f[0] == "" {
			continue
		}
		shadowPW[f[0]] = f[1]
	}
	var out []device.HostAccount
	seen := map[string]bool{}
	for l := range strings.SplitSeq(string(passwd), "\n") {
		l = strings.TrimRight(l, "\r")
		if l == "" || l[0] == '#' {
			continue
		}
		f := strings.Split(l, ":")
		if len(f) < 7 {
			return nil, fmt.Errorf("%w: passwd: line %q has %d fields, want 7", ErrParse, firstN(l, 60), len(f))
		}
		if seen[f[0]] {
			continue
		}
		if len(out) >= maxAccounts {
			// Never a silent cut: an account past it could be the one
			// without a password.
			return nil, fmt.Errorf("%w: passwd: more than %d accounts", ErrParse, maxAccounts)
		}
		seen[f[0]] = true
		pw := f[1]
		if pw == "x" {
			s, ok := shadowPW[f[0]]
			if !ok {
				s = "*" // no shadow entry: no password to log in with
			}
			pw = s
		}
		out = append(out, device.HostAccount{Name: f[0], Password: passwordState(pw)})
	}
	return out, nil
}

func passwordState(pw string) string {
	switch {
	case pw == "":
		return "empty"
	case strings.HasPrefix(pw, "!") || strings.HasPrefix(pw, "*"):
		return "locked"
	}
	return "set"
}

func firstN(s string, n int) string {
	if len(s) > n {
		return s[:n] + "..."
	}
	return s
}

// maxPackages bounds a package database listing.
const maxPackages = 100_000

// parseStatus reads a dpkg or opkg status file (RFC 822 stanzas): the
// packages whose Status ends in "installed".
func parseStatus(b []byte) ([]device.HostPackage, error) {
	var out []device.HostPackage
	var name, version, status string
	flush := func() error {
		if name != "" && version != "" && strings.HasSuffix(status, " installed") {
			if len(out) >= maxPackages {
				return fmt.Errorf("%w: package status: more than %d packages", ErrParse, maxPackages)
			}
			out = append(out, device.HostPackage{Name: name, Version: version})
		}
		name, version, status = "", "", ""
		return nil
	}
	for l := range strings.SplitSeq(string(b), "\n") {
		l = strings.TrimRight(l, "\r")
		if l == "" {
			if err := flush(); err != nil {
				return nil, err
			}
			continue
		}
		if l[0] == ' ' || l[0] == '\t' {
			continue // a continuation line (Description)
		}
		k, v, ok := strings.Cut(l, ":")
		if !ok {
			continue
		}
		v = strings.TrimSpace(v)
		switch k {
		case "Package":
			name = v
		case "Version":
			version = v
		case "Status":
			status = v
		}
	}
	if err := flush(); err != nil {
		return nil, err
	}
	return out, nil
}

// parseRPMList reads `rpm -qa --qf '%{NAME}\t%{EPOCHNUM}:%{VERSION}-%{RELEASE}\n'`.
func parseRPMList(b []byte) ([]device.HostPackage, error) {
	var out []device.HostPackage
	for l := range strings.SplitSeq(string(b), "\n") {
		if l == "" {
			continue
		}
		n, v, ok := strings.Cut(l, "\t")
		if !ok || n == "" || v == "" {
			return nil, fmt.Errorf("%w: rpm: line %q is not NAME<TAB>VERSION", ErrParse, firstN(l, 60))
		}
		if len(out) >= maxPackages {
			return nil, fmt.Errorf("%w: rpm: more than %d packages", ErrParse, maxPackages)
		}
		out = append(out, device.HostPackage{Name: n, Version: strings.TrimPrefix(v, "0:")})
	}
	return out, nil
}

// ssProcess matches the first process of an `ss -p` users field:
// users:(("sshd",pid=123,fd=3),...).
var ssProcess = regexp.MustCompile(`users:\(\("((?:[^"\\]|\\.)*)",pid=([0-9]+),`)

// listener is one line of `ss -Htulnp`.
type listener struct {
	device.ListeningPort
	process string
	pid     int // 0: ss showed no process (another user's, without root)
}

// parseSSProcesses reads `ss -Htulnp`: the sockets of parseSS with the
// process owning each, when ss shows it.
func parseSSProcesses(out []byte) ([]listener, error) {
	var ls []listener
	for l := range strings.SplitSeq(string(out), "\n") {
		if strings.TrimSpace(l) == "" {
			continue
		}
		ports, err := parseSS([]byte(l))
		if err != nil {
			return nil, err
		}
		if len(ports) != 1 {
			continue
		}
		x := listener{ListeningPort: ports[0]}
		if m := ssProcess.FindStringSubmatch(l); m != nil {
			x.process = m[1]
			x.pid, _ = strconv.Atoi(m[2])
		}
		ls = append(ls, x)
		if len(ls) > maxPackages {
			return nil, fmt.Errorf("%w: ss: more than %d sockets", ErrParse, maxPackages)
		}
	}
	return ls, nil
}

// parseUIDs reads lines "PID Uid: real effective saved fs" into the
// effective uid per pid.
func parseUIDs(out []byte) map[int]int {
	m := map[int]int{}
	for l := range strings.SplitSeq(string(out), "\n") {
		f := strings.Fields(l)
		if len(f) < 4 || f[1] != "Uid:" {
			continue
		}
		pid, err1 := strconv.Atoi(f[0])
		uid, err2 := strconv.Atoi(f[3])
		if err1 == nil && err2 == nil {
			m[pid] = uid
		}
	}
	return m
}
