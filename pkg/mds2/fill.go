package mds2

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"slices"
	"strings"

	"github.com/wardsec/ward/internal/safetext"
	"github.com/wardsec/ward/pkg/device"
	"github.com/wardsec/ward/pkg/evidence"
)

// SchemaVersion names the JSON layout of a Form (docs/mds2.md). It changes
// when a field changes meaning or goes away; new fields may appear
// without a change.
const SchemaVersion = "ward-mds2/1"

// The answers a question can get.
const (
	Yes = "Yes"
	No  = "No"
	NA  = "N/A"
)

// ErrNoTargets reports a run with no target to fill a form for.
var ErrNoTargets = errors.New("mds2: the run has no target")

// Form is the MDS2 filled from one run: one TargetForm per target.
type Form struct {
	Schema   string       `json:"schema"`
	Form     string       `json:"form"`
	Standard string       `json:"standard"`
	RunID    string       `json:"run_id"`
	Targets  []TargetForm `json:"targets"`
}

// TargetForm is the form for one device.
type TargetForm struct {
	Index    int             `json:"index"` // position in the run's target list
	URI      string          `json:"uri"`
	Identity device.Identity `json:"identity"`
	// Error is the target's error (it could not be opened or identified).
	Error string `json:"error,omitempty"`
	// Answered counts the questions answered from evidence.
	Answered int      `json:"answered"`
	Answers  []Answer `json:"answers"`
}

// Answer is one question's answer and what it rests on.
type Answer struct {
	ID       string `json:"id"`
	Section  string `json:"section"`
	Question string `json:"question"`
	// Answer is Yes or No (or the reported text for an identity
	// question); empty when the question is left for the maker.
	Answer   string `json:"answer"`
	Answered bool   `json:"answered"`
	// Basis is how the question is answered: "controls", "observed",
	// "identity" or "manual".
	Basis string `json:"basis"`
	Rule  Rule   `json:"rule,omitempty"`
	// Reason says in one line why this answer, or why none.
	Reason string `json:"reason"`
	// Present is set when the evidence shows the device has the function
	// the question is about (a mapped control was assessed, or the
	// observation was made), whatever the answer.
	Present  bool              `json:"present"`
	Controls []ControlEvidence `json:"controls,omitempty"`
	Observed []string          `json:"observed,omitempty"`
	Note     string            `json:"note,omitempty"`
}

// ControlEvidence is one control's outcome on the target, as an answer
// cites it.
type ControlEvidence struct {
	ID        string           `json:"id"`
	Outcome   evidence.Outcome `json:"outcome"`
	Reason    string           `json:"reason,omitempty"`
	Scenarios []string         `json:"scenarios,omitempty"`
	// Artifacts are the bundle-relative paths of the files the control's
	// scenarios captured.
	Artifacts []string `json:"artifacts,omitempty"`
}

// Fill answers the mapping's questions for every target of run. It reads
// only run (pass a run read with evidence.ReadVerifiedRun: observations
// are made from the artifacts' content).
func Fill(run *evidence.Run, m *Mapping) (*Form, error) {
	if run == nil || m == nil {
		return nil, errors.New("mds2: Fill needs a run and a mapping")
	}
	if len(run.Targets) == 0 {
		return nil, ErrNoTargets
	}
	f := &Form{Schema: SchemaVersion, Form: m.ID, Standard: m.Standard, RunID: run.ID}
	for i := range run.Targets {
		f.Targets = append(f.Targets, fillTarget(i, &run.Targets[i], m))
	}
	return f, nil
}

func fillTarget(index int, t *evidence.Target, m *Mapping) TargetForm {
	tf := TargetForm{Index: index, URI: t.URI, Identity: t.Identity, Error: t.Error}
	ctls := make(map[string]*evidence.Control, len(t.Controls))
	for i := range t.Controls {
		ctls[t.Controls[i].ID] = &t.Controls[i]
	}
	scns := make(map[string]*evidence.Scenario, len(t.Scenarios))
	for i := range t.Scenarios {
		scns[t.Scenarios[i].ID] = &t.Scenarios[i]
	}
	obs := observe(t)
	// Many questions cite the same control: gather its evidence once.
	cited := map[string]ControlEvidence{}
	for _, q := range m.Questions() {
		a := Answer{ID: q.ID, Section: q.Section, Question: q.Text, Rule: q.Rule, Note: q.Note}
		switch {
		case len(q.Controls) > 0:
			a.Basis = "controls"
			answerFromControls(&a, q, ctls, scns, cited)
		case q.Observe != "":
			a.Basis = "observed"
			if seen := obs[q.Observe]; len(seen) > 0 {
				a.Answer, a.Answered, a.Present, a.Observed = Yes, true, true, seen
				a.Reason = "observed: " + q.Observe
			} else {
				a.Reason = fmt.Sprintf("no %s observed; not seeing it does not prove it absent", q.Observe)
			}
		case q.Identity != "":
			a.Basis = "identity"
			if v := identityField(t.Identity, q.Identity); v != "" {
				a.Answer, a.Answered = v, true
				a.Reason = "the device's reported " + q.Identity
			} else {
				a.Reason = "the device reported no " + q.Identity
			}
		default:
			a.Basis = "manual"
			a.Reason = q.Manual
		}
		if a.Answered {
			tf.Answered++
		}
		tf.Answers = append(tf.Answers, a)
	}
	return tf
}

func answerFromControls(a *Answer, q Question, ctls map[string]*evidence.Control, scns map[string]*evidence.Scenario, cited map[string]ControlEvidence) {
	var failed, doubt []string
	assessed := true
	for _, id := range q.Controls {
		c, ok := ctls[id]
		if !ok {
			a.Controls = append(a.Controls, ControlEvidence{ID: id, Outcome: "", Reason: "not in this run"})
			doubt = append(doubt, id+" was not in this run")
			assessed = false
			continue
		}
		ce, ok := cited[id]
		if !ok {
			ce = ControlEvidence{ID: id, Outcome: c.Outcome, Reason: c.Reason, Scenarios: c.Scenarios}
			seen := map[string]bool{}
			for _, sid := range c.Scenarios {
				if s, ok := scns[sid]; ok {
					for _, art := range s.Artifacts {
						if art.Path != "" && !seen[art.Path] {
							seen[art.Path] = true
							ce.Artifacts = append(ce.Artifacts, art.Path)
						}
					}
				}
			}
			cited[id] = ce
		}
		a.Controls = append(a.Controls, ce)
		switch c.Outcome {
		case evidence.Satisfied:
		case evidence.NotSatisfied:
			failed = append(failed, id)
		default:
			assessed = false
			why := string(c.Outcome)
			if c.Reason != "" {
				why += ": " + c.Reason
			}
			doubt = append(doubt, id+" "+why)
		}
	}
	a.Present = assessed
	unanswered := func() {
		a.Reason = "unanswered, for the maker: " + strings.Join(doubt, "; ")
	}
	switch q.Rule {
	case RulePresent:
		if assessed {
			a.Answer, a.Answered = Yes, true
			a.Reason = "the checks exercised this function (" + strings.Join(q.Controls, ", ") + ")"
		} else {
			unanswered()
		}
	case RuleSufficient:
		switch {
		case len(failed) > 0:
			a.Present = true
			doubt = append([]string{"not satisfied: " + strings.Join(failed, ", ") + ", which checks more than this question asks"}, doubt...)
			unanswered()
		case len(doubt) > 0:
			unanswered()
		default:
			a.Answer, a.Answered = Yes, true
			a.Reason = "satisfied: " + strings.Join(q.Controls, ", ")
		}
	case RuleProtection, RuleInverted:
		yes, no := Yes, No
		if q.Rule == RuleInverted {
			yes, no = No, Yes
		}
		switch {
		case len(failed) > 0:
			a.Answer, a.Answered = no, true
			a.Reason = "not satisfied: " + strings.Join(failed, ", ")
			// A failed check exercised the function too.
			a.Present = true
		case len(doubt) > 0:
			unanswered()
		default:
			a.Answer, a.Answered = yes, true
			a.Reason = "satisfied: " + strings.Join(q.Controls, ", ")
		}
	}
}

func identityField(id device.Identity, field string) string {
	var v string
	switch field {
	case "manufacturer":
		v = id.Manufacturer
	case "model":
		v = id.Model
	case "serial":
		v = id.Serial
	case "firmware":
		v = id.Firmware
	case "udi":
		v = id.UDI
	}
	// Device-supplied: printable and bounded before it reaches a form.
	return safetext.Clip(strings.TrimSpace(v), 200)
}

// maxObservedArtifact bounds the artifact bytes observe parses.
const maxObservedArtifact = 4 << 20

// observe reads the observations the mapping knows from t's artifacts:
// ports.json (a "listening" and a "documented" list of ports) and
// services.json (probed network services). Artifacts without content
// (a slim run) give no observations.
func observe(t *evidence.Target) map[string][]string {
	out := map[string][]string{}
	add := func(kind, what string) {
		if len(out[kind]) < 32 && !slices.Contains(out[kind], what) {
			out[kind] = append(out[kind], what)
		}
	}
	type port struct {
		Proto string `json:"proto"`
		Port  int    `json:"port"`
	}
	portName := func(p port) string {
		proto := p.Proto
		if proto != "tcp" && proto != "udp" {
			proto = "?"
		}
		return fmt.Sprintf("%s/%d", proto, p.Port)
	}
	for _, s := range t.Scenarios {
		for _, art := range s.Artifacts {
			if len(art.Data) == 0 || len(art.Data) > maxObservedArtifact {
				continue
			}
			// Step artifacts are named "stepNN-<what>" by the harness.
			name := path.Base(art.Name)
			if i := strings.IndexByte(name, '-'); i >= 0 && strings.HasPrefix(name, "step") {
				name = name[i+1:]
			}
			switch name {
			case "ports.json":
				var ports map[string][]port
				if json.Unmarshal(art.Data, &ports) != nil {
					continue
				}
				for _, p := range ports["listening"] {
					if p.Port > 0 && p.Port < 65536 {
						add(ObserveNetworkService, portName(p)+" listening"+where(art))
					}
				}
				for _, p := range ports["documented"] {
					if p.Port > 0 && p.Port < 65536 {
						add(ObserveDocumentedPorts, portName(p)+" documented"+where(art))
					}
				}
			case "services.json":
				var svcs []device.ServiceReport
				dec := json.NewDecoder(bytes.NewReader(art.Data))
				if dec.Decode(&svcs) != nil {
					continue
				}
				for _, r := range svcs {
					if r.Address == "" {
						continue
					}
					addr := safetext.Clip(r.Address, 80)
					add(ObserveNetworkService, "service at "+addr+where(art))
					if r.Certificates > 0 {
						add(ObserveTLSService, "TLS service at "+addr+where(art))
					}
				}
			}
		}
	}
	return out
}

// where names the artifact an observation comes from: its bundle path,
// or nothing for a run that was not written to a bundle.
func where(a evidence.Artifact) string {
	if a.Path == "" {
		return ""
	}
	return " (" + a.Path + ")"
}
