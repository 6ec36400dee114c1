package wardcli

import (
	"bytes"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/wardsec/ward/controls"
	"github.com/wardsec/ward/features"
	"github.com/wardsec/ward/internal/atomicfile"
	"github.com/wardsec/ward/internal/inputlimit"
	"github.com/wardsec/ward/pkg/control"
	"github.com/wardsec/ward/pkg/evidence"
	"github.com/wardsec/ward/pkg/harness"
	"github.com/wardsec/ward/pkg/mds2"
)

func newMDS2Cmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "mds2",
		Short: "Fill the MDS2 security questionnaire from evidence, or check a vendor's MDS2 against a device",
		Long: `The MDS2 (Manufacturer Disclosure Statement for Medical Device Security,
ANSI/NEMA HN 1-2019) is the questionnaire hospitals ask device makers to fill.
'ward mds2 fill' answers it from a verified evidence bundle, each answer citing
the controls, outcomes and artifacts it rests on; 'ward mds2 check' compares a
vendor's completed form with what Ward measured. The mapping from questions to
controls is controls/mds2.hcl. See docs/mds2.md.`,
	}
	cmd.AddCommand(newMDS2FillCmd(), newMDS2CheckCmd(), newMDS2LintCmd())
	return cmd
}

// mds2Mapping loads the mapping (and, to lint it, the catalogue) from dir,
// or the embedded ones.
func mds2Mapping(dir string, stderr io.Writer) (*mds2.Mapping, *control.Catalogue, error) {
	var fsys fs.FS = controls.FS
	if dir != "" {
		if err := isDir(dir, "--controls"); err != nil {
			return nil, nil, err
		}
		fsys = os.DirFS(dir)
	}
	m, diags := mds2.LoadMapping(fsys)
	if !diags.HasErrors() {
		cat, _, cdiags := control.Load(fsys)
		if cdiags.HasErrors() {
			diags = append(diags, cdiags...)
		} else {
			diags = append(diags, m.Lint(cat)...)
		}
		if !diags.HasErrors() {
			return m, cat, nil
		}
	}
	n := 0
	for _, d := range diags {
		if n++; n > 100 {
			break
		}
		fmt.Fprintln(stderr, oneLine(d.Error()))
	}
	return nil, nil, &exitError{code: exitUsage, err: fmt.Errorf("MDS2 mapping has %d error(s)", countErrors(diags))}
}

// loadPubkey reads the --pubkey file; nil when none was given.
func loadPubkey(path string) (ed25519.PublicKey, error) {
	if path == "" {
		return nil, nil
	}
	k, err := evidence.LoadPublicKey(path)
	if err != nil {
		return nil, usageErr("--pubkey: %v", err)
	}
	return k, nil
}

// readVerified verifies the bundle and reads its run; an altered bundle
// exits 1, like 'ward evidence verify'.
func readVerified(cmd *cobra.Command, dir string, trusted ed25519.PublicKey) (*evidence.Run, error) {
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		return nil, usageErr("%s: not a bundle directory", dir)
	}
	run, _, err := evidence.ReadVerifiedRun(cmd.Context(), dir, trusted)
	switch {
	case errors.Is(err, evidence.ErrAltered):
		fmt.Fprintln(cmd.ErrOrStderr(), "ward: refusing an unverified bundle: "+oneLine(err.Error()))
		return nil, quiet(exitNotSatisfied)
	case errors.Is(err, evidence.ErrNotBundle):
		return nil, usageErr("%v", err)
	case err != nil:
		return nil, err
	}
	return run, nil
}

func newMDS2FillCmd() *cobra.Command {
	var out, formats, pubkey, controlsDir string
	cmd := &cobra.Command{
		Use:   "fill BUNDLE [-o DIR] [--format xlsx,json]",
		Short: "Answer the MDS2 from a verified evidence bundle",
		Long: `Fill verifies BUNDLE (as 'ward evidence verify' does; --pubkey to require the
signer's key) and refuses one that does not verify. It then answers each question
of the MDS2 for each target: Yes or No from the outcomes of the controls the
mapping names, Yes from what was observed (a network service, a TLS service),
the device's reported identity, or nothing, with the reason, for the maker. It
never answers Yes from a control that was not applicable, not assessed, waived
or in error.

It writes mds2.json (every target) and mds2.xlsx (for a run of several targets,
mds2-NNNN.xlsx per target, NNNN its position in the run) into DIR, each written
whole or not at all.

Exit status: 0 written; 1 the bundle does not verify; 2 bad usage; 3 other error.`,
		Example: `  ward mds2 fill ward-evidence/20261207T235500Z -o mds2
  ward mds2 fill BUNDLE --format json --pubkey qa.pub`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			want := map[string]bool{}
			for _, f := range strings.Split(formats, ",") {
				switch f = strings.TrimSpace(f); f {
				case "xlsx", "json":
					want[f] = true
				default:
					return usageErr("--format: %q is not xlsx or json", f)
				}
			}
			if inside(out, args[0]) {
				return usageErr("-o %s: inside the bundle, where an unlisted file would break its signature; write the form elsewhere", out)
			}
			trusted, err := loadPubkey(pubkey)
			if err != nil {
				return err
			}
			m, _, err := mds2Mapping(controlsDir, cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			run, err := readVerified(cmd, args[0], trusted)
			if err != nil {
				return err
			}
			form, err := mds2.Fill(run, m)
			if errors.Is(err, mds2.ErrNoTargets) {
				return usageErr("%s: %v", args[0], err)
			} else if err != nil {
				return err
			}
			if err := os.MkdirAll(out, 0o755); err != nil {
				return usageErr("-o %s: %v", out, err)
			}
			var written []string
			write := func(name string, render func(io.Writer) error) error {
				p := filepath.Join(out, name)
				if err := atomicfile.Write(p, 0o644, render); err != nil {
					return fmt.Errorf("writing %s: %w", p, err)
				}
				written = append(written, p)
				return nil
			}
			if want["json"] {
				if err := write("mds2.json", form.WriteJSON); err != nil {
					return err
				}
			}
			if want["xlsx"] {
				for i := range form.Targets {
					name := "mds2.xlsx"
					if len(form.Targets) > 1 {
						// The index, never device-supplied text, names the file.
						name = fmt.Sprintf("mds2-%04d.xlsx", i)
					}
					if err := write(name, func(w io.Writer) error { return form.WriteXLSX(w, i, m) }); err != nil {
						return err
					}
				}
			}
			stdout := cmd.OutOrStdout()
			total := len(m.Questions())
			for _, t := range form.Targets {
				fmt.Fprintf(stdout, "%s: %d of %d questions answered from evidence\n", oneLine(t.URI), t.Answered, total)
			}
			for _, p := range written {
				fmt.Fprintln(stdout, "wrote "+oneLine(p))
			}
			return nil
		},
	}
	cmd.Flags().StringVarP(&out, "out", "o", ".", "directory to write the form into")
	cmd.Flags().StringVar(&formats, "format", "xlsx,json", "comma-separated output formats: xlsx, json")
	cmd.Flags().StringVar(&pubkey, "pubkey", "", "require the bundle to be signed by this public key (PEM)")
	cmd.Flags().StringVar(&controlsDir, "controls", "", "catalogue directory holding the MDS2 mapping (default: the embedded one)")
	return cmd
}

// inside reports whether path is dir or lies under it.
func inside(path, dir string) bool {
	p, err1 := filepath.Abs(path)
	d, err2 := filepath.Abs(dir)
	if err1 != nil || err2 != nil {
		return false
	}
	rel, err := filepath.Rel(d, p)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
}

func newMDS2CheckCmd() *cobra.Command {
	var formFile, target, pubkey, controlsDir, format string
	cmd := &cobra.Command{
		Use:   "check --form FILE (BUNDLE | --target URI)",
		Short: "Check a vendor's completed MDS2 (xlsx or CSV) against what Ward measured",
		Long: `Check reads a vendor's completed MDS2 (--form: an .xlsx workbook with a sheet
"MDS2", or a .csv file; each with a "Question ID" and an "Answer" column) and
compares every claim with Ward's evidence about the same device: a verified
BUNDLE, or a fresh check of --target URI with the embedded catalogue (nothing is
written; run 'ward check' first to keep the evidence). Each claim is listed as
contradicted (claimed Yes, measured not satisfied; claimed N/A or No where the
evidence shows the function, such as a network service Ward reached), confirmed,
or untestable (Ward has no answer, with the reason).

A form Ward cannot read whole (another layout or version, no sheet "MDS2",
merged cells, formulas instead of values, an unknown question id, a file over
16 MiB or unpacking to over 64 MiB) is refused with the sheet and cell.

Exit status: 0 no claim contradicted; 1 a claim is contradicted (or the bundle
does not verify); 2 bad usage or an unreadable form; 3 harness error.`,
		Example: `  ward mds2 check --form vendor-mds2.xlsx ward-evidence/20261207T235500Z
  ward mds2 check --form vendor-mds2.csv --target 'sim://infusion-pump?weaken=plaintext-storage'`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if formFile == "" {
				return usageErr("--form is required")
			}
			if (len(args) == 1) == (target != "") {
				return usageErr("give either a BUNDLE or --target URI")
			}
			if format != "text" && format != "json" {
				return usageErr("--format: %q is not text or json", format)
			}
			trusted, err := loadPubkey(pubkey)
			if err != nil {
				return err
			}
			m, cat, err := mds2Mapping(controlsDir, cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			claims, err := readClaims(formFile, m)
			if err != nil {
				return usageErr("--form %s: %v", formFile, err)
			}
			var run *evidence.Run
			if target != "" {
				run, err = checkOne(cmd, cat, target)
			} else {
				run, err = readVerified(cmd, args[0], trusted)
			}
			if err != nil {
				return err
			}
			form, err := mds2.Fill(run, m)
			if err != nil {
				return err
			}
			var cmps []mds2.Comparison
			contradicted := false
			for _, t := range form.Targets {
				c := mds2.Compare(t, claims)
				contradicted = contradicted || len(c.Contradicted) > 0
				cmps = append(cmps, c)
			}
			if format == "json" {
				enc := json.NewEncoder(cmd.OutOrStdout())
				enc.SetIndent("", "  ")
				if err := enc.Encode(cmps); err != nil {
					return err
				}
			} else {
				printComparisons(cmd.OutOrStdout(), cmps)
			}
			if contradicted {
				return quiet(exitNotSatisfied)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&formFile, "form", "", "the vendor's completed MDS2: .xlsx or .csv")
	cmd.Flags().StringVar(&target, "target", "", "check this device now instead of reading a bundle")
	cmd.Flags().StringVar(&pubkey, "pubkey", "", "require the bundle to be signed by this public key (PEM)")
	cmd.Flags().StringVar(&controlsDir, "controls", "", "catalogue directory holding the MDS2 mapping (default: the embedded one)")
	cmd.Flags().StringVar(&format, "format", "text", "output: text or json")
	return cmd
}

func readClaims(name string, m *mds2.Mapping) ([]mds2.Claim, error) {
	ext := strings.ToLower(filepath.Ext(name))
	if ext != ".xlsx" && ext != ".csv" {
		return nil, fmt.Errorf("want a .xlsx or .csv file")
	}
	data, err := inputlimit.ReadFile(name, mds2.MaxFormFile)
	if err != nil {
		return nil, err
	}
	if ext == ".csv" {
		return mds2.ReadClaimsCSV(bytes.NewReader(data), m)
	}
	return mds2.ReadClaimsXLSX(bytes.NewReader(data), m)
}

// checkOne checks one target with the embedded features and the given
// catalogue, in memory, with the drivers 'ward check' has.
func checkOne(cmd *cobra.Command, cat *control.Catalogue, uri string) (*evidence.Run, error) {
	reg, err := checkRegistry()
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(cmd.ErrOrStderr(), "ward: checking %s\n", oneLine(uri))
	started := time.Now().UTC()
	res, _, err := harness.New(reg, cat, features.FS).Check(cmd.Context(), uri)
	if err != nil {
		return nil, err
	}
	return &evidence.Run{ID: evidence.NewRunID(), Started: started, Finished: time.Now().UTC(), Targets: []evidence.Target{res}}, nil
}

func printComparisons(w io.Writer, cmps []mds2.Comparison) {
	line := func(verdict string, f mds2.Finding) {
		claimed := f.Claimed
		if claimed == "" {
			claimed = "(none)"
		}
		fmt.Fprintf(w, "  %-12s %-11s claimed %-8s %s\n", verdict, f.ID, oneLine(claimed), oneLine(f.Where+": "+f.Reason))
	}
	for _, c := range cmps {
		fmt.Fprintf(w, "%s: %d contradicted, %d confirmed, %d untestable\n", oneLine(c.Target), len(c.Contradicted), len(c.Confirmed), len(c.Untestable))
		for _, group := range []struct {
			name string
			fs   []mds2.Finding
		}{{"CONTRADICTED", c.Contradicted}, {"confirmed", c.Confirmed}, {"untestable", c.Untestable}} {
			for _, f := range group.fs {
				line(group.name, f)
			}
		}
	}
}

func newMDS2LintCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "lint [DIR]",
		Short: "Check the MDS2 mapping: question ids well-formed and unique, every named control in the catalogue",
		Long: `Lint reads the mds2_form block from the *.hcl files of DIR (default: the
embedded catalogue) and checks that every question id is a section code and a
number (AUTH-1, CONN-1.1.2) in its own section and appears once, that each
question is answered in exactly one way (controls, observe, identity or manual
with a reason), and that every control it names is in the catalogue.

Exit status: 0 clean; 2 errors found.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			dir := ""
			if len(args) == 1 {
				dir = args[0]
			}
			m, _, err := mds2Mapping(dir, cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			qs := m.Questions()
			var manual int
			for _, q := range qs {
				if q.Manual != "" {
					manual++
				}
			}
			fmt.Fprintf(cmd.OutOrStdout(), "ok: %s, %d sections, %d questions (%d answerable from evidence, %d for the maker)\n",
				oneLine(m.Standard), len(m.Sections), len(qs), len(qs)-manual, manual)
			return nil
		},
	}
}
