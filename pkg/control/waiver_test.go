package control_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wardsec/ward/pkg/control"
)

func waiverCatalogue() *control.Catalogue {
	return &control.Catalogue{Controls: []control.Control{{ID: "HIPAA-164.312-b"}, {ID: "HIPAA-164.312-d"}}}
}

func writeWaiverFile(t *testing.T, name, text string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	require.NoError(t, os.WriteFile(p, []byte(text), 0o644))
	return p
}

func TestLoadWaiversOK(t *testing.T) {
	p := writeWaiverFile(t, "w.hcl", `
waiver "W-1" {
  control       = "HIPAA-164.312-d"
  targets       = ["sim://*"]
  justification = <<-EOT
    Legacy pump; replacement
    scheduled.
  EOT
  approver      = "CISO Jane Roe"
  expires       = "2027-01-31"
  ticket        = "https://tracker.example/SEC-12"
}
waiver "W-2" {
  control       = "HIPAA-164.312-b"
  justification = "x"
  approver      = "y"
  expires       = "2026-12-01"
}
`)
	ws, _, diags := control.LoadWaivers([]string{p}, waiverCatalogue())
	require.False(t, diags.HasErrors(), diags.Error())
	require.Len(t, ws, 2)
	w := ws[0]
	assert.Equal(t, "W-1", w.ID)
	assert.Equal(t, "HIPAA-164.312-d", w.Control)
	assert.Equal(t, "Legacy pump; replacement scheduled.", w.Justification)
	assert.Equal(t, "CISO Jane Roe", w.Approver)
	assert.Equal(t, time.Date(2027, 1, 31, 0, 0, 0, 0, time.UTC), w.Expires)
	assert.Equal(t, "https://tracker.example/SEC-12", w.Ticket)
	assert.True(t, w.Matches("sim://infusion-pump?weaken=no-auth"))
	assert.False(t, w.Matches("tcp://10.0.0.5:7000"))
	assert.True(t, ws[1].Matches("anything://at/all"), "no targets: every target")

	assert.False(t, w.Expired(time.Date(2027, 1, 31, 23, 59, 0, 0, time.UTC)), "valid through its expiry day")
	assert.True(t, w.Expired(time.Date(2027, 2, 1, 0, 0, 0, 0, time.UTC)))
}

func TestLoadWaiversDiagnostics(t *testing.T) {
	const ok = `control = "HIPAA-164.312-d"
  justification = "j"
  approver = "a"
  expires = "2027-01-31"`
	for name, tc := range map[string]struct {
		text    string
		summary string
		line    int
	}{
		"missing justification": {"waiver \"W\" {\n  control = \"HIPAA-164.312-d\"\n  approver = \"a\"\n  expires = \"2027-01-31\"\n}\n", "Missing required argument", 1},
		"missing approver":      {"waiver \"W\" {\n  control = \"HIPAA-164.312-d\"\n  justification = \"j\"\n  expires = \"2027-01-31\"\n}\n", "Missing required argument", 1},
		"missing expires":       {"waiver \"W\" {\n  control = \"HIPAA-164.312-d\"\n  justification = \"j\"\n  approver = \"a\"\n}\n", "Missing required argument", 1},
		"empty justification":   {"waiver \"W\" {\n  control = \"HIPAA-164.312-d\"\n  justification = \" \"\n  approver = \"a\"\n  expires = \"2027-01-31\"\n}\n", "Empty justification", 3},
		"bad date":              {"waiver \"W\" {\n  control = \"HIPAA-164.312-d\"\n  justification = \"j\"\n  approver = \"a\"\n  expires = \"31/01/2027\"\n}\n", "Invalid date", 5},
		"unknown control":       {"waiver \"W\" {\n  control = \"HIPAA-164.312-x\"\n  justification = \"j\"\n  approver = \"a\"\n  expires = \"2027-01-31\"\n}\n", "Unknown control", 2},
		"bad glob":              {"waiver \"W\" {\n  " + ok + "\n  targets = [\"sim://[\"]\n}\n", "Invalid target glob", 6},
		"empty targets":         {"waiver \"W\" {\n  " + ok + "\n  targets = []\n}\n", "Empty targets", 6},
		"bad ticket":            {"waiver \"W\" {\n  " + ok + "\n  ticket = \"SEC-12\"\n}\n", "Invalid URL", 6},
		"duplicate id":          {"waiver \"W\" {\n  " + ok + "\n}\nwaiver \"W\" {\n  " + ok + "\n}\n", "Duplicate waiver", 7},
		"unknown block":         {"waiverr \"W\" {\n}\n", "Unsupported block type", 1},
		"unknown attribute":     {"waiver \"W\" {\n  " + ok + "\n  expiry = \"2027-01-31\"\n}\n", "Unsupported argument", 6},
		"syntax":                {"waiver \"W\" {\n  control = \n}\n", "Invalid expression", 2},
	} {
		t.Run(name, func(t *testing.T) {
			p := writeWaiverFile(t, "w.hcl", tc.text)
			_, src, diags := control.LoadWaivers([]string{p}, waiverCatalogue())
			require.True(t, diags.HasErrors(), "want an error")
			d := diags[0]
			assert.Equal(t, tc.summary, d.Summary, diags.Error())
			require.NotNil(t, d.Subject)
			assert.Equal(t, p, d.Subject.Filename)
			assert.Equal(t, tc.line, d.Subject.Start.Line, diags.Error())

			var buf bytes.Buffer
			require.NoError(t, control.WriteDiagnostics(&buf, src, diags, 100, false))
			assert.True(t, strings.HasPrefix(buf.String(), p+":"), buf.String())
		})
	}
}

func TestLoadWaiversDuplicateAcrossFiles(t *testing.T) {
	text := "waiver \"W\" {\n  control = \"HIPAA-164.312-d\"\n  justification = \"j\"\n  approver = \"a\"\n  expires = \"2027-01-31\"\n}\n"
	a := writeWaiverFile(t, "a.hcl", text)
	b := writeWaiverFile(t, "b.hcl", text)
	_, _, diags := control.LoadWaivers([]string{a, b}, waiverCatalogue())
	require.Len(t, diags, 1, diags.Error())
	assert.Equal(t, "Duplicate waiver", diags[0].Summary)
	assert.Equal(t, b, diags[0].Subject.Filename)
	assert.Contains(t, diags[0].Detail, a)
}

func TestLoadWaiversMissingFile(t *testing.T) {
	_, _, diags := control.LoadWaivers([]string{filepath.Join(t.TempDir(), "nope.hcl")}, waiverCatalogue())
	require.True(t, diags.HasErrors())
	assert.Equal(t, "Cannot read waiver file", diags[0].Summary)
}

func TestLoadAttestations(t *testing.T) {
	cat := &control.Catalogue{Controls: []control.Control{
		{ID: "HIPAA-164.308-a-5", Verification: control.Verification{Method: control.MethodAttestation, MaxAge: "365d"}},
		{ID: "HIPAA-164.312-d", Verification: control.Verification{Method: control.MethodScenario}},
	}}
	p := writeWaiverFile(t, "a.hcl", `attestation "A-1" {
  control     = "HIPAA-164.308-a-5"
  attested_by = "Sam Lee"
  date        = "2026-06-01"
  expires     = "2027-06-01"
  evidence    = ["roster.pdf", "/abs/policy.pdf"]
  targets     = ["ssh://*@10.0.0.7*", "sim://infusion-pump?serial=F-1"]
}
`)
	as, _, diags := control.LoadAttestations([]string{p}, cat)
	require.False(t, diags.HasErrors(), diags.Error())
	require.Len(t, as, 1)
	a := as[0]
	assert.Equal(t, []string{filepath.Join(filepath.Dir(p), "roster.pdf"), "/abs/policy.pdf"}, a.Files)
	assert.False(t, a.Expired(time.Date(2027, 6, 1, 23, 0, 0, 0, time.UTC)))
	assert.True(t, a.Expired(time.Date(2027, 6, 2, 0, 0, 0, 0, time.UTC)))
	assert.False(t, a.TooOld("365d", time.Date(2027, 5, 31, 0, 0, 0, 0, time.UTC)))
	assert.True(t, a.TooOld("365d", time.Date(2027, 6, 3, 0, 0, 0, 0, time.UTC)))
	assert.True(t, a.Covers("ssh://root@10.0.0.7:22?key=k"))
	assert.True(t, a.Covers("sim://infusion-pump?serial=F-1"))
	assert.False(t, a.Covers("sim://infusion-pump?serial=F-2"), "another unit")
	assert.False(t, a.Covers("ssh://root@10.0.0.8:22"))
	a.Targets = []string{"*"}
	assert.True(t, a.Covers("ssh://root@10.0.0.8:22/x"), "* alone covers every target")

	body := func(ctl, date, expires, evidence string) string {
		return "attestation \"A\" {\n  control = \"" + ctl + "\"\n  attested_by = \"x\"\n  date = \"" + date + "\"\n  expires = \"" + expires + "\"\n  evidence = " + evidence + "\n  targets = [\"*\"]\n}\n"
	}
	for name, tc := range map[string]struct {
		text    string
		summary string
		line    int
	}{
		"unknown control":     {body("HIPAA-9", "2026-01-01", "2027-01-01", `["a"]`), "Unknown control", 2},
		"scenario control":    {body("HIPAA-164.312-d", "2026-01-01", "2027-01-01", `["a"]`), "Control not verified by attestation", 2},
		"bad date":            {body("HIPAA-164.308-a-5", "1 Jan 2026", "2027-01-01", `["a"]`), "Invalid date", 4},
		"expires before date": {body("HIPAA-164.308-a-5", "2026-01-01", "2025-01-01", `["a"]`), "Expires before date", 5},
		"empty evidence":      {body("HIPAA-164.308-a-5", "2026-01-01", "2027-01-01", `[]`), "Empty evidence", 6},
		"missing attested_by": {"attestation \"A\" {\n  control = \"HIPAA-164.308-a-5\"\n  date = \"2026-01-01\"\n  expires = \"2027-01-01\"\n  evidence = [\"a\"]\n  targets = [\"*\"]\n}\n", "Missing required argument", 1},
		"duplicate":           {body("HIPAA-164.308-a-5", "2026-01-01", "2027-01-01", `["a"]`) + body("HIPAA-164.308-a-5", "2026-01-01", "2027-01-01", `["a"]`), "Duplicate attestation", 9},
		"missing targets":     {"attestation \"A\" {\n  control = \"HIPAA-164.308-a-5\"\n  attested_by = \"x\"\n  date = \"2026-01-01\"\n  expires = \"2027-01-01\"\n  evidence = [\"a\"]\n}\n", "Missing targets", 1},
		"bad target glob":     {"attestation \"A\" {\n  control = \"HIPAA-164.308-a-5\"\n  attested_by = \"x\"\n  date = \"2026-01-01\"\n  expires = \"2027-01-01\"\n  evidence = [\"a\"]\n  targets = [\"[bad\"]\n}\n", "Invalid target glob", 7},
	} {
		t.Run(name, func(t *testing.T) {
			p := writeWaiverFile(t, "a.hcl", tc.text)
			_, _, diags := control.LoadAttestations([]string{p}, cat)
			require.True(t, diags.HasErrors())
			assert.Equal(t, tc.summary, diags[0].Summary, diags.Error())
			require.NotNil(t, diags[0].Subject)
			assert.Equal(t, tc.line, diags[0].Subject.Start.Line, diags.Error())
		})
	}
}
