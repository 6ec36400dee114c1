// Package realtool finds the real, independent programs that interop
// tests compare Ward against (xmllint, oathtool, rsyslogd, node). A test
// skips with a one-line reason when one is missing, unless
// WARD_REQUIRE_REAL=1 (CI), when it fails instead.
package realtool

import (
	"os"
	"os/exec"
	"testing"
)

// Required reports whether missing real components fail tests
// (WARD_REQUIRE_REAL=1) rather than skip them.
func Required() bool { return os.Getenv("WARD_REQUIRE_REAL") == "1" }

// Missing skips t (or fails it under WARD_REQUIRE_REAL=1) with why.
func Missing(t testing.TB, why string) {
	t.Helper()
	if Required() {
		t.Fatalf("%s (WARD_REQUIRE_REAL=1)", why)
	}
	t.Skip(why)
}

// Need returns the path of program name, or skips t (fails it under
// WARD_REQUIRE_REAL=1) naming the Debian package that provides it.
func Need(t testing.TB, name, debianPackage string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		Missing(t, name+" not found (Debian package "+debianPackage+")")
	}
	return p
}
