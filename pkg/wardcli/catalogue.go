package wardcli

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/hashicorp/hcl/v2"

	"github.com/wardsec/ward/controls"
	"github.com/wardsec/ward/features"
	"github.com/wardsec/ward/internal/overlayfs"
	"github.com/wardsec/ward/pkg/control"
	"github.com/wardsec/ward/pkg/device"
	"github.com/wardsec/ward/pkg/harness"
	"github.com/wardsec/ward/pkg/mds2"
)

// sources are the control and feature files a command works on, and the
// step definitions that run them: the embedded catalogue, plus (or, with
// --replace-catalogue, instead of) the --controls/--features directories.
type sources struct {
	controls, features fs.FS
	label              string
	overlay            bool              // directories were added to the embedded catalogue
	steps              []harness.StepSet // steps besides Ward's (a program built on Ward's CLI)
	drivers            []func(*device.Registry) error
}

// localMount is where --controls/--features files appear beside the
// embedded ones: DIR/acme.hcl is local/acme.hcl in diagnostics, scenario
// ids and evidence.
const localMount = "local"

// sourceFlags are --controls, --features and --replace-catalogue.
type sourceFlags struct {
	controlsDir, featuresDir string
	replace                  bool
}

// flagSet is the part of a cobra command's flag set sourceFlags uses.
type flagSet interface {
	StringVar(p *string, name, value, usage string)
	BoolVar(p *bool, name string, value bool, usage string)
}

func (f *sourceFlags) add(fl flagSet) {
	fl.StringVar(&f.controlsDir, "controls", "", "directory of *.hcl controls to add to the embedded catalogue (shown as local/...)")
	fl.StringVar(&f.featuresDir, "features", "", "directory of *.feature files to add to the embedded features (shown as local/...)")
	fl.BoolVar(&f.replace, "replace-catalogue", false, "use the --controls/--features directories instead of the embedded controls/features")
}

// pickSources returns the embedded catalogue with the directories added
// (see docs/controls.md, "Your own controls"): a control or framework id
// defined twice is an error naming both files, and so is a directory file
// with the same path as an embedded one (a copy of the catalogue would
// define everything twice). With replace the directories are used instead
// of the embedded controls or features, as before Ward 0.x added overlays.
func pickSources(ctx context.Context, f sourceFlags) (sources, error) {
	o := optionsFrom(ctx)
	s := sources{controls: controls.FS, features: features.FS, label: "embedded", steps: o.steps, drivers: o.drivers}
	if f.replace && f.controlsDir == "" && f.featuresDir == "" {
		return s, usageErr("--replace-catalogue: give --controls and/or --features to replace the embedded catalogue with")
	}
	var labels []string
	pick := func(dir, flag, what string, base fs.FS) (fs.FS, error) {
		if dir == "" {
			return base, nil
		}
		if err := isDir(dir, flag); err != nil {
			return nil, err
		}
		top := os.DirFS(dir)
		if f.replace {
			labels = append(labels, flag[2:]+"="+dir)
			return top, nil
		}
		same, err := overlayfs.Overlapping(base, top)
		if err != nil {
			return nil, usageErr("%s %s: %v", flag, dir, err)
		}
		if len(same) > 0 {
			return nil, usageErr("%s %s: %s has the same path as the embedded %s file %s: %s adds to the embedded %s, so a copy of them defines everything twice; "+
				"rename your file, or pass --replace-catalogue to use %s instead of the embedded %s",
				flag, dir, filepath.Join(dir, filepath.FromSlash(same[0])), what, same[0], flag, what, dir, what)
		}
		o, err := overlayfs.New(base, localMount, top)
		if err != nil {
			return nil, err
		}
		s.overlay = true
		labels = append(labels, flag[2:]+"+="+dir)
		return o, nil
	}
	var err error
	if s.controls, err = pick(f.controlsDir, "--controls", "controls", controls.FS); err != nil {
		return s, err
	}
	if s.features, err = pick(f.featuresDir, "--features", "features", features.FS); err != nil {
		return s, err
	}
	if len(labels) > 0 {
		if !f.replace {
			labels = append([]string{"embedded"}, labels...)
		}
		s.label = strings.Join(labels, " ")
	}
	return s, nil
}

func isDir(p, flag string) error {
	st, err := os.Stat(p)
	if err != nil {
		return usageErr("%s %s: %v", flag, p, err)
	}
	if !st.IsDir() {
		return usageErr("%s %s: not a directory", flag, p)
	}
	if _, err := os.ReadDir(p); err != nil {
		return usageErr("%s %s: %v", flag, p, err)
	}
	return nil
}

// lint loads and cross-checks the catalogue. Error diagnostics are printed
// with file, line, column and a snippet, and make it a usage error (exit 2).
func lint(s sources, stderr io.Writer) (*control.Catalogue, []control.ScenarioRef, error) {
	cat, scns, src, diags := control.Lint(s.controls, s.features)
	if len(diags) > 0 {
		if err := control.WriteDiagnostics(stderr, src, diags, 100, false); err != nil {
			return nil, nil, err
		}
	}
	if diags.HasErrors() {
		if s.overlay && hasDuplicate(diags) {
			fmt.Fprintf(stderr, "ward: hint: --controls adds to the embedded catalogue, so an id it defines again is a duplicate; rename it, or pass --replace-catalogue to use your directory instead\n")
		}
		return nil, nil, &exitError{code: exitUsage, err: fmt.Errorf("control catalogue has %d error(s)", countErrors(diags))}
	}
	if err := lintSteps(s, stderr); err != nil {
		return nil, nil, err
	}
	if err := lintMDS2(s, cat, src, stderr); err != nil {
		return nil, nil, err
	}
	return cat, scns, nil
}

// lintMDS2 checks the catalogue's MDS2 mapping, when it has one, against
// the controls it names. Its findings are warnings here: the mapping does
// not change any verdict, and a trimmed catalogue (--replace-catalogue)
// may drop controls it names; `ward mds2 lint`, `fill` and `check`, which
// answer from it, refuse the same findings as errors.
func lintMDS2(s sources, cat *control.Catalogue, src *control.Sources, stderr io.Writer) error {
	m, diags := mds2.LoadMapping(s.controls)
	if m == nil && len(diags) == 1 && diags[0].Summary == mds2.NoMappingSummary {
		return nil
	}
	if m != nil {
		diags = append(diags, m.Lint(cat)...)
	}
	for _, d := range diags {
		d.Severity = hcl.DiagWarning
	}
	if len(diags) == 0 {
		return nil
	}
	return control.WriteDiagnostics(stderr, src, diags, 100, false)
}

func hasDuplicate(d hcl.Diagnostics) bool {
	for _, x := range d {
		if strings.HasPrefix(x.Summary, "Duplicate") {
			return true
		}
	}
	return false
}

// lintSteps reports scenario steps no step definition matches (or more
// than one does), with file and line: such a scenario can only end in
// error, so it is a configuration error before any device is touched.
func lintSteps(s sources, stderr io.Writer) error {
	rep, err := harness.CheckSteps(s.features, s.steps...)
	if err != nil {
		return &exitError{code: exitUsage, err: err}
	}
	for _, p := range rep.Problems {
		fmt.Fprintln(stderr, p.String())
	}
	if n := len(rep.Problems); n > 0 {
		return usageErr("%d scenario step(s) match no step definition or more than one (see 'ward steps list')", n)
	}
	return nil
}

func countErrors(d hcl.Diagnostics) int {
	n := 0
	for _, x := range d {
		if x.Severity == hcl.DiagError {
			n++
		}
	}
	return n
}
