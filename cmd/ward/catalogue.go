package main

import (
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"

	"github.com/hashicorp/hcl/v2"

	"github.com/wardsec/ward/controls"
	"github.com/wardsec/ward/features"
	"github.com/wardsec/ward/pkg/control"
)

// sources are the control and feature files a command works on: the
// embedded ones unless --controls/--features name directories.
type sources struct {
	controls, features fs.FS
	label              string
}

func pickSources(controlsDir, featuresDir string) (sources, error) {
	s := sources{controls: controls.FS, features: features.FS, label: "embedded"}
	var labels []string
	if controlsDir != "" {
		if err := isDir(controlsDir, "--controls"); err != nil {
			return s, err
		}
		s.controls = os.DirFS(controlsDir)
		labels = append(labels, "controls="+controlsDir)
	}
	if featuresDir != "" {
		if err := isDir(featuresDir, "--features"); err != nil {
			return s, err
		}
		s.features = os.DirFS(featuresDir)
		labels = append(labels, "features="+featuresDir)
	}
	if len(labels) > 0 {
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
		return nil, nil, &exitError{code: exitUsage, err: fmt.Errorf("control catalogue has %d error(s)", countErrors(diags))}
	}
	return cat, scns, nil
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
