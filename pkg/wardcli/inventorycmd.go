package wardcli

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/wardsec/ward/internal/atomicfile"
	"github.com/wardsec/ward/pkg/inventory"

	"github.com/wardsec/ward/internal/safetext"
)

func newInventoryCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "inventory",
		Short: "Import, list, report and diff the device inventory (risk, PHI, owner, patch state)",
		Long: `The device inventory is the common operational picture: every connected
device with its identity, zone, location, responsible owner, PHI handling,
firmware, SBOM, end of support, last scan and pen test, and patch state. Each
record's risk class is computed from those facts by the rules of
docs/inventory.md, with the reasons shown.

Records come from CSV or JSON (errors name the line and column); the
released patches from a patches CSV. The inventory is kept as one JSON file.`,
	}
	cmd.AddCommand(newInventoryImportCmd(), newInventoryListCmd(), newInventoryReportCmd(), newInventoryDiffCmd())
	return cmd
}

// loadInventory loads FILE, mapping format errors to usage errors.
func loadInventory(name string) (*inventory.Inventory, error) {
	if name == "" {
		return nil, usageErr("--inventory FILE is required")
	}
	inv, err := inventory.Load(name)
	if err != nil {
		return nil, usageErr("%v", err)
	}
	return inv, nil
}

func newInventoryImportCmd() *cobra.Command {
	var records, patches, out string
	var force bool
	cmd := &cobra.Command{
		Use:   "import --records FILE [--patches FILE] --out FILE.json",
		Short: "Read records (CSV or JSON) and released patches (CSV), check them, and write the inventory JSON",
		Example: `  ward inventory import --records examples/inventory/records.csv \
      --patches examples/inventory/patches.csv --out inventory.json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if records == "" || out == "" {
				return usageErr("--records and --out are required")
			}
			if !strings.EqualFold(filepath.Ext(out), ".json") {
				return usageErr("--out %s: the inventory is written as JSON (.json)", out)
			}
			if _, err := os.Stat(out); err == nil && !force {
				return usageErr("--out %s already exists; pass --force to replace it", out)
			}
			inv, err := loadInventory(records)
			if err != nil {
				return err
			}
			if patches != "" {
				f, err := os.Open(patches)
				if err != nil {
					return usageErr("%v", err)
				}
				ps, err := inventory.ReadPatchesCSV(f)
				f.Close()
				if err != nil {
					return usageErr("%s: %v", patches, err)
				}
				inv.Patches = append(inv.Patches, ps...)
			}
			if err := inv.Validate(); err != nil {
				return usageErr("%v", err)
			}
			if err := inventory.Save(out, inv); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%d record(s), %d patch(es) written to %s\n", len(inv.Records), len(inv.Patches), out)
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&records, "records", "", "records file, .csv or .json")
	fl.StringVar(&patches, "patches", "", "released patches, .csv (columns id, manufacturer, model, released, criticality, title)")
	fl.StringVar(&out, "out", "", "inventory JSON file to write (crash-safely)")
	fl.BoolVar(&force, "force", false, "replace --out if it exists")
	return cmd
}

// viewFlags are the filters and assessment day shared by list and report.
type viewFlags struct {
	inventory, zone, risk, phi, today string
	overdue                           bool
}

func (v *viewFlags) register(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringVar(&v.inventory, "inventory", "", "inventory file (.json, or records .csv)")
	fl.StringVar(&v.zone, "zone", "", "only devices in this zone")
	fl.StringVar(&v.risk, "risk", "", "only devices of this risk class or higher (low, medium, high, critical)")
	fl.StringVar(&v.phi, "phi", "", "only devices with this PHI handling (stores, processes, transmits-only, none)")
	fl.BoolVar(&v.overdue, "overdue-patch", false, "only devices missing a released patch past its policy window")
	fl.StringVar(&v.today, "today", "", "assess as of this day, YYYY-MM-DD (default: today, UTC)")
}

func (v *viewFlags) parse() (*inventory.Inventory, inventory.Filter, time.Time, error) {
	var f inventory.Filter
	now := time.Now().UTC()
	if v.today != "" {
		d, err := inventory.ParseDate(v.today)
		if err != nil {
			return nil, f, now, usageErr("--today: %v", err)
		}
		now = d.Time
	}
	if v.risk != "" {
		c, err := inventory.ParseRisk(v.risk)
		if err != nil {
			return nil, f, now, usageErr("--risk: %v", err)
		}
		f.Risk = c
	}
	if v.phi != "" {
		p, err := inventory.ParsePHI(v.phi)
		if err != nil {
			return nil, f, now, usageErr("--phi: %v", err)
		}
		f.PHI = p
	}
	f.Zone, f.OverduePatch = v.zone, v.overdue
	inv, err := loadInventory(v.inventory)
	return inv, f, now, err
}

func newInventoryListCmd() *cobra.Command {
	var v viewFlags
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "list --inventory FILE [--zone Z] [--risk R] [--phi P] [--overdue-patch] [--json]",
		Short: "List devices with their risk class and the rules that set it, highest risk first",
		Example: `  ward inventory list --inventory inventory.json --risk high
  ward inventory list --inventory inventory.json --phi stores --overdue-patch`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			inv, f, now, err := v.parse()
			if err != nil {
				return err
			}
			rows := inv.Rows(f, inventory.DefaultPolicy(), now)
			if asJSON {
				enc := json.NewEncoder(cmd.OutOrStdout())
				enc.SetIndent("", "  ")
				if rows == nil {
					rows = []inventory.Row{}
				}
				return enc.Encode(rows)
			}
			return printRows(cmd.OutOrStdout(), rows)
		},
	}
	v.register(cmd)
	cmd.Flags().BoolVar(&asJSON, "json", false, "print records and assessments as JSON")
	return cmd
}

func printRows(w io.Writer, rows []inventory.Row) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ASSET\tDEVICE\tZONE\tOWNER\tPHI\tFIRMWARE\tRISK\tWHY")
	for _, r := range rows {
		var why []string
		for _, re := range r.Assessment.Reasons {
			why = append(why, re.Why)
		}
		rec := r.Record
		fmt.Fprintf(tw, "%s\t%s %s\t%s\t%s\t%s\t%s\t%s\t%s\n", show(rec.AssetID), show(rec.Manufacturer), show(rec.Model), show(dash(rec.Zone)), show(dash(rec.Owner)),
			show(string(rec.PHI)), show(dash(rec.Firmware)), r.Assessment.Class, show(strings.Join(why, "; ")))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := fmt.Fprintf(w, "%d device(s)\n", len(rows))
	return err
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func newInventoryReportCmd() *cobra.Command {
	var v viewFlags
	var out string
	var staleDays int
	cmd := &cobra.Command{
		Use:     "report --inventory FILE --out FILE.html [filters]",
		Short:   "Write the inventory as a self-contained HTML page (risk, reasons, stale records)",
		Example: `  ward inventory report --inventory inventory.json --out inventory.html --risk medium`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if out == "" {
				return usageErr("--out FILE.html is required")
			}
			if staleDays < 1 {
				return usageErr("--stale-days must be at least 1")
			}
			inv, f, now, err := v.parse()
			if err != nil {
				return err
			}
			rep := inventory.Report{
				Generated: now, Rows: inv.Rows(f, inventory.DefaultPolicy(), now),
				Stale: inv.Stale(now, time.Duration(staleDays)*24*time.Hour), StaleDays: staleDays,
			}
			var b strings.Builder
			if err := inventory.WriteHTML(&b, rep); err != nil {
				return err
			}
			if err := atomicfile.WriteBytes(out, []byte(b.String()), 0o644, atomicfile.KeepMode()); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%d device(s), %d not seen for %d days: %s\n", len(rep.Rows), len(rep.Stale), staleDays, out)
			return nil
		},
	}
	v.register(cmd)
	cmd.Flags().StringVar(&out, "out", "", "HTML file to write")
	cmd.Flags().IntVar(&staleDays, "stale-days", 30, "list records not seen by a check for this many days")
	return cmd
}

func newInventoryDiffCmd() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "diff OLD NEW",
		Short: "Show devices added, removed and changed between two inventories (exit 1 when they differ)",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			a, err := loadInventory(args[0])
			if err != nil {
				return err
			}
			b, err := loadInventory(args[1])
			if err != nil {
				return err
			}
			d := inventory.DiffInventories(a, b)
			w := cmd.OutOrStdout()
			if asJSON {
				enc := json.NewEncoder(w)
				enc.SetIndent("", "  ")
				if err := enc.Encode(d); err != nil {
					return err
				}
			} else {
				for _, r := range d.Added {
					fmt.Fprintf(w, "+ %s  %s %s serial %s (%s)\n", show(r.AssetID), show(r.Manufacturer), show(r.Model), show(r.Serial), show(dash(r.Location)))
				}
				for _, r := range d.Removed {
					fmt.Fprintf(w, "- %s  %s %s serial %s (%s)\n", show(r.AssetID), show(r.Manufacturer), show(r.Model), show(r.Serial), show(dash(r.Location)))
				}
				for _, c := range d.Changed {
					for _, f := range c.Fields {
						fmt.Fprintf(w, "~ %s  %s: %s -> %s\n", show(c.AssetID), show(f.Field), safetext.Quote(f.Old), safetext.Quote(f.New))
					}
				}
				fmt.Fprintf(w, "%d added, %d removed, %d changed\n", len(d.Added), len(d.Removed), len(d.Changed))
			}
			if !d.Empty() {
				return quiet(exitNotSatisfied)
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the differences as JSON")
	return cmd
}
