package harness

import (
	"bufio"
	"bytes"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The collector parses what pkg/audit writes (its test vector).
func TestParseSyslogReadsTheAuditVector(t *testing.T) {
	b, err := os.ReadFile("../audit/testdata/syslog/record1.txt")
	require.NoError(t, err)
	f, err := readSyslogFrame(bufio.NewReader(bytes.NewReader(b)))
	require.NoError(t, err)
	m, err := parseSyslog(f)
	require.NoError(t, err)
	assert.Equal(t, 84, m.Priority)
	assert.Equal(t, time.Date(2026, 11, 23, 14, 0, 0, 123456000, time.UTC), m.Time)
	assert.Equal(t, "SIM-IP000001", m.Host)
	assert.Equal(t, "ward-sim", m.App)
	assert.Equal(t, "login", m.MsgID)
	assert.Equal(t, `eve "the" ]hacker\`, m.Structured["ward@32473"]["actor"])
	assert.Equal(t, "denied", m.Structured["ward@32473"]["outcome"])
	assert.True(t, strings.HasPrefix(m.Message, `{"seq":7`))
}

func TestParseSyslogRefusesMalformed(t *testing.T) {
	for _, s := range []string{
		"", "no pri", "<>1 - - - - - -", "<192>1 - - - - - -", "<013>1 - - - - - -",
		"<13>2 - - - - - -", "<13>1 yesterday h a - m -", "<13>1 - h a - m", "<13>1 - h a - m [x a=\"b\"",
		"<13>1 - h a - m [x a=b]", "<13>1 - h a - m []", "<13>1 - h a - m -junk", "<13>1 - h a - m [x a=\"unterminated]",
	} {
		_, err := parseSyslog([]byte(s))
		assert.ErrorIs(t, err, errSyslog, "%q", s)
	}
	m, err := parseSyslog([]byte(`<13>1 - host app 12 id [a x="1"][b y="2" z="\]"] hello`))
	require.NoError(t, err)
	assert.Equal(t, "]", m.Structured["b"]["z"])
	assert.Equal(t, "hello", m.Message)
	for _, frame := range []string{"x 12", "0 ", "99999999 a", "5 abc"} {
		_, err := readSyslogFrame(bufio.NewReader(strings.NewReader(frame)))
		assert.Error(t, err, frame)
	}
}

// FuzzParseSyslog: the collector's parser never panics, and what it
// accepts has a valid priority and version.
func FuzzParseSyslog(f *testing.F) {
	f.Add([]byte(`<13>1 2026-11-23T14:00:00Z host app - id [a x="1"] msg`))
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := parseSyslog(b)
		if err == nil && (m.Priority < 0 || m.Priority > 191) {
			t.Fatalf("accepted priority %d", m.Priority)
		}
		_, _ = readSyslogFrame(bufio.NewReader(bytes.NewReader(b)))
	})
}

// The collector reverses pkg/audit's escape of control characters, so a
// value with a line feed still matches the record.
func TestParseSyslogDecodesEscapedControlCharacters(t *testing.T) {
	m, err := parseSyslog([]byte(`<13>1 - host app - id [ward@32473 actor="eve\x0Aadmin \\x0A \"q\" \]"] {}`))
	require.NoError(t, err)
	assert.Equal(t, "eve\nadmin \\x0A \"q\" ]", m.Structured["ward@32473"]["actor"])
}
