package control

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"net/url"
	"path"
	"regexp"
	"slices"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/gohcl"
	"github.com/hashicorp/hcl/v2/hclsyntax"

	"github.com/wardsec/ward/internal/inputlimit"
)

// The shapes of names. Ids and prefixes end up in Gherkin tags, which
// cannot hold whitespace or "@".
var (
	// framework ids and crosswalk schemes: "hipaa-security-rule", "iec-62443-4-2"
	schemeRe = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]*$`)
	// tag prefixes: "HIPAA", "FDA-PMC", "524B"
	prefixRe = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?$`)
	// control ids: "HIPAA-164.312-a-2-i"
	controlIDRe = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*$`)
	// section ids: "164.312", "A"
	sectionIDRe = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*$`)
)

// MDS2FormBlock is the block type of an MDS2 mapping (package mds2). A
// catalogue file may hold such blocks; Load skips them.
const MDS2FormBlock = "mds2_form"

// topSchema is what a catalogue file may hold.
func topSchema() *hcl.BodySchema {
	return &hcl.BodySchema{
		Blocks: []hcl.BlockHeaderSchema{
			{Type: "framework", LabelNames: []string{"id"}},
			{Type: "control", LabelNames: []string{"id"}},
			// The MDS2 mapping (controls/mds2.hcl) lives beside the
			// catalogue; pkg/mds2 decodes and lints it.
			{Type: MDS2FormBlock, LabelNames: []string{"id"}},
		},
	}
}

type frameworkBody struct {
	Name           string         `hcl:"name"`
	NameRange      hcl.Range      `hcl:"name,attr_value_range"`
	Citation       string         `hcl:"citation"`
	CitationRange  hcl.Range      `hcl:"citation,attr_value_range"`
	TagPrefix      string         `hcl:"tag_prefix"`
	TagPrefixRange hcl.Range      `hcl:"tag_prefix,attr_value_range"`
	URL            string         `hcl:"url,optional"`
	URLRange       hcl.Range      `hcl:"url,attr_value_range"`
	ShortName      string         `hcl:"short_name,optional"`
	ShortNameRange hcl.Range      `hcl:"short_name,attr_range"`
	Sections       []sectionBlock `hcl:"section,block"`
}

type sectionBlock struct {
	ID            string    `hcl:"id,label"`
	IDRange       hcl.Range `hcl:"id,label_range"`
	Title         string    `hcl:"title"`
	TitleRange    hcl.Range `hcl:"title,attr_value_range"`
	Controls      []string  `hcl:"controls"`
	ControlsRange hcl.Range `hcl:"controls,attr_value_range"`
	DeclRange     hcl.Range `hcl:",def_range"`
}

type controlBody struct {
	Framework        string            `hcl:"framework"`
	FrameworkRange   hcl.Range         `hcl:"framework,attr_value_range"`
	Title            string            `hcl:"title"`
	TitleRange       hcl.Range         `hcl:"title,attr_value_range"`
	Citations        []string          `hcl:"citations"`
	CitationsRange   hcl.Range         `hcl:"citations,attr_value_range"`
	Status           string            `hcl:"status"`
	StatusRange      hcl.Range         `hcl:"status,attr_value_range"`
	Severity         string            `hcl:"severity"`
	SeverityRange    hcl.Range         `hcl:"severity,attr_value_range"`
	Requirement      string            `hcl:"requirement"`
	RequirementRange hcl.Range         `hcl:"requirement,attr_value_range"`
	Remediation      string            `hcl:"remediation,optional"`
	Crosswalk        []crosswalkBlock  `hcl:"crosswalk,block"`
	Verification     verificationBlock `hcl:"verification,block"`
}

type crosswalkBlock struct {
	Scheme      string    `hcl:"scheme,label"`
	SchemeRange hcl.Range `hcl:"scheme,label_range"`
	Refs        []string  `hcl:"refs"`
	RefsRange   hcl.Range `hcl:"refs,attr_value_range"`
}

type verificationBlock struct {
	Method        string    `hcl:"method"`
	MethodRange   hcl.Range `hcl:"method,attr_value_range"`
	Evidence      []string  `hcl:"evidence,optional"`
	EvidenceRange hcl.Range `hcl:"evidence,attr_range"`
	MaxAge        string    `hcl:"max_age,optional"`
	MaxAgeRange   hcl.Range `hcl:"max_age,attr_range"`
}

// declaredFramework and declaredControl are decoded blocks with the
// ranges the cross-file checks need.
type declaredFramework struct {
	Framework
	labelRange, prefixRange hcl.Range
	// sectionRanges are each section's controls list.
	sectionRanges []hcl.Range
}

type declaredControl struct {
	Control
	labelRange, frameworkRange hcl.Range
}

// Load reads every *.hcl file under fsys (recursively, in path order;
// names starting with "." are skipped), decodes the framework and control
// blocks and validates them. It reports every problem it finds as a
// diagnostic with a source range, in file order; it does not stop at the
// first.
//
// Syntax errors end loading once every file has been parsed, since the
// checks after them would only report noise. When the diagnostics hold
// errors, the returned catalogue holds what could be decoded and is good
// for inspection only. The Sources hold every file read, for
// WriteDiagnostics. File names in ranges are paths within fsys.
func Load(fsys fs.FS) (*Catalogue, *Sources, hcl.Diagnostics) {
	cat, src, diags := load(fsys)
	// In file order, so they read top to bottom; ties keep the order
	// they were found in.
	slices.SortStableFunc(diags, cmpPos)
	return cat, src, diags
}

func load(fsys fs.FS) (*Catalogue, *Sources, hcl.Diagnostics) {
	src := &Sources{files: map[string]*hcl.File{}}
	cat := &Catalogue{}
	files, diags := readFiles(fsys, ".hcl")
	cat.Digest = digest(files)
	if len(files) == 0 && !diags.HasErrors() {
		diags = append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "No control files",
			Detail:   "The catalogue directory holds no .hcl files. Control definitions are framework and control blocks in files named *.hcl.",
		})
	}

	parsed := make([]*hcl.File, len(files))
	var syntax hcl.Diagnostics
	for i, f := range files {
		if d := checkInput(f.name, f.data); d != nil {
			hf := &hcl.File{Body: hcl.EmptyBody(), Bytes: nil}
			src.files[f.name] = hf
			parsed[i] = hf
			syntax = append(syntax, d)
			continue
		}
		hf, d := hclsyntax.ParseConfig(f.data, f.name, hcl.InitialPos)
		if hf == nil {
			hf = &hcl.File{Bytes: f.data}
		}
		src.files[f.name] = hf
		parsed[i] = hf
		syntax = append(syntax, d...)
	}
	diags = append(diags, syntax...)
	if syntax.HasErrors() {
		return cat, src, diags
	}

	var fws []declaredFramework
	var ctls []declaredControl
	for _, hf := range parsed {
		if hf.Body == nil {
			continue
		}
		content, d := hf.Body.Content(topSchema())
		diags = append(diags, d...)
		for _, b := range content.Blocks {
			if len(b.Labels) != 1 {
				continue // reported by Content
			}
			switch b.Type {
			case "framework":
				f, d := decodeFramework(b)
				diags = append(diags, d...)
				f.Order = len(fws)
				fws = append(fws, f)
			case "control":
				c, d := decodeControl(b)
				diags = append(diags, d...)
				ctls = append(ctls, c)
			}
		}
	}

	diags = append(diags, crossCheck(cat, fws, ctls)...)
	return cat, src, diags
}

// sortDiags orders diagnostics fully (gohcl reports in map order).
func sortDiags(diags hcl.Diagnostics) hcl.Diagnostics {
	slices.SortStableFunc(diags, func(a, b *hcl.Diagnostic) int {
		return cmp.Or(cmpPos(a, b), cmp.Compare(a.Summary, b.Summary), cmp.Compare(a.Detail, b.Detail))
	})
	return diags
}

// cmpPos orders diagnostics by file and start; those without a subject
// come first.
func cmpPos(a, b *hcl.Diagnostic) int {
	switch {
	case a.Subject == nil && b.Subject == nil:
		return 0
	case a.Subject == nil:
		return -1
	case b.Subject == nil:
		return 1
	}
	return cmp.Or(cmp.Compare(a.Subject.Filename, b.Subject.Filename), cmp.Compare(a.Subject.Start.Byte, b.Subject.Start.Byte))
}

type sourceFile struct {
	name string
	data []byte
}

// readFiles returns every file under fsys whose name ends in ext, sorted
// by path. Names starting with "." are skipped, as go:embed does.
// readBounded reads one catalogue file, no more than the input limit.
func readBounded(fsys fs.FS, name string) ([]byte, error) {
	f, err := fsys.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return inputlimit.Read(f, name, inputlimit.MaxConfigFile)
}

func readFiles(fsys fs.FS, ext string) ([]sourceFile, hcl.Diagnostics) {
	var diags hcl.Diagnostics
	var names []string
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Cannot read directory",
				Detail:   err.Error(),
			})
			return nil
		}
		if p != "." && strings.HasPrefix(d.Name(), ".") {
			if d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if !d.IsDir() && path.Ext(p) == ext {
			names = append(names, p)
		}
		return nil
	})
	if err != nil { // only when fn returns an error, which it does not
		diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Cannot read directory", Detail: err.Error()})
	}
	slices.Sort(names)
	files := make([]sourceFile, 0, len(names))
	for _, n := range names {
		data, err := readBounded(fsys, n)
		if err != nil {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Cannot read file",
				Detail:   err.Error(),
			})
			continue
		}
		files = append(files, sourceFile{name: n, data: data})
	}
	return files, diags
}

// digest is the hex SHA-256 of the sha256sum(1) listing of files.
func digest(files []sourceFile) string {
	h := sha256.New()
	for _, f := range files {
		sum := sha256.Sum256(f.data)
		fmt.Fprintf(h, "%x  %s\n", sum, f.name)
	}
	return hex.EncodeToString(h.Sum(nil))
}

func decodeFramework(b *hcl.Block) (declaredFramework, hcl.Diagnostics) {
	var body frameworkBody
	diags := sortDiags(gohcl.DecodeBody(b.Body, nil, &body))
	decoded := diags
	f := declaredFramework{
		Framework: Framework{
			ID:        b.Labels[0],
			Name:      strings.TrimSpace(body.Name),
			Citation:  strings.TrimSpace(body.Citation),
			TagPrefix: body.TagPrefix,
			URL:       body.URL,
			ShortName: strings.TrimSpace(body.ShortName),
			DeclRange: b.DefRange,
		},
		labelRange:  b.LabelRanges[0],
		prefixRange: body.TagPrefixRange,
	}
	if present(decoded, body.ShortNameRange) && f.ShortName == "" {
		diags = append(diags, errorAt(body.ShortNameRange, "Empty short_name",
			"short_name, when set, must hold text: it is the framework's heading in reports."))
	}
	seenSection := map[string]hcl.Range{}
	for _, sb := range body.Sections {
		sec := Section{ID: sb.ID, Title: strings.TrimSpace(sb.Title), Controls: sb.Controls, DeclRange: sb.DeclRange}
		if !sectionIDRe.MatchString(sec.ID) {
			diags = append(diags, errorAt(sb.IDRange, "Invalid section id",
				"Section id %q must be letters, digits, \".\", \"_\" and \"-\", starting with a letter or digit, such as \"164.312\" or \"A\".", sec.ID))
		}
		if first, dup := seenSection[sec.ID]; dup {
			diags = append(diags, errorAt(sb.IDRange, "Duplicate section",
				"Framework %q already has a section %q, declared at %s.", f.ID, sec.ID, first))
			continue
		}
		seenSection[sec.ID] = sb.IDRange
		diags = append(diags, requireText(decoded, "title", sec.Title, sb.TitleRange)...)
		f.Sections = append(f.Sections, sec)
		f.sectionRanges = append(f.sectionRanges, sb.ControlsRange)
	}
	if !schemeRe.MatchString(f.ID) {
		diags = append(diags, errorAt(b.LabelRanges[0], "Invalid framework id",
			"Framework id %q must be lower case letters, digits, \".\", \"_\" and \"-\", starting with a letter or digit, such as \"hipaa-security-rule\".", f.ID))
	}
	diags = append(diags, requireText(decoded, "name", f.Name, body.NameRange)...)
	diags = append(diags, requireText(decoded, "citation", f.Citation, body.CitationRange)...)
	if present(decoded, body.TagPrefixRange) && !prefixRe.MatchString(f.TagPrefix) {
		diags = append(diags, errorAt(body.TagPrefixRange, "Invalid tag prefix",
			"tag_prefix %q must be letters, digits, \".\", \"_\" and \"-\", starting and ending with a letter or digit, such as \"HIPAA\" or \"FDA-PMC\": it begins scenario tags, which cannot hold spaces or \"@\".", f.TagPrefix))
		f.TagPrefix = "" // unusable for matching tags
	}
	if f.URL != "" && present(decoded, body.URLRange) {
		u, err := url.Parse(f.URL)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			diags = append(diags, errorAt(body.URLRange, "Invalid URL",
				"url %q must be an absolute http or https URL.", f.URL))
		}
	}
	return f, diags
}

func decodeControl(b *hcl.Block) (declaredControl, hcl.Diagnostics) {
	var body controlBody
	diags := sortDiags(gohcl.DecodeBody(b.Body, nil, &body))
	decoded := diags
	c := declaredControl{
		Control: Control{
			ID:          b.Labels[0],
			Framework:   body.Framework,
			Title:       strings.TrimSpace(body.Title),
			Citations:   body.Citations,
			Status:      Status(body.Status),
			Severity:    Severity(body.Severity),
			Requirement: reflow(body.Requirement),
			Remediation: reflow(body.Remediation),
			Verification: Verification{
				Method:   Method(body.Verification.Method),
				Evidence: body.Verification.Evidence,
				MaxAge:   body.Verification.MaxAge,
			},
			DeclRange: b.DefRange,
		},
		labelRange:     b.LabelRanges[0],
		frameworkRange: body.FrameworkRange,
	}
	if !controlIDRe.MatchString(c.ID) {
		diags = append(diags, errorAt(b.LabelRanges[0], "Invalid control id",
			"Control id %q must be letters, digits, \".\", \"_\" and \"-\", starting with a letter or digit: scenarios carry it as a tag, which cannot hold spaces or \"@\".", c.ID))
	}
	diags = append(diags, requireText(decoded, "framework", c.Framework, body.FrameworkRange)...)
	diags = append(diags, requireText(decoded, "title", c.Title, body.TitleRange)...)
	diags = append(diags, requireList(decoded, "citations", c.Citations, body.CitationsRange)...)
	if present(decoded, body.StatusRange) && !c.Status.Valid() {
		diags = append(diags, errorAt(body.StatusRange, "Invalid status",
			"status must be %s; got %q.", oneOf(statuses), c.Status))
	}
	if present(decoded, body.SeverityRange) && !c.Severity.Valid() {
		diags = append(diags, errorAt(body.SeverityRange, "Invalid severity",
			"severity must be %s; got %q.", oneOf(severities), c.Severity))
	}
	diags = append(diags, requireText(decoded, "requirement", c.Requirement, body.RequirementRange)...)

	seen := map[string]hcl.Range{}
	for _, x := range body.Crosswalk {
		c.Crosswalk = append(c.Crosswalk, Reference{Scheme: x.Scheme, Refs: x.Refs})
		if !schemeRe.MatchString(x.Scheme) {
			diags = append(diags, errorAt(x.SchemeRange, "Invalid crosswalk scheme",
				"Crosswalk scheme %q must be lower case letters, digits, \".\", \"_\" and \"-\", such as \"fda-premarket\" or \"iec-62443-4-2\".", x.Scheme))
		} else if first, dup := seen[x.Scheme]; dup {
			diags = append(diags, errorAt(x.SchemeRange, "Duplicate crosswalk scheme",
				"This control already has a crosswalk %q block at %s; put all its refs in one block.", x.Scheme, first))
		} else {
			seen[x.Scheme] = x.SchemeRange
		}
		diags = append(diags, requireList(decoded, "refs", x.Refs, x.RefsRange)...)
	}

	v := body.Verification
	if present(decoded, v.MethodRange) {
		switch Method(v.Method) {
		case MethodScenario:
			if present(decoded, v.EvidenceRange) {
				diags = append(diags, errorAt(v.EvidenceRange, "Evidence without attestation",
					"evidence applies only to method %q; a %q control is verified by the scenarios tagged @%s.", MethodAttestation, MethodScenario, c.ID))
			}
			if present(decoded, v.MaxAgeRange) {
				diags = append(diags, errorAt(v.MaxAgeRange, "Max age without attestation",
					"max_age applies only to method %q.", MethodAttestation))
			}
		case MethodAttestation, MethodScenarioAndAttestation:
			if !present(decoded, v.EvidenceRange) {
				// decoded cleanly but absent: point at the method, which asks for it.
				if v.EvidenceRange == (hcl.Range{}) {
					diags = append(diags, errorAt(v.MethodRange, "Missing evidence",
						"An attestation names the evidence it needs: add evidence = [\"...\"] to the verification block."))
				}
			} else {
				diags = append(diags, requireList(decoded, "evidence", v.Evidence, v.EvidenceRange)...)
			}
			if present(decoded, v.MaxAgeRange) {
				if _, ok := parseMaxAge(v.MaxAge); !ok {
					diags = append(diags, errorAt(v.MaxAgeRange, "Invalid max_age",
						"max_age must be a whole number of hours, days or weeks, such as \"72h\", \"365d\" or \"52w\"; got %q.", v.MaxAge))
				}
			}
		default:
			diags = append(diags, errorAt(v.MethodRange, "Invalid verification method",
				"method must be %s; got %q.", oneOf(methods), v.Method))
		}
	}
	return c, diags
}

// crossCheck checks what spans blocks and files, and fills cat.
func crossCheck(cat *Catalogue, fws []declaredFramework, ctls []declaredControl) hcl.Diagnostics {
	var diags hcl.Diagnostics
	byID := map[string]declaredFramework{}
	byPrefix := map[string]declaredFramework{}
	for _, f := range fws {
		if first, dup := byID[f.ID]; dup {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Duplicate framework",
				Detail:   fmt.Sprintf("A framework %q was already declared at %s. Framework ids must be unique.", f.ID, first.DeclRange),
				Subject:  f.DeclRange.Ptr(),
			})
			continue
		}
		if first, dup := byPrefix[f.TagPrefix]; dup && f.TagPrefix != "" {
			diags = append(diags, errorAt(f.prefixRange, "Duplicate tag prefix",
				"Tag prefix %q is already used by framework %q at %s. Each framework needs its own prefix, so that a tag names one framework.", f.TagPrefix, first.ID, first.prefixRange))
			f.TagPrefix = "" // its controls are not checked against it
		} else if f.TagPrefix != "" {
			byPrefix[f.TagPrefix] = f
		}
		byID[f.ID] = f
		cat.Frameworks = append(cat.Frameworks, f.Framework)
	}
	slices.SortFunc(cat.Frameworks, func(a, b Framework) int { return cmp.Compare(a.ID, b.ID) })

	known := make([]string, 0, len(cat.Frameworks))
	for _, f := range cat.Frameworks {
		known = append(known, f.ID)
	}
	seen := map[string]declaredControl{}
	for _, c := range ctls {
		if first, dup := seen[c.ID]; dup {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Duplicate control",
				Detail:   fmt.Sprintf("A control %q was already declared at %s. Control ids must be unique.", c.ID, first.DeclRange),
				Subject:  c.DeclRange.Ptr(),
			})
			continue
		}
		seen[c.ID] = c
		cat.Controls = append(cat.Controls, c.Control)
		if c.Framework == "" {
			continue // reported while decoding
		}
		f, ok := byID[c.Framework]
		if !ok {
			detail := fmt.Sprintf("Control %q names framework %q, which is not declared.", c.ID, c.Framework)
			if s := suggest(c.Framework, known); s != "" {
				detail += fmt.Sprintf(" Did you mean %q?", s)
			} else if len(known) > 0 {
				detail += fmt.Sprintf(" Declared frameworks: %s.", strings.Join(known, ", "))
			}
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Unknown framework",
				Detail:   detail,
				Subject:  c.frameworkRange.Ptr(),
			})
			continue
		}
		if f.TagPrefix == "" {
			continue // its own diagnostic says why
		}
		want := f.TagPrefix + "-"
		if !strings.HasPrefix(c.ID, want) || len(c.ID) == len(want) {
			diags = append(diags, errorAt(c.labelRange, "Control id does not match its framework",
				"Control id %q must start with %q followed by more: %q is the tag_prefix of framework %q, and scenario tags find their framework by it.", c.ID, want, f.TagPrefix, f.ID))
			continue
		}
		if i := longestPrefix(cat.Frameworks, c.ID); i >= 0 && cat.Frameworks[i].ID != f.ID {
			o := cat.Frameworks[i]
			diags = append(diags, errorAt(c.labelRange, "Control id claimed by another framework",
				"Control id %q of framework %q also starts with %q, the longer tag_prefix of framework %q. Tags belong to the framework with the longest matching prefix, so rename the control.", c.ID, f.ID, o.TagPrefix+"-", o.ID))
		}
	}
	slices.SortFunc(cat.Controls, func(a, b Control) int { return cmp.Compare(a.ID, b.ID) })
	diags = append(diags, checkSections(fws, seen)...)
	return diags
}

// checkSections checks that every control a section lists is a control of
// its framework, listed once, and warns about a section listing an
// undeclared control and a control of a framework with sections that none
// lists.
func checkSections(fws []declaredFramework, controls map[string]declaredControl) hcl.Diagnostics {
	var diags hcl.Diagnostics
	done := map[string]bool{}
	for _, f := range fws {
		if len(f.Sections) == 0 || done[f.ID] {
			continue
		}
		done[f.ID] = true
		in := map[string]string{}
		for i, sec := range f.Sections {
			r := f.sectionRanges[i]
			for _, id := range sec.Controls {
				c, ok := controls[id]
				switch {
				case !ok:
					// A warning: a catalogue copied without some of its
					// controls still loads, and the report places only
					// the controls it has.
					d := errorAt(r, "Unknown control in section",
						"Section %q of framework %q lists control %q, which is not declared.", sec.ID, f.ID, id)
					d.Severity = hcl.DiagWarning
					diags = append(diags, d)
				case c.Framework != f.ID:
					diags = append(diags, errorAt(r, "Control of another framework in section",
						"Section %q of framework %q lists control %q, which belongs to framework %q.", sec.ID, f.ID, id, c.Framework))
				case in[id] != "":
					diags = append(diags, errorAt(r, "Control in two sections",
						"Control %q is listed in section %q and in section %q of framework %q; a control is in one section.", id, in[id], sec.ID, f.ID))
				default:
					in[id] = sec.ID
				}
			}
		}
		var missing []string
		for id, c := range controls {
			if c.Framework == f.ID && in[id] == "" {
				missing = append(missing, id)
			}
		}
		slices.Sort(missing)
		for _, id := range missing {
			// A warning: the report lists it under "Other sections", and a
			// catalogue added with --controls may extend a built-in
			// framework whose sections it cannot edit.
			c := controls[id]
			d := errorAt(c.labelRange, "Control in no section",
				"Framework %q groups its controls in sections, and no section lists control %q, so reports list it under \"Other sections\": add it to the controls of one in the framework block at %s.", f.ID, id, f.DeclRange)
			d.Severity = hcl.DiagWarning
			diags = append(diags, d)
		}
	}
	return diags
}

// reflow joins the lines of each paragraph with single spaces and
// separates paragraphs with one blank line, so that text written as a
// wrapped heredoc reads as prose wherever it is shown.
func reflow(s string) string {
	var paras []string
	var cur []string
	for _, line := range strings.Split(s, "\n") {
		if line = strings.TrimSpace(line); line != "" {
			cur = append(cur, line)
			continue
		}
		if len(cur) > 0 {
			paras = append(paras, strings.Join(cur, " "))
			cur = nil
		}
	}
	if len(cur) > 0 {
		paras = append(paras, strings.Join(cur, " "))
	}
	return strings.Join(paras, "\n\n")
}

// present reports whether an attribute was given (its range is set) and
// decoded without error, so that its value can be checked further.
func present(decoded hcl.Diagnostics, r hcl.Range) bool {
	if r == (hcl.Range{}) {
		return false
	}
	for _, d := range decoded {
		if d.Severity == hcl.DiagError && d.Subject != nil && d.Subject.Filename == r.Filename &&
			d.Subject.Start.Byte < r.End.Byte && r.Start.Byte <= d.Subject.Start.Byte {
			return false
		}
	}
	return true
}

func requireText(decoded hcl.Diagnostics, name, v string, r hcl.Range) hcl.Diagnostics {
	if present(decoded, r) && strings.TrimSpace(v) == "" {
		return hcl.Diagnostics{errorAt(r, "Empty "+name, "%s must not be empty.", name)}
	}
	return nil
}

func requireList(decoded hcl.Diagnostics, name string, v []string, r hcl.Range) hcl.Diagnostics {
	if !present(decoded, r) {
		return nil
	}
	if len(v) == 0 {
		return hcl.Diagnostics{errorAt(r, "Empty "+name, "%s must list at least one item.", name)}
	}
	for i, s := range v {
		if strings.TrimSpace(s) == "" {
			return hcl.Diagnostics{errorAt(r, "Empty "+name, "%s[%d] is empty; every item needs text.", name, i)}
		}
	}
	return nil
}

func errorAt(r hcl.Range, summary, format string, args ...any) *hcl.Diagnostic {
	return &hcl.Diagnostic{
		Severity: hcl.DiagError,
		Summary:  summary,
		Detail:   fmt.Sprintf(format, args...),
		Subject:  r.Ptr(),
	}
}

// oneOf renders allowed values: `"a", "b" or "c"`.
func oneOf[T ~string](vs []T) string {
	var b strings.Builder
	for i, v := range vs {
		switch {
		case i == 0:
		case i == len(vs)-1:
			b.WriteString(" or ")
		default:
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%q", v)
	}
	return b.String()
}

// suggest returns the candidate closest to s (the first of equals, in
// the order given), if it is close enough to be a likely typo, or "".
func suggest(s string, candidates []string) string {
	best, bestD := "", len(s)/3+1
	for _, c := range candidates {
		if d := levenshtein(s, c); d < bestD {
			best, bestD = c, d
		}
	}
	return best
}

// levenshtein is the edit distance between a and b, in bytes.
func levenshtein(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
