package bench

import (
	"crypto/fips140"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// TestFIPS140Only re-runs itself under GODEBUG=fips140=only and reports
// which peers can seal and open there. Ward must; the others are reported.
func TestFIPS140Only(t *testing.T) {
	if !fips140.Enforced() {
		cmd := exec.Command(os.Args[0], "-test.run=^TestFIPS140Only$", "-test.v", "-test.count=1")
		cmd.Env = append(os.Environ(), "GODEBUG=fips140=only")
		out, err := cmd.CombinedOutput()
		for _, line := range strings.Split(string(out), "\n") {
			if strings.Contains(line, "fips140=only:") {
				t.Log(strings.TrimSpace(line))
			}
		}
		if err != nil {
			t.Fatalf("child failed: %v\n%s", err, out)
		}
		return
	}
	for _, p := range peers(t) {
		err := fipsResult(p)
		if err != nil {
			t.Logf("fips140=only: %-13s FAILS: %v", p.name, err)
		} else {
			t.Logf("fips140=only: %-13s works", p.name)
		}
		if strings.HasPrefix(p.name, "ward") && err != nil {
			t.Errorf("%s must work in FIPS 140-only mode", p.name)
		}
	}
}
