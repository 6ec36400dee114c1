package osv

import (
	"strconv"
	"strings"
)

// Scheme is a package manager's version ordering.
type Scheme string

// Version orderings.
const (
	Dpkg Scheme = "dpkg" // Debian, Ubuntu; opkg uses the same ordering
	RPM  Scheme = "rpm"  // Red Hat, SUSE, Fedora and kin
)

// Compare orders two versions under the scheme: -1, 0 or +1.
func (s Scheme) Compare(a, b string) int {
	if s == RPM {
		return compareEVR(a, b, rpmvercmp)
	}
	return compareEVR(a, b, verrevcmp)
}

// compareEVR splits [epoch:]version[-revision] and compares the parts.
func compareEVR(a, b string, cmp func(a, b string) int) int {
	ea, va, ra := splitEVR(a)
	eb, vb, rb := splitEVR(b)
	if ea != eb {
		if ea < eb {
			return -1
		}
		return 1
	}
	if c := cmp(va, vb); c != 0 {
		return c
	}
	return cmp(ra, rb)
}

func splitEVR(v string) (epoch int, version, revision string) {
	if i := strings.IndexByte(v, ':'); i > 0 {
		if e, err := strconv.Atoi(v[:i]); err == nil && e >= 0 {
			epoch, v = e, v[i+1:]
		}
	}
	if i := strings.LastIndexByte(v, '-'); i >= 0 {
		return epoch, v[:i], v[i+1:]
	}
	return epoch, v, ""
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }
func isAlpha(c byte) bool { return ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z') }

// order is dpkg's character weight: "~" before the end, the end before
// letters, letters before other characters.
func order(s string, i int) int {
	if i >= len(s) {
		return 0
	}
	c := s[i]
	switch {
	case isDigit(c):
		return 0
	case isAlpha(c):
		return int(c)
	case c == '~':
		return -1
	}
	return int(c) + 256
}

// verrevcmp is dpkg's comparison of version or revision strings.
func verrevcmp(a, b string) int {
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		for (i < len(a) && !isDigit(a[i])) || (j < len(b) && !isDigit(b[j])) {
			ac, bc := order(a, i), order(b, j)
			if ac != bc {
				return sign(ac - bc)
			}
			i++
			j++
		}
		for i < len(a) && a[i] == '0' {
			i++
		}
		for j < len(b) && b[j] == '0' {
			j++
		}
		first := 0
		for i < len(a) && j < len(b) && isDigit(a[i]) && isDigit(b[j]) {
			if first == 0 {
				first = int(a[i]) - int(b[j])
			}
			i++
			j++
		}
		if i < len(a) && isDigit(a[i]) {
			return 1
		}
		if j < len(b) && isDigit(b[j]) {
			return -1
		}
		if first != 0 {
			return sign(first)
		}
	}
	return 0
}

// rpmvercmp is rpm's segment-wise comparison: digits against digits
// numerically, letters lexically, a numeric segment newer than a letter
// one, "~" older than anything and "^" newer than the end.
func rpmvercmp(a, b string) int {
	if a == b {
		return 0
	}
	for len(a) > 0 || len(b) > 0 {
		a, b = skipSeparators(a), skipSeparators(b)
		ta, tb := strings.HasPrefix(a, "~"), strings.HasPrefix(b, "~")
		if ta || tb {
			if !ta {
				return 1
			}
			if !tb {
				return -1
			}
			a, b = a[1:], b[1:]
			continue
		}
		ca, cb := strings.HasPrefix(a, "^"), strings.HasPrefix(b, "^")
		if ca || cb {
			switch {
			case a == "":
				return -1
			case b == "":
				return 1
			case !ca:
				return 1
			case !cb:
				return -1
			}
			a, b = a[1:], b[1:]
			continue
		}
		if a == "" || b == "" {
			break
		}
		num := isDigit(a[0])
		seg := func(s string) (string, string) {
			k := 0
			for k < len(s) && ((num && isDigit(s[k])) || (!num && isAlpha(s[k]))) {
				k++
			}
			return s[:k], s[k:]
		}
		var sa, sb string
		sa, a = seg(a)
		sb, b = seg(b)
		if sa == "" {
			return -1 // a non-ASCII byte: no segment; call it older
		}
		if sb == "" {
			if num {
				return 1
			}
			return -1
		}
		if num {
			sa, sb = strings.TrimLeft(sa, "0"), strings.TrimLeft(sb, "0")
			if len(sa) != len(sb) {
				return sign(len(sa) - len(sb))
			}
		}
		if c := strings.Compare(sa, sb); c != 0 {
			return c
		}
	}
	switch {
	case a == "" && b == "":
		return 0
	case a == "":
		return -1
	}
	return 1
}

// skipSeparators drops leading bytes that are neither ASCII letters or
// digits nor "~" or "^" (rpm's separators; non-ASCII bytes included).
func skipSeparators(s string) string {
	i := 0
	for i < len(s) && !isDigit(s[i]) && !isAlpha(s[i]) && s[i] != '~' && s[i] != '^' {
		i++
	}
	return s[i:]
}

func sign(n int) int {
	switch {
	case n < 0:
		return -1
	case n > 0:
		return 1
	}
	return 0
}
