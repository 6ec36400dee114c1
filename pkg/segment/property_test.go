package segment

import (
	"context"
	"math/rand/v2"
	"testing"
	"time"
)

// TestEngineMatchesReference checks the compiled engine against the simple
// reference evaluator on random policies, random quarantines and random
// flows: fixed seeds (reproducible) plus one fresh seed, logged.
func TestEngineMatchesReference(t *testing.T) {
	seeds := []uint64{1, 2, 3, 42, 2026}
	fresh := uint64(time.Now().UnixNano())
	t.Logf("fresh seed %d (rerun a failure by adding it to seeds)", fresh)
	seeds = append(seeds, fresh)
	policies, flows := 300, 200
	if testing.Short() {
		policies = 60
	}
	total := 0
	reasons := map[Reason]int{}
	for _, seed := range seeds {
		g := &gen{r: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))}
		for pi := range policies {
			p := g.policy()
			if errs := Errors(Validate(p)); len(errs) > 0 {
				t.Fatalf("seed %d policy %d: generator made an invalid policy: %v", seed, pi, errs)
			}
			res := &fakeResolver{answers: g.dns}
			e, err := Compile(context.Background(), p, WithResolver(res))
			if err != nil {
				t.Fatalf("seed %d policy %d: %v", seed, pi, err)
			}
			ref := &refEngine{p: p, dns: g.dns, quarDev: map[string]bool{}, quarZone: map[string]bool{}}
			if g.r.IntN(3) == 0 {
				if len(p.Devices) > 0 {
					n := p.Devices[g.r.IntN(len(p.Devices))].Name
					if _, err := e.Quarantine("device", n); err != nil {
						t.Fatal(err)
					}
					ref.quarDev[n] = true
				}
				if g.r.IntN(2) == 0 {
					n := p.Zones[g.r.IntN(len(p.Zones))].Name
					if _, err := e.Quarantine("zone", n); err != nil {
						t.Fatal(err)
					}
					ref.quarZone[n] = true
				}
			}
			for range flows {
				f := g.flow()
				got, want := e.Decide(f), ref.decide(f)
				if got != want {
					t.Fatalf("seed %d policy %d flow %s:\n engine    %+v\n reference %+v\n%s", seed, pi, f, got, want, e.Explain(f))
				}
				total++
				reasons[got.Reason]++
				if got.Also != "" {
					reasons[0]++
				}
			}
		}
	}
	t.Logf("%d decisions agreed: %v", total, reasons)
	// The generator must exercise every path, or agreement proves little.
	for _, r := range []Reason{0, ReasonDefault, ReasonRule, ReasonConduit, ReasonUnknown, ReasonQuarantine} {
		if reasons[r] < total/1000 {
			t.Errorf("only %d of %d decisions took path %v", reasons[r], total, r)
		}
	}
}
