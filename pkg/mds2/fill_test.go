package mds2_test

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wardsec/ward/pkg/evidence"
	"github.com/wardsec/ward/pkg/mds2"
	"github.com/wardsec/ward/pkg/sim"
)

func mapping(t testing.TB) *mds2.Mapping {
	t.Helper()
	m, err := mds2.Default()
	require.NoError(t, err)
	return m
}

func answers(f *mds2.Form) map[string]mds2.Answer {
	out := map[string]mds2.Answer{}
	for _, a := range f.Targets[0].Answers {
		out[a.ID] = a
	}
	return out
}

// On the secure simulator every question mapped to satisfied controls is
// answered with its secure answer, each answer cites its controls,
// outcomes and artifacts, and the observations come from the artifacts.
func TestSecureSimulatorFillsTheSecureAnswers(t *testing.T) {
	m := mapping(t)
	sr := checkSim(t, "sim://infusion-pump")
	f, err := mds2.Fill(sr.run, m)
	require.NoError(t, err)
	require.Len(t, f.Targets, 1)
	assert.Equal(t, mds2.SchemaVersion, f.Schema)
	got := answers(f)
	counts := map[string]int{}
	for _, q := range m.Questions() {
		a := got[q.ID]
		if a.Answered {
			counts[a.Basis]++
		}
		switch {
		case q.Manual != "":
			assert.False(t, a.Answered, q.ID)
			assert.Equal(t, q.Manual, a.Reason)
		case q.Rule == mds2.RuleInverted:
			assert.Equal(t, mds2.No, a.Answer, "%s: %s", q.ID, a.Reason)
		case len(q.Controls) > 0 && q.Controls[0] == "NPRM-164.312-h-2":
			// Procedural, and no attestation was given: for the maker.
			assert.False(t, a.Answered, q.ID)
			assert.Contains(t, a.Reason, "not-assessed")
		case len(q.Controls) > 0 || q.Observe != "":
			assert.Equal(t, mds2.Yes, a.Answer, "%s: %s", q.ID, a.Reason)
		}
	}
	t.Logf("sim://infusion-pump: %d of %d questions answered from evidence (%v)", f.Targets[0].Answered, len(m.Questions()), counts)
	assert.Equal(t, counts["controls"]+counts["observed"]+counts["identity"], f.Targets[0].Answered)

	stcf := got["STCF-1"]
	require.Len(t, stcf.Controls, 1)
	assert.Equal(t, evidence.Satisfied, stcf.Controls[0].Outcome)
	require.NotEmpty(t, stcf.Controls[0].Artifacts)
	for _, p := range stcf.Controls[0].Artifacts {
		_, err := os.Stat(filepath.Join(sr.bundle, filepath.FromSlash(p)))
		assert.NoError(t, err, "artifact %s is in the bundle", p)
	}
	// The observation names the artifact it was read from, stored in the
	// bundle by its digest.
	i := slices.IndexFunc(got["CONN-3"].Observed, func(o string) bool { return strings.HasPrefix(o, "tcp/443 listening (") })
	require.GreaterOrEqual(t, i, 0, "%v", got["CONN-3"].Observed)
	art := strings.TrimSuffix(strings.TrimPrefix(got["CONN-3"].Observed[i], "tcp/443 listening ("), ")")
	assert.True(t, strings.HasPrefix(art, "objects/sha256/"), art)
	_, err = os.Stat(filepath.Join(sr.bundle, filepath.FromSlash(art)))
	assert.NoError(t, err, "observed artifact %s is in the bundle", art)
	assert.Equal(t, mds2.Yes, got["CONN-7"].Answer)
	assert.Equal(t, "Ward Simulated Devices", got["DOC-1"].Answer)
}

// Under each weakness toggle the form changes exactly the answers tied to
// the controls the weakness fails: protection questions turn to No,
// inverted ones to Yes, sufficient ones to unanswered (their control checks
// more than they ask), and no other answer moves (questions asking
// whether a function exists stay Yes: a failed check still exercised it).
func TestEachWeaknessChangesExactlyItsAnswers(t *testing.T) {
	m := mapping(t)
	secure := checkSim(t, "sim://infusion-pump").run
	base, err := mds2.Fill(secure, m)
	require.NoError(t, err)
	baseAns := answers(base)
	for _, w := range sim.Weaknesses() {
		t.Run(w.Name, func(t *testing.T) {
			if skipUnapproved(t, w) {
				t.Skip("the unit does not start in FIPS 140-only mode (pkg/harness tests that)")
			}
			f, err := mds2.Fill(weakened(secure, w), m)
			require.NoError(t, err)
			var want, changed []string
			for _, q := range m.Questions() {
				tied := q.Rule != mds2.RulePresent && slices.ContainsFunc(q.Controls, func(id string) bool { return slices.Contains(w.Fails, id) })
				if tied {
					want = append(want, q.ID)
				}
			}
			for id, a := range answers(f) {
				b := baseAns[id]
				if a.Answer != b.Answer || a.Answered != b.Answered {
					changed = append(changed, id)
					q, _ := m.Question(id)
					switch q.Rule {
					case mds2.RuleInverted:
						assert.Equal(t, mds2.Yes, a.Answer, id)
					case mds2.RuleSufficient:
						assert.False(t, a.Answered, id)
						assert.Contains(t, a.Reason, "for the maker", id)
					default:
						assert.Equal(t, mds2.No, a.Answer, id)
					}
					assert.Contains(t, a.Reason, "not satisfied", id)
				}
			}
			slices.Sort(changed)
			slices.Sort(want)
			assert.Equal(t, want, changed)
		})
	}
}

// The derived weak runs above are what real checks produce: real checks
// under plaintext-storage and unsigned-updates fill the same answers.
func TestRealWeakRunsMatchTheDerivedOnes(t *testing.T) {
	m := mapping(t)
	for _, tc := range []struct {
		weakness string
		want     map[string]string // question -> answer
	}{
		{"plaintext-storage", map[string]string{"STCF-1": mds2.No, "PAUT-14.1": mds2.No, "ALOF-1": mds2.Yes}},
		{"unsigned-updates", map[string]string{"SAHD-12": mds2.Yes, "SAHD-3": mds2.No, "SAHD-3.2": "", "CSUP-1": mds2.Yes}},
	} {
		t.Run(tc.weakness, func(t *testing.T) {
			var w sim.Weakness
			for _, x := range sim.Weaknesses() {
				if x.Name == tc.weakness {
					w = x
				}
			}
			require.NotEmpty(t, w.Fails)
			real, err := mds2.Fill(checkSim(t, "sim://infusion-pump?weaken="+w.Name).run, m)
			require.NoError(t, err)
			derived, err := mds2.Fill(weakened(checkSim(t, "sim://infusion-pump").run, w), m)
			require.NoError(t, err)
			ra, da := answers(real), answers(derived)
			for id := range da {
				assert.Equal(t, da[id].Answer, ra[id].Answer, id)
			}
			for id, want := range tc.want {
				assert.Equal(t, want, ra[id].Answer, "%s: %s", id, ra[id].Reason)
			}
		})
	}
}

// Never Yes from a doubt: a question whose controls are not applicable,
// not assessed, waived, errored or absent from the run is left for the
// maker with the reason, under every rule.
func TestDoubtNeverAnswersYes(t *testing.T) {
	m := mapping(t)
	secure := checkSim(t, "sim://infusion-pump").run
	for _, out := range []evidence.Outcome{evidence.NotApplicable, evidence.NotAssessed, evidence.Waived, evidence.Error, ""} {
		t.Run(string(out)+"-", func(t *testing.T) {
			run := *secure
			tg := secure.Targets[0]
			tg.Controls = slices.Clone(tg.Controls)
			if out == "" {
				tg.Controls = nil // none in the run
			}
			for i := range tg.Controls {
				tg.Controls[i].Outcome = out
				tg.Controls[i].Reason = "because"
			}
			run.Targets = []evidence.Target{tg}
			f, err := mds2.Fill(&run, m)
			require.NoError(t, err)
			for _, a := range f.Targets[0].Answers {
				if a.Basis != "controls" {
					continue
				}
				assert.False(t, a.Answered, "%s answered %q from %s", a.ID, a.Answer, out)
				assert.Empty(t, a.Answer, a.ID)
				assert.Contains(t, a.Reason, "for the maker", a.ID)
				assert.False(t, a.Present, a.ID)
			}
		})
	}
}

func TestFillRefusesAnEmptyRun(t *testing.T) {
	_, err := mds2.Fill(&evidence.Run{}, mapping(t))
	assert.ErrorIs(t, err, mds2.ErrNoTargets)
}

// BenchmarkFill measures filling the form for one target of a real run
// of the secure simulator (its 46 controls and their artifacts).
func BenchmarkFill(b *testing.B) {
	m := mapping(b)
	sr := checkSim(b, "sim://infusion-pump")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := mds2.Fill(sr.run, m); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSupplement measures what the form adds to each target of a
// bundle: filling it, the JSON and the workbook (compare BenchmarkFill).
func BenchmarkSupplement(b *testing.B) {
	m := mapping(b)
	sr := checkSim(b, "sim://infusion-pump")
	fn, err := mds2.Supplement(m, sr.run.ID)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := fn(0, &sr.run.Targets[0]); err != nil {
			b.Fatal(err)
		}
	}
}
