package mds2

import (
	"fmt"
	"strings"
)

// Verdicts on a vendor's claim.
const (
	Contradicted = "contradicted"
	Confirmed    = "confirmed"
	Untestable   = "untestable"
)

// Finding is the verdict on one claim.
type Finding struct {
	ID       string `json:"id"`
	Question string `json:"question"`
	Claimed  string `json:"claimed"`
	// Measured is Ward's answer ("" when it has none).
	Measured string `json:"measured"`
	Verdict  string `json:"verdict"`
	Reason   string `json:"reason"`
	Where    string `json:"where"`
	// Controls and Observed are the evidence Ward's answer rests on.
	Controls []ControlEvidence `json:"controls,omitempty"`
	Observed []string          `json:"observed,omitempty"`
}

// Comparison is every claim of a vendor's form against one target.
type Comparison struct {
	Target       string    `json:"target"`
	Contradicted []Finding `json:"contradicted"`
	Confirmed    []Finding `json:"confirmed"`
	Untestable   []Finding `json:"untestable"`
}

// Compare judges each claim against the target's filled form:
// contradicted when the evidence says otherwise (claimed Yes, measured
// No; claimed N/A or No where the evidence shows the function, such as a
// network service that was found), confirmed when it agrees, untestable
// when Ward has no answer.
func Compare(t TargetForm, claims []Claim) Comparison {
	byID := make(map[string]Answer, len(t.Answers))
	for _, a := range t.Answers {
		byID[a.ID] = a
	}
	cmp := Comparison{Target: t.URI}
	for _, c := range claims {
		a, ok := byID[c.ID]
		f := Finding{ID: c.ID, Claimed: c.Answer, Where: c.Where}
		if ok {
			f.Question, f.Measured, f.Controls, f.Observed = a.Question, a.Answer, a.Controls, a.Observed
		}
		f.Verdict, f.Reason = judge(a, ok, c)
		switch f.Verdict {
		case Contradicted:
			cmp.Contradicted = append(cmp.Contradicted, f)
		case Confirmed:
			cmp.Confirmed = append(cmp.Confirmed, f)
		default:
			cmp.Untestable = append(cmp.Untestable, f)
		}
	}
	return cmp
}

func judge(a Answer, ok bool, c Claim) (verdict, reason string) {
	switch {
	case !ok:
		return Untestable, "not a question of the filled form"
	case c.Answer == "":
		return Untestable, "no answer claimed"
	case c.Answer == "See Note":
		return Untestable, "claimed \"See Note\": nothing to test"
	case !a.Answered:
		return Untestable, a.Reason
	}
	if a.Basis == "identity" {
		got, claimed := strings.ToLower(a.Answer), strings.ToLower(c.Answer)
		if strings.Contains(got, claimed) || strings.Contains(claimed, got) {
			return Confirmed, "the device reports " + a.Answer
		}
		return Contradicted, "the device reports " + a.Answer
	}
	switch c.Answer {
	case Yes, No:
	case NA:
		if a.Present {
			return Contradicted, "claimed N/A, but the evidence shows the function: " + evidenceLine(a)
		}
		return Untestable, "claimed N/A; " + a.Reason
	default:
		return Untestable, fmt.Sprintf("claim %q is not Yes, No or N/A", c.Answer)
	}
	if c.Answer == a.Answer {
		return Confirmed, evidenceLine(a)
	}
	return Contradicted, fmt.Sprintf("claimed %s, measured %s: %s", c.Answer, a.Answer, evidenceLine(a))
}

func evidenceLine(a Answer) string {
	if len(a.Observed) > 0 {
		return "observed " + strings.Join(a.Observed, "; ")
	}
	return a.Reason
}
