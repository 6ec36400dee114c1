package harness

import (
	"bufio"
	"fmt"
	"io"
	"net/url"
	"strconv"
	"strings"
)

// Bounds on a targets file, an input file like any other: far beyond any
// fleet one run checks, and small enough to refuse a runaway file at once.
const (
	MaxTargetsFile = 16 << 20
	MaxTargets     = 100_000
)

// MaxFleetCount bounds count= on one targets-file line, so a typo (an extra
// zero or two) is a clear error rather than hours of checking.
const MaxFleetCount = 10_000

// ParseTargets reads a targets file: one target URI per line, blank lines
// and '#' comments ignored. A target may be followed by count=N to declare
// a fleet of N units. A sim:// line expands to N URIs that differ only in
// their serial parameter, NAME-0001 to NAME-N, where NAME is the line's own
// serial= value or "SIM-FLEET"; any other line repeats its URI N times,
// which a networked simulator (ward sim serve) answers with a fresh unit
// each time. name labels errors, which carry the line number.
func ParseTargets(r io.Reader, name string) ([]string, error) {
	var out []string
	lr := &io.LimitedReader{R: r, N: MaxTargetsFile + 1}
	sc := bufio.NewScanner(lr)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if i := strings.Index(line, "#"); i >= 0 {
			line = line[:i]
		}
		f := strings.Fields(line)
		switch len(f) {
		case 0:
			continue
		case 1:
			out = append(out, f[0])
			continue
		case 2:
		default:
			return nil, fmt.Errorf("%w: %s:%d: want a target URI and at most count=N, got %d fields", ErrConfig, name, n, len(f))
		}
		fleet, err := expandFleet(f[0], f[1])
		if err != nil {
			return nil, fmt.Errorf("%w: %s:%d: %v", ErrConfig, name, n, err)
		}
		out = append(out, fleet...)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if lr.N <= 0 {
		return nil, fmt.Errorf("%w: %s: more than %d bytes", ErrConfig, name, MaxTargetsFile)
	}
	if len(out) > MaxTargets {
		return nil, fmt.Errorf("%w: %s: %d targets, more than %d", ErrConfig, name, len(out), MaxTargets)
	}
	return out, nil
}

func expandFleet(target, count string) ([]string, error) {
	v, ok := strings.CutPrefix(count, "count=")
	if !ok {
		return nil, fmt.Errorf("unexpected %q after the target (only count=N may follow it)", count)
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > MaxFleetCount {
		return nil, fmt.Errorf("count=%s: want a whole number from 1 to %d", v, MaxFleetCount)
	}
	u, err := url.Parse(target)
	if err != nil {
		return nil, fmt.Errorf("target %q: %v", target, err)
	}
	if u.Scheme != "sim" {
		out := make([]string, n)
		for i := range out {
			out[i] = target
		}
		return out, nil
	}
	q, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return nil, fmt.Errorf("target %q: query: %v", target, err)
	}
	base := "SIM-FLEET"
	if s := q.Get("serial"); s != "" {
		base = s
	}
	width := max(4, len(strconv.Itoa(n)))
	out := make([]string, 0, n)
	for i := 1; i <= n; i++ {
		q.Set("serial", fmt.Sprintf("%s-%0*d", base, width, i))
		u.RawQuery = q.Encode()
		out = append(out, u.String())
	}
	return out, nil
}
