package evidence

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// shards writes run as n shard bundles (shard I holds targets I-1, I-1+n...).
func shards(t *testing.T, run *Run, n int) []string {
	t.Helper()
	parent := t.TempDir()
	var dirs []string
	for i := 1; i <= n; i++ {
		s := *run
		s.Shard = &Shard{Index: i, Count: n}
		s.Targets = nil
		for k, tg := range run.Targets {
			if k%n == i-1 {
				s.Targets = append(s.Targets, tg)
			}
		}
		dir, err := Write(t.Context(), parent, &s, WithSigner(vectorKey()), WithName(fmt.Sprintf("shard%d", i)))
		if err != nil {
			t.Fatal(err)
		}
		dirs = append(dirs, dir)
	}
	return dirs
}

// Streamed, the merge gives each target at its place in the fleet, with
// the scenario ids an unsharded run gives it, and its artifacts.
func TestOpenMergePutsTargetsInFleetOrder(t *testing.T) {
	run := fleetRun(t, 7)
	dirs := shards(t, run, 3)
	mr, err := OpenMerge(t.Context(), []string{dirs[2], dirs[0], dirs[1]}, trustedKey(), "merged")
	if err != nil {
		t.Fatal(err)
	}
	if mr.Len() != 7 || mr.Head().ID != "merged" || len(mr.Head().MergedFrom) != 3 || mr.Head().Targets != nil {
		t.Fatalf("head %+v, %d targets", mr.Head(), mr.Len())
	}
	got := make([]*Target, 7)
	if err := mr.Each(t.Context(), func(i int, tg *Target) error {
		if got[i] != nil {
			return fmt.Errorf("target %d given twice", i)
		}
		got[i] = tg
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	for i, tg := range got {
		if tg == nil || tg.URI != run.Targets[i].URI {
			t.Fatalf("position %d: %v", i, tg)
		}
		want := run.Targets[i]
		renumber(&want, i+1, 7)
		ids := func(tg *Target) (out []string) {
			for _, s := range tg.Scenarios {
				out = append(out, s.ID)
				for _, a := range s.Artifacts {
					out = append(out, a.Name+":"+string(a.Data))
				}
			}
			return out
		}
		if diff := cmp.Diff(ids(&want), ids(tg)); diff != "" {
			t.Errorf("target %d scenarios and artifacts (-want +got):\n%s", i, diff)
		}
	}
}

// A byte changed between OpenMerge (which verified it) and Each (which
// reads it) is caught, in an artifact and in results.json.
func TestOpenMergeCatchesChangesAfterVerifying(t *testing.T) {
	for _, what := range []string{"artifact", "results"} {
		t.Run(what, func(t *testing.T) {
			dirs := shards(t, sampleRun(), 2)
			mr, err := OpenMerge(t.Context(), dirs, trustedKey(), "merged")
			if err != nil {
				t.Fatal(err)
			}
			victim := filepath.Join(dirs[0], ResultsFile)
			if what == "artifact" {
				run, err := ReadRun(dirs[0])
				if err != nil {
					t.Fatal(err)
				}
				victim = filepath.Join(dirs[0], filepath.FromSlash(run.Targets[0].Scenarios[0].Artifacts[0].Path))
			}
			data, err := os.ReadFile(victim)
			if err != nil {
				t.Fatal(err)
			}
			data[len(data)/2] ^= 1
			if err := os.WriteFile(victim, data, 0o644); err != nil {
				t.Fatal(err)
			}
			err = mr.Each(t.Context(), func(int, *Target) error { return nil })
			if !errors.Is(err, ErrAltered) {
				t.Errorf("got %v, want ErrAltered", err)
			}
		})
	}
}

// Shards whose sizes cannot come from one fleet are refused before
// anything is read twice.
func TestOpenMergeRefusesShardsOfAnotherFleet(t *testing.T) {
	a := shards(t, fleetRun(t, 6), 2)
	b := shards(t, fleetRun(t, 2), 2)
	_, err := OpenMerge(t.Context(), []string{a[0], b[1]}, trustedKey(), "merged")
	if !errors.Is(err, ErrMergeMismatch) {
		t.Errorf("got %v, want ErrMergeMismatch", err)
	}
}

func TestScanRunRefusesWhatIsNotARun(t *testing.T) {
	for name, in := range map[string]string{
		"array":        `[]`,
		"no targets":   `{"id":"x"}`,
		"two targets":  `{"targets":[],"targets":[]}`,
		"trailing":     `{"targets":[]} {}`,
		"truncated":    `{"targets":[{"uri":"a"}`,
		"targets text": `{"targets":"a"}`,
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := scanRun(t.Context(), strings.NewReader(in), func(json.RawMessage) error { return nil }); err == nil {
				t.Error("accepted")
			}
		})
	}
}

// Diff of the streamed outcomes equals Diff of the whole runs, and a
// bundle altered on disk is refused.
func TestReadVerifiedOutcomesDiffsAsTheWholeRun(t *testing.T) {
	old := fleetRun(t, 7)
	next := fleetRun(t, 7)
	next.ID = "next"
	flips := 0
	for i := range next.Targets {
		for j := range next.Targets[i].Controls {
			if (i+j)%5 == 0 {
				c := &next.Targets[i].Controls[j]
				if c.Outcome == Satisfied {
					c.Outcome = NotSatisfied
				} else {
					c.Outcome = Satisfied
				}
				flips++
			}
		}
	}
	if flips == 0 {
		t.Fatal("the test changed no outcome")
	}
	parent := t.TempDir()
	var dirs []string
	for i, r := range []*Run{old, next} {
		dir, err := Write(t.Context(), parent, r, WithSigner(vectorKey()), WithName(fmt.Sprintf("run%d", i)))
		if err != nil {
			t.Fatal(err)
		}
		dirs = append(dirs, dir)
	}
	var whole, slim [2]*Run
	for i, d := range dirs {
		r, _, err := ReadVerifiedRun(t.Context(), d, trustedKey())
		if err != nil {
			t.Fatal(err)
		}
		whole[i] = r
		if slim[i], err = ReadVerifiedOutcomes(t.Context(), d, trustedKey()); err != nil {
			t.Fatal(err)
		}
		for _, tg := range slim[i].Targets {
			if tg.Scenarios != nil {
				t.Fatalf("%s: scenarios kept", tg.URI)
			}
		}
	}
	want := Diff(whole[0], whole[1])
	if len(want) == 0 {
		t.Fatal("no change between the runs")
	}
	if d := cmp.Diff(want, Diff(slim[0], slim[1])); d != "" {
		t.Errorf("streamed diff differs (-whole +streamed):\n%s", d)
	}

	victim := filepath.Join(dirs[1], ResultsFile)
	data, err := os.ReadFile(victim)
	if err != nil {
		t.Fatal(err)
	}
	data[len(data)/2] ^= 1
	if err := os.WriteFile(victim, data, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadVerifiedOutcomes(t.Context(), dirs[1], trustedKey()); !errors.Is(err, ErrAltered) {
		t.Errorf("altered bundle: got %v, want ErrAltered", err)
	}
}
