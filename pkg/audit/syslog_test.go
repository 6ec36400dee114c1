package audit

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSyslogVector(t *testing.T) {
	r := Record{Seq: 7, Time: time.Date(2026, 11, 23, 14, 0, 0, 123456000, time.UTC), Actor: `eve "the" ]hacker\`,
		Source: "keypad", Action: "login", Object: "session", Outcome: Denied, Detail: map[string]string{"reason": "bad password"},
		Prev: strings.Repeat("a", 64), Hash: strings.Repeat("b", 64)}
	got, err := Syslog(r, "SIM-IP 000001", "ward-sim")
	require.NoError(t, err)
	path := filepath.Join("testdata", "syslog", "record1.txt")
	if os.Getenv("WARD_UPDATE_VECTORS") == "1" {
		require.NoError(t, os.WriteFile(path, got, 0o644))
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, string(want), string(got))

	n, msg, ok := strings.Cut(string(got), " ")
	require.True(t, ok)
	size, err := strconv.Atoi(n)
	require.NoError(t, err)
	assert.Equal(t, len(msg), size, "octet count is the message's length")
	assert.True(t, strings.HasPrefix(msg, "<84>1 2026-11-23T14:00:00.123456Z SIM-IP000001 ward-sim - login "), msg)
	assert.Contains(t, msg, `actor="eve \"the\" \]hacker\\"`)
	assert.Contains(t, msg, `outcome="denied"`)
	assert.Contains(t, msg, "\xEF\xBB\xBF{")

	r.Outcome = Success
	ok5, _ := Syslog(r, "", "")
	assert.Contains(t, string(ok5), "<85>1 2026-11-23T14:00:00.123456Z - - - login ", "NILVALUE for missing names, notice for successes")
}
