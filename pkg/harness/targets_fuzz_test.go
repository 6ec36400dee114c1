package harness_test

import (
	"bufio"
	"bytes"
	"errors"
	"strconv"
	"strings"
	"testing"

	"github.com/wardsec/ward/pkg/harness"
)

// FuzzParseTargets feeds arbitrary bytes to ParseTargets as a targets
// file: no panic; an error is a configuration error (or a line too long
// to scan); and what it accepts agrees with a plain reading of the file:
// a one-field line is its target verbatim, a count=N line is N targets.
// Seeds: testdata/fuzz/FuzzParseTargets.
func FuzzParseTargets(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		got, err := harness.ParseTargets(bytes.NewReader(data), "t.txt")
		if err != nil {
			if !errors.Is(err, harness.ErrConfig) && !errors.Is(err, bufio.ErrTooLong) {
				t.Fatalf("error is not a configuration error: %v", err)
			}
			return
		}
		sc := bufio.NewScanner(bytes.NewReader(data))
		i := 0
		for sc.Scan() {
			line, _, _ := strings.Cut(sc.Text(), "#")
			switch fs := strings.Fields(line); len(fs) {
			case 0:
			case 1:
				if i >= len(got) || got[i] != fs[0] {
					t.Fatalf("target %d: got %q, want the line's %q", i, at(got, i), fs[0])
				}
				i++
			case 2:
				n, err := strconv.Atoi(strings.TrimPrefix(fs[1], "count="))
				if err != nil || n < 1 || n > harness.MaxFleetCount {
					t.Fatalf("accepted %q", line)
				}
				for j := range n {
					if i+j >= len(got) || strings.ContainsAny(got[i+j], " \t\n#") {
						t.Fatalf("fleet target %d of %q: %q", j, line, at(got, i+j))
					}
				}
				i += n
			default:
				t.Fatalf("accepted a line of %d fields: %q", len(fs), line)
			}
		}
		if i != len(got) {
			t.Fatalf("%d targets from the lines, ParseTargets returned %d", i, len(got))
		}
	})
}

func at(s []string, i int) string {
	if i < len(s) {
		return s[i]
	}
	return "<none>"
}
