package realsrv

import (
	"context"
	"strings"
	"testing"
)

// TestStartSkipsWithoutTheServer: on a machine without the programs
// (here: an empty PATH) Start skips with a one-line reason naming what is
// missing, rather than failing or hanging, unless WARD_REQUIRE_REAL=1.
func TestStartSkipsWithoutTheServer(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	t.Setenv("WARD_REQUIRE_REAL", "")
	for _, kind := range append(Kinds(), Hardened()...) {
		why := Missing(kind)
		if !strings.Contains(why, "not installed (apt-get install ") || strings.Contains(why, "\n") {
			t.Errorf("%s: Missing = %q, want a one-line reason naming the package", kind, why)
		}
		var skipped bool
		t.Run(string(kind), func(t *testing.T) {
			defer func() { skipped = t.Skipped() }()
			_, _ = Start(context.Background(), t, kind)
			t.Error("Start returned on a machine without the server")
		})
		if !skipped {
			t.Errorf("%s: not skipped", kind)
		}
	}
}
