package harness

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wardsec/ward/pkg/audit"
)

func trailOf(actions ...string) []audit.Record {
	out := make([]audit.Record, len(actions))
	for i, a := range actions {
		out[i] = audit.Record{Seq: uint64(i + 1), Action: a}
	}
	return out
}

// The window is the last exit and the entry before it; a trail without
// either is an error, never an empty window that passes.
func TestOutageWindow(t *testing.T) {
	for name, tc := range map[string]struct {
		trail       []audit.Record
		first, last uint64
		err         string
	}{
		"one outage":       {trailOf("login", actionEmergencyEnter, "login", "emergency-mode.cause", actionEmergencyExit, "login"), 2, 5, ""},
		"last of two":      {trailOf(actionEmergencyEnter, actionEmergencyExit, "login", actionEmergencyEnter, "login", actionEmergencyExit), 4, 6, ""},
		"no exit":          {trailOf("login", actionEmergencyEnter, "login"), 0, 0, `no "emergency-mode.exit" record`},
		"exit, no entry":   {trailOf("login", actionEmergencyExit), 0, 0, `no "emergency-mode.enter" record before it`},
		"entry after exit": {trailOf(actionEmergencyExit, actionEmergencyEnter), 0, 0, "no \"emergency-mode.enter\" record before it"},
		"empty":            {nil, 0, 0, "(0 records)"},
	} {
		t.Run(name, func(t *testing.T) {
			win, err := outageWindow(tc.trail)
			if tc.err != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tc.err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.first, win[0].Seq)
			assert.Equal(t, tc.last, win[len(win)-1].Seq)
		})
	}
}

func TestOutageClipEscapesDeviceText(t *testing.T) {
	assert.Equal(t, `a\x1b[31mb\n`, outageClip("a\x1b[31mb\n"))
	assert.Len(t, outageClip(string(make([]byte, 500))), 80*4+3)
}
