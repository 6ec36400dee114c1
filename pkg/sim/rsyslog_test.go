package sim_test

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wardsec/ward/internal/rsyslogtest"
	"github.com/wardsec/ward/pkg/audit"
	"github.com/wardsec/ward/pkg/device"
)

// sdValues decodes one stored SD-ELEMENT's PARAM-VALUEs.
func sdValues(t *testing.T, sd string) map[string]string {
	t.Helper()
	out := map[string]string{}
	s := strings.TrimSuffix(strings.TrimPrefix(sd, "["), "]")
	_, s, _ = strings.Cut(s, " ")
	for s != "" {
		name, rest, ok := strings.Cut(s, `="`)
		require.True(t, ok, sd)
		end := -1
		for j := 0; j < len(rest); j++ {
			if rest[j] == '\\' {
				j++
			} else if rest[j] == '"' {
				end = j
				break
			}
		}
		require.GreaterOrEqual(t, end, 0, sd)
		v, err := audit.UnescapeSDValue(rest[:end])
		require.NoError(t, err, sd)
		out[name] = v
		s = strings.TrimPrefix(rest[end+1:], " ")
	}
	return out
}

// TestForwardLogsToRsyslog: the simulated pump's log forwarding, pointed
// at a real rsyslogd (TLS), delivers every record written afterwards; each
// stored record, decoded, equals the pump's own, including a login refused
// for a user name with a line feed in it.
func TestForwardLogsToRsyslog(t *testing.T) {
	rs := rsyslogtest.Start(t)
	ctx := context.Background()
	p := newPump(t)
	defer p.Close()
	tok := biomed(t, p)
	require.NoError(t, p.ForwardLogs(ctx, tok, device.LogCollector{Address: rs.Addr, CA: rs.CA}))
	_, err := p.Login(ctx, device.Credentials{User: "eve\nadmin", Password: "x", Source: "keypad\t2"})
	require.Error(t, err)
	_, err = p.Login(ctx, device.Credentials{User: `nurse "the" ]jones\`, Password: "x", Source: "bedside"})
	require.Error(t, err)

	local := records(t, p)
	var first int
	for i, r := range local {
		if r.Object == "log forwarding" {
			first = i
		}
	}
	want := local[first:]
	wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	got, err := rs.Wait(wctx, len(want))
	require.NoError(t, err)
	require.Len(t, got, len(want))
	bySeq := map[string]audit.Record{}
	for _, r := range want {
		bySeq[strconv.FormatUint(r.Seq, 10)] = r
	}
	sawLF := false
	for _, m := range got {
		v := sdValues(t, m.Structured)
		r, ok := bySeq[v["seq"]]
		require.True(t, ok, "rsyslog stored record %s the pump did not write after forwarding began", v["seq"])
		assert.Equal(t, map[string]string{"seq": v["seq"], "actor": r.Actor, "source": r.Source, "action": r.Action,
			"object": r.Object, "outcome": string(r.Outcome)}, v)
		var back audit.Record
		require.NoError(t, json.Unmarshal([]byte(strings.TrimPrefix(m.Msg, "\uFEFF")), &back))
		assert.Equal(t, r.Hash, back.Hash)
		h, err := audit.RecordHash(back)
		require.NoError(t, err)
		assert.Equal(t, r.Hash, h, "MSG as rsyslog stored it hashes to the record")
		sawLF = sawLF || strings.Contains(v["actor"], "\n")
	}
	assert.True(t, sawLF, "the pump recorded the refused user name as given (with its line feed)")
}
