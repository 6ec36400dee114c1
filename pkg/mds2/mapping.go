package mds2

import (
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"slices"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/gohcl"
	"github.com/hashicorp/hcl/v2/hclsyntax"

	"github.com/wardsec/ward/controls"
	"github.com/wardsec/ward/internal/inputlimit"
	"github.com/wardsec/ward/pkg/control"
)

// Rule says how the outcomes of a question's controls become its answer.
type Rule string

// The rules a question with controls may use.
const (
	// RuleProtection: the question asks whether a protection is there.
	// Yes when every control is satisfied, No when any is not satisfied.
	RuleProtection Rule = "protection"
	// RuleInverted: the question asks whether a weakness is there. No
	// when every control is satisfied, Yes when any is not satisfied.
	RuleInverted Rule = "inverted"
	// RuleSufficient: the controls check more than the question asks, so
	// their success shows Yes but their failure may have another cause.
	// Yes when every control is satisfied; otherwise unanswered.
	RuleSufficient Rule = "sufficient"
	// RulePresent: the question asks whether the device has a function.
	// Yes when every control was assessed (satisfied or not satisfied),
	// since the checks exercised the function; never No.
	RulePresent Rule = "present"
)

// The observations a question may be answered from (Question.Observe).
const (
	// ObserveNetworkService: Ward reached a network service of the device
	// or the device listed a listening port.
	ObserveNetworkService = "network-service"
	// ObserveTLSService: a service of the device presented a certificate
	// in a TLS handshake.
	ObserveTLSService = "tls-service"
	// ObserveDocumentedPorts: the device (or its profile) documents the
	// ports it uses.
	ObserveDocumentedPorts = "documented-ports"
)

var (
	observations = []string{ObserveDocumentedPorts, ObserveNetworkService, ObserveTLSService}
	identities   = []string{"firmware", "manufacturer", "model", "serial", "udi"}
	// section codes ("AUTH") and question ids ("AUTH-1", "CONN-1.1.2")
	sectionRe  = regexp.MustCompile(`^[A-Z]{3,4}$`)
	questionRe = regexp.MustCompile(`^([A-Z]{3,4})-[1-9][0-9]?(\.[1-9][0-9]?){0,2}$`)
)

// Limits on a mapping, so a hostile --controls directory cannot make the
// loader hold or print without bound.
const (
	maxQuestions = 2000
	maxText      = 1000
)

// Question is one question of the form and how Ward answers it. Exactly
// one of Controls, Observe, Identity and Manual is set.
type Question struct {
	ID      string `json:"id"`
	Section string `json:"section"`
	Text    string `json:"text"`
	// Controls are the catalogue controls whose outcomes answer the
	// question, by Rule.
	Controls []string `json:"controls,omitempty"`
	Rule     Rule     `json:"rule,omitempty"`
	// Observe names an observation (ObserveNetworkService...).
	Observe string `json:"observe,omitempty"`
	// Identity names a field of the device's identity ("model").
	Identity string `json:"identity,omitempty"`
	// Manual says why Ward cannot answer from evidence.
	Manual string `json:"manual,omitempty"`
	// Note is shown beside the answer.
	Note string `json:"note,omitempty"`

	Range hcl.Range `json:"-"`
}

// Section is one capability group of the form.
type Section struct {
	Code      string     `json:"code"`
	Title     string     `json:"title"`
	Questions []Question `json:"questions"`
}

// Mapping is the form's questions and how each is answered.
type Mapping struct {
	ID       string    `json:"id"` // "hn1-2019"
	Standard string    `json:"standard"`
	Title    string    `json:"title"`
	Sections []Section `json:"sections"`
}

// Questions returns every question in form order.
func (m *Mapping) Questions() []Question {
	var qs []Question
	for _, s := range m.Sections {
		qs = append(qs, s.Questions...)
	}
	return qs
}

// Question returns the question with id.
func (m *Mapping) Question(id string) (Question, bool) {
	for _, s := range m.Sections {
		for _, q := range s.Questions {
			if q.ID == id {
				return q, true
			}
		}
	}
	return Question{}, false
}

type formBody struct {
	Standard string        `hcl:"standard"`
	Title    string        `hcl:"title"`
	Sections []sectionBody `hcl:"section,block"`
}

type sectionBody struct {
	Code      string         `hcl:"code,label"`
	CodeRange hcl.Range      `hcl:"code,label_range"`
	Title     string         `hcl:"title"`
	Questions []questionBody `hcl:"question,block"`
}

type questionBody struct {
	ID        string    `hcl:"id,label"`
	IDRange   hcl.Range `hcl:"id,label_range"`
	Text      string    `hcl:"text"`
	Controls  []string  `hcl:"controls,optional"`
	CtlRange  hcl.Range `hcl:"controls,attr_value_range"`
	Rule      string    `hcl:"rule,optional"`
	RuleRange hcl.Range `hcl:"rule,attr_value_range"`
	Observe   string    `hcl:"observe,optional"`
	Identity  string    `hcl:"identity,optional"`
	Manual    string    `hcl:"manual,optional"`
	Note      string    `hcl:"note,optional"`
	DeclRange hcl.Range `hcl:",def_range"`
}

// Default returns the mapping embedded in Ward (controls/mds2.hcl).
func Default() (*Mapping, error) {
	m, diags := LoadMapping(controls.FS)
	if diags.HasErrors() {
		return nil, fmt.Errorf("mds2: embedded mapping: %s", diags.Error())
	}
	return m, nil
}

// LoadMapping reads the mds2_form block from the *.hcl files under fsys
// (the catalogue directory: framework and control blocks are skipped),
// validates its shape and returns it. There must be exactly one
// mds2_form block. References to controls are checked by Lint.
func LoadMapping(fsys fs.FS) (*Mapping, hcl.Diagnostics) {
	var diags hcl.Diagnostics
	var names []string
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p != "." && strings.HasPrefix(d.Name(), ".") {
			if d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if !d.IsDir() && path.Ext(p) == ".hcl" {
			names = append(names, p)
		}
		return nil
	})
	if err != nil {
		return nil, append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Cannot read directory", Detail: err.Error()})
	}
	slices.Sort(names)
	schema := &hcl.BodySchema{Blocks: []hcl.BlockHeaderSchema{{Type: control.MDS2FormBlock, LabelNames: []string{"id"}}}}
	var forms []*hcl.Block
	for _, n := range names {
		data, err := readBounded(fsys, n)
		if err != nil {
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Cannot read file", Detail: err.Error()})
			continue
		}
		if err := inputlimit.CheckHCLNesting(data, inputlimit.MaxNesting); err != nil {
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Input too deeply nested", Detail: fmt.Sprintf("%s: %v", n, err)})
			continue
		}
		f, d := hclsyntax.ParseConfig(data, n, hcl.InitialPos)
		diags = append(diags, d...)
		if d.HasErrors() {
			continue
		}
		// The catalogue's own blocks are control's business.
		content, _, d := f.Body.PartialContent(schema)
		diags = append(diags, d...)
		forms = append(forms, content.Blocks...)
	}
	if diags.HasErrors() {
		return nil, diags
	}
	switch len(forms) {
	case 0:
		return nil, append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: NoMappingSummary,
			Detail: "No " + control.MDS2FormBlock + " block was found in the catalogue's *.hcl files."})
	case 1:
	default:
		return nil, append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "More than one MDS2 mapping",
			Detail: fmt.Sprintf("Found a second %s block; the catalogue holds one.", control.MDS2FormBlock), Subject: forms[1].DefRange.Ptr()})
	}
	m, d := decodeForm(forms[0])
	diags = append(diags, d...)
	if diags.HasErrors() {
		return nil, diags
	}
	return m, diags
}

// NoMappingSummary is the summary of the diagnostic LoadMapping returns
// for a catalogue that holds no mds2_form block.
const NoMappingSummary = "No MDS2 mapping"

func readBounded(fsys fs.FS, name string) ([]byte, error) {
	f, err := fsys.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return inputlimit.Read(f, name, inputlimit.MaxConfigFile)
}

func decodeForm(b *hcl.Block) (*Mapping, hcl.Diagnostics) {
	var body formBody
	diags := gohcl.DecodeBody(b.Body, nil, &body)
	if diags.HasErrors() {
		return nil, diags
	}
	m := &Mapping{ID: b.Labels[0], Standard: strings.TrimSpace(body.Standard), Title: strings.TrimSpace(body.Title)}
	errAt := func(r hcl.Range, summary, format string, args ...any) {
		diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: summary, Detail: fmt.Sprintf(format, args...), Subject: r.Ptr()})
	}
	seenSec := map[string]hcl.Range{}
	seenQ := map[string]hcl.Range{}
	n := 0
	for _, sb := range body.Sections {
		if !sectionRe.MatchString(sb.Code) {
			errAt(sb.CodeRange, "Invalid section code", "Section code %q is not three or four capital letters (\"AUTH\").", sb.Code)
		}
		if r, dup := seenSec[sb.Code]; dup {
			errAt(sb.CodeRange, "Duplicate section", "Section %q is already declared at %s.", sb.Code, r)
		}
		seenSec[sb.Code] = sb.CodeRange
		sec := Section{Code: sb.Code, Title: strings.TrimSpace(sb.Title)}
		for _, qb := range sb.Questions {
			n++
			if n > maxQuestions {
				errAt(qb.DeclRange, "Too many questions", "A mapping holds at most %d questions.", maxQuestions)
				return nil, diags
			}
			q := Question{ID: qb.ID, Section: sb.Code, Text: strings.TrimSpace(qb.Text), Controls: qb.Controls,
				Rule: Rule(qb.Rule), Observe: qb.Observe, Identity: qb.Identity, Manual: strings.TrimSpace(qb.Manual),
				Note: strings.TrimSpace(qb.Note), Range: qb.DeclRange}
			mt := questionRe.FindStringSubmatch(q.ID)
			switch {
			case mt == nil:
				errAt(qb.IDRange, "Invalid question id", "Question id %q is not a section code, \"-\" and a number such as \"AUTH-1\" or \"CONN-1.1.2\".", q.ID)
			case mt[1] != sb.Code:
				errAt(qb.IDRange, "Question in the wrong section", "Question %q belongs in section %q, not %q.", q.ID, mt[1], sb.Code)
			}
			if r, dup := seenQ[q.ID]; dup {
				errAt(qb.IDRange, "Duplicate question", "Question %q is already declared at %s.", q.ID, r)
			}
			seenQ[q.ID] = qb.IDRange
			if q.Text == "" || len(q.Text) > maxText || len(q.Manual) > maxText || len(q.Note) > maxText {
				errAt(qb.DeclRange, "Invalid question text", "Question %q needs a text, and text, manual and note of at most %d bytes.", q.ID, maxText)
			}
			ways := 0
			for _, set := range []bool{len(q.Controls) > 0, q.Observe != "", q.Identity != "", q.Manual != ""} {
				if set {
					ways++
				}
			}
			if ways != 1 {
				errAt(qb.DeclRange, "Question needs one way to be answered",
					"Question %q must set exactly one of controls, observe, identity and manual (a reason Ward cannot answer it); it sets %d.", q.ID, ways)
			}
			switch {
			case len(q.Controls) > 0 && q.Rule == "":
				q.Rule = RuleProtection
			case len(q.Controls) == 0 && q.Rule != "":
				errAt(qb.RuleRange, "Rule without controls", "Question %q sets a rule but names no controls.", q.ID)
			}
			if q.Rule != "" && !slices.Contains([]Rule{RuleProtection, RuleInverted, RuleSufficient, RulePresent}, q.Rule) {
				errAt(qb.RuleRange, "Unknown rule", "Rule %q is not one of protection, inverted, sufficient, present.", q.Rule)
			}
			if q.Observe != "" && !slices.Contains(observations, q.Observe) {
				errAt(qb.DeclRange, "Unknown observation", "Question %q: observe %q is not one of %s.", q.ID, q.Observe, strings.Join(observations, ", "))
			}
			if q.Identity != "" && !slices.Contains(identities, q.Identity) {
				errAt(qb.DeclRange, "Unknown identity field", "Question %q: identity %q is not one of %s.", q.ID, q.Identity, strings.Join(identities, ", "))
			}
			for i, id := range q.Controls {
				if slices.Contains(q.Controls[:i], id) {
					errAt(qb.CtlRange, "Duplicate control", "Question %q names control %q twice.", q.ID, id)
				}
			}
			sec.Questions = append(sec.Questions, q)
		}
		m.Sections = append(m.Sections, sec)
	}
	return m, diags
}

// Lint checks the mapping against the catalogue: every control a
// question names must exist there. Shape errors (ids, duplicates, one way
// to answer) are reported by LoadMapping.
func (m *Mapping) Lint(cat *control.Catalogue) hcl.Diagnostics {
	var diags hcl.Diagnostics
	for _, q := range m.Questions() {
		for _, id := range q.Controls {
			if _, ok := cat.Control(id); !ok {
				diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Unknown control",
					Detail: fmt.Sprintf("Question %q names control %q, which is not in the catalogue.", q.ID, id), Subject: q.Range.Ptr()})
			}
		}
	}
	return diags
}
