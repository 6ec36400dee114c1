package wardcli

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/wardsec/ward/pkg/control"
	"github.com/wardsec/ward/pkg/harness"
)

func newControlsCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "controls",
		Short: "List or lint the control catalogue",
	}
	cmd.AddCommand(newControlsListCmd(), newControlsLintCmd())
	return cmd
}

func newControlsListCmd() *cobra.Command {
	var framework string
	var srcFlags sourceFlags
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the controls Ward checks, with framework, status, severity and citations",
		Example: `  ward controls list
  ward controls list --framework hipaa-security-rule
  ward controls list --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			src, err := pickSources(cmd.Context(), srcFlags)
			if err != nil {
				return err
			}
			cat, scns, err := lint(src, cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			if framework != "" {
				if _, ok := cat.Framework(framework); !ok {
					return usageErr("--framework: unknown framework %q", framework)
				}
			}
			var list []control.Control
			for _, c := range cat.Controls {
				if framework == "" || c.Framework == framework {
					list = append(list, c)
				}
			}
			out := cmd.OutOrStdout()
			if asJSON {
				type item struct {
					control.Control
					Scenarios int `json:"scenarios"`
				}
				items := make([]item, len(list))
				for i, c := range list {
					items[i] = item{Control: c, Scenarios: countScenarios(scns, c.ID)}
				}
				enc := json.NewEncoder(out)
				enc.SetIndent("", "  ")
				return enc.Encode(items)
			}
			tw := tabwriter.NewWriter(out, 2, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tFRAMEWORK\tSTATUS\tSEVERITY\tSCENARIOS\tTITLE\tCITATIONS")
			for _, c := range list {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%s\t%s\n", show(c.ID), show(c.Framework), show(string(c.Status)), show(string(c.Severity)),
					countScenarios(scns, c.ID), show(c.Title), show(strings.Join(c.Citations, "; ")))
			}
			return tw.Flush()
		},
	}
	cmd.Flags().StringVar(&framework, "framework", "", "only this framework's controls")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON instead of a table")
	srcFlags.add(cmd.Flags())
	return cmd
}

func countScenarios(scns []control.ScenarioRef, id string) int {
	n := 0
	for _, s := range scns {
		if slices.ContainsFunc(s.Tags, func(t control.Tag) bool { return t.Name == "@"+id }) {
			n++
		}
	}
	return n
}

func newControlsLintCmd() *cobra.Command {
	var srcFlags sourceFlags
	cmd := &cobra.Command{
		Use:   "lint [DIR]",
		Short: "Check control files and their link to feature scenarios; print problems with file, line and column",
		Long: `Lint parses every *.hcl control file in DIR (default: the embedded catalogue)
and every *.feature file (--features, default: the embedded features), and
reports, with file, line, column and a source snippet: HCL syntax errors,
missing or invalid attributes, duplicate ids, unknown frameworks, controls no
scenario verifies, scenario tags that name no control, @touches: tags that name
no resource, scenario steps that no step definition matches (or more than one
does; see 'ward steps list'), and scenarios whose steps touch device state
(the clock, firmware, storage...) that their @touches: tags do not declare.

DIR (or --controls DIR) and --features DIR are added to the embedded
catalogue and features, as 'ward check' adds them; --replace-catalogue lints
them alone.

Exit status: 0 clean (warnings may be printed); 2 errors found.`,
		Example: `  ward controls lint
  ward controls lint ./my-controls --features ./my-features
  ward controls lint ./controls --features ./features --replace-catalogue`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 {
				if srcFlags.controlsDir != "" {
					return usageErr("give the controls directory once: as DIR or as --controls")
				}
				srcFlags.controlsDir = args[0]
			}
			src, err := pickSources(cmd.Context(), srcFlags)
			if err != nil {
				return err
			}
			cat, scns, err := lint(src, cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			// Device state: a scenario declares (@touches:) all its
			// built-in steps touch, so the tags tell auditors the truth.
			undeclared, err := harness.CheckTouches(src.features, src.steps...)
			if err != nil {
				return usageErr("%v", err)
			}
			for _, u := range undeclared {
				fmt.Fprintf(cmd.ErrOrStderr(), "%s:%d: Error: Undeclared resource: scenario %q: step %q touches %s; tag it %s%s\n",
					u.Feature, u.Line, u.Scenario, u.Step, u.Resource, control.TouchesPrefix, u.Resource)
			}
			if len(undeclared) > 0 {
				return usageErr("%d scenario step(s) touch device state their scenario does not declare", len(undeclared))
			}
			fmt.Fprintf(cmd.OutOrStdout(), "ok: %d frameworks, %d controls, %d scenarios (%s)\n",
				len(cat.Frameworks), len(cat.Controls), len(scns), src.label)
			return nil
		},
	}
	srcFlags.add(cmd.Flags())
	return cmd
}
