package audit_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/wardsec/ward/internal/rsyslogtest"
	"github.com/wardsec/ward/pkg/audit"
)

// sdParams splits rsyslog's stored STRUCTURED-DATA, one SD-ELEMENT,
// into its raw (still escaped) PARAM-VALUEs.
func sdParams(t *testing.T, sd string) (string, map[string]string) {
	t.Helper()
	if !strings.HasPrefix(sd, "[") || !strings.HasSuffix(sd, "]") {
		t.Fatalf("structured data %q", sd)
	}
	s := sd[1 : len(sd)-1]
	id, s, _ := strings.Cut(s, " ")
	params := map[string]string{}
	for s != "" {
		name, rest, ok := strings.Cut(s, `="`)
		if !ok {
			t.Fatalf("SD-PARAM in %q", sd)
		}
		end := -1
		for j := 0; j < len(rest); j++ {
			if rest[j] == '\\' {
				j++
			} else if rest[j] == '"' {
				end = j
				break
			}
		}
		if end < 0 {
			t.Fatalf("unterminated value in %q", sd)
		}
		params[name] = rest[:end]
		s = strings.TrimPrefix(rest[end+1:], " ")
	}
	return id, params
}

// TestRsyslogReceivesForwardedRecords: rsyslogd (its gtls driver, default
// settings, so control characters would be rewritten as #ooo) receives
// Ward's RFC 5425 syslog over TLS. Every field it stores, decoded with
// UnescapeSDValue, equals the record's, control characters included, and
// the JSON record in MSG still carries a valid hash.
func TestRsyslogReceivesForwardedRecords(t *testing.T) {
	rs := rsyslogtest.Start(t)
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	now := time.Date(2026, 11, 23, 14, 0, 0, 123456000, time.UTC)
	log, err := audit.Open(ctx, audit.NewMemStore(), audit.WithClock(func() time.Time { now = now.Add(time.Second); return now }))
	if err != nil {
		t.Fatal(err)
	}
	actors := []string{
		"nurse.jones",
		"eve\nadmin",                     // the line feed of the report
		"eve \"the\" ]hacker\\",          // RFC 5424's three
		"tab\there\r\x00\x1b[31mred\x7f", // C0 and DEL
		"c1\u0085\u009b and \u2028 sep",  // C1 and a line separator
		`literal \x0A and \\`,            // looks like Ward's escape
		"Müller 看護師 🩺",                   // plain UTF-8 stays
		"[ward@32473 seq=\"1\"]",
	}
	var recs []audit.Record
	for i, a := range actors {
		r, err := log.Append(ctx, audit.Event{Actor: a, Source: fmt.Sprint("keypad\n", i), Action: "login",
			Object: "session]", Outcome: audit.Denied, Detail: map[string]string{"reason": "bad\npassword"}})
		if err != nil {
			t.Fatal(err)
		}
		recs = append(recs, r)
	}
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(rs.CA)
	conn, err := tls.Dial("tcp", rs.Addr, &tls.Config{RootCAs: roots, ServerName: "127.0.0.1", MinVersion: tls.VersionTLS12})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	for _, r := range recs {
		msg, err := audit.Syslog(r, "SIM-IP-000001", "ward-sim")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := conn.Write(msg); err != nil {
			t.Fatal(err)
		}
	}
	got, err := rs.Wait(ctx, len(recs))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(recs) {
		t.Fatalf("rsyslog stored %d messages, sent %d", len(got), len(recs))
	}
	for i, m := range got {
		r := recs[i]
		if m.Priority != 10*8+4 || m.Host != "SIM-IP-000001" || m.App != "ward-sim" || m.MsgID != "login" || !m.Time.Equal(r.Time) {
			t.Errorf("record %d: header as stored %+v", r.Seq, m)
		}
		id, params := sdParams(t, m.Structured)
		if id != "ward@32473" {
			t.Errorf("SD-ID %q", id)
		}
		decoded := map[string]string{}
		for k, raw := range params {
			v, err := audit.UnescapeSDValue(raw)
			if err != nil {
				t.Fatalf("record %d: %s=%q: %v", r.Seq, k, raw, err)
			}
			decoded[k] = v
		}
		want := map[string]string{"seq": fmt.Sprint(r.Seq), "actor": r.Actor, "source": r.Source, "action": r.Action,
			"object": r.Object, "outcome": string(r.Outcome)}
		if diff := cmp.Diff(want, decoded); diff != "" {
			t.Errorf("record %d: structured data as rsyslog stored it %q (-record +decoded):\n%s", r.Seq, m.Structured, diff)
		}
		var back audit.Record
		if err := json.Unmarshal([]byte(strings.TrimPrefix(m.Msg, "\uFEFF")), &back); err != nil {
			t.Fatalf("record %d: MSG %q: %v", r.Seq, m.Msg, err)
		}
		if h, err := audit.RecordHash(back); err != nil || h != r.Hash || back.Actor != r.Actor {
			t.Errorf("record %d: MSG as stored no longer hashes to the record (%v)", r.Seq, err)
		}
	}
	t.Logf("%d records through rsyslogd over TLS, %d fields compared each", len(got), 6)
}
