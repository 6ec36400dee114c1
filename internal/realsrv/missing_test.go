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

// TestStartFailsWithoutTheServerWhenRequired: under WARD_REQUIRE_REAL=1
// (CI) a missing server fails the test instead of skipping it.
func TestStartFailsWithoutTheServerWhenRequired(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	t.Setenv("WARD_REQUIRE_REAL", "1")
	tb := &fatalRecorder{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		_, _ = Start(context.Background(), tb, Mosquitto)
	}()
	<-done
	if !tb.failed || !strings.Contains(tb.msg, "WARD_REQUIRE_REAL=1") || !strings.Contains(tb.msg, "apt-get install mosquitto") {
		t.Errorf("failed=%v %q", tb.failed, tb.msg)
	}
}
