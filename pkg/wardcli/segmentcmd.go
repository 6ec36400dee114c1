package wardcli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/wardsec/ward/internal/inputlimit"
	"github.com/wardsec/ward/pkg/segment"
	"github.com/wardsec/ward/pkg/segment/mud"
	"github.com/wardsec/ward/pkg/segment/segmenthcl"
)

func newSegmentCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "segment",
		Short: "Check flows against a segmentation policy, compile it to nftables, import MUD files",
		Long: `Segmentation policies (docs/segment-policy.md) put devices in zones, give
each device an allowlist (by CIDR, zone, DNS name or MUD class) and open
conduits between zones. Everything else is denied.`,
	}
	cmd.AddCommand(newSegmentCheckCmd(), newSegmentCompileCmd(), newSegmentImportMUDCmd())
	return cmd
}

// staticResolver answers dns: peers from --dns NAME=ADDR flags, so checks
// never depend on the network.
type staticResolver map[string][]netip.Addr

func (r staticResolver) LookupNetIP(_ context.Context, _, host string) ([]netip.Addr, error) {
	if a, ok := r[host]; ok {
		return a, nil
	}
	return nil, fmt.Errorf("%s: not given with --dns", host)
}

type policyFlags struct {
	policy string
	dns    []string
}

func (p *policyFlags) register(cmd *cobra.Command) {
	cmd.Flags().StringVar(&p.policy, "policy", "", "policy file (HCL)")
	cmd.Flags().StringArrayVar(&p.dns, "dns", nil, "answer for a dns: peer, NAME=ADDR (repeatable; names not given match nothing)")
}

// load reads, validates and compiles the policy. Diagnostics (with source
// snippets) go to stderr; errors are usage errors.
func (p *policyFlags) load(ctx context.Context, stderr io.Writer) (*segment.Engine, error) {
	if p.policy == "" {
		return nil, usageErr("--policy is required")
	}
	src, err := inputlimit.ReadFile(p.policy, inputlimit.MaxPolicyFile)
	if err != nil {
		return nil, usageErr("%v", err)
	}
	res := staticResolver{}
	for _, d := range p.dns {
		name, addr, ok := strings.Cut(d, "=")
		a, err := netip.ParseAddr(addr)
		if !ok || err != nil {
			return nil, usageErr("--dns %q: want NAME=ADDR", d)
		}
		name = strings.TrimSuffix(strings.ToLower(name), ".")
		res[name] = append(res[name], a)
	}
	// Loading a big policy takes seconds: the first SIGINT or SIGTERM (ctx)
	// stops it.
	pol, f, diags, err := segmenthcl.LoadContext(ctx, p.policy, src)
	if err != nil {
		return nil, err
	}
	if len(diags) > 0 {
		if err := segmenthcl.WriteDiagnostics(stderr, f, diags); err != nil {
			return nil, err
		}
	}
	if diags.HasErrors() {
		return nil, usageErr("%s: policy has errors", p.policy)
	}
	e, err := segment.Compile(ctx, pol, segment.WithResolver(res))
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, usageErr("%v", err)
	}
	shown := map[string]bool{}
	for _, d := range diags {
		shown[d.Detail] = true
	}
	for _, w := range e.Warnings() {
		if !shown[w.Msg] { // validation warnings were shown above
			fmt.Fprintln(stderr, "ward: "+w.String())
		}
	}
	return e, nil
}

func newSegmentCheckCmd() *cobra.Command {
	var pf policyFlags
	var flow, flows string
	var explain bool
	cmd := &cobra.Command{
		Use:   "check --policy FILE (--flow FLOW | --flows FILE)",
		Short: "Decide flows: allow or deny, and the rule that decided",
		Long: `Prints one decision per flow: "allow RULE (file:line:col)" or "deny REASON".
--flows reads one flow per line ("-" for stdin) and writes one decision per
line, in order, as it reads; a line that is not a flow gets "error: ..." in
its place and the command exits 2 at the end. Blank lines and lines starting
with # are copied through as they are.`,
		Example: `  ward segment check --policy hospital.hcl --flow "src=10.77.10.5 dst=10.77.30.20 proto=tcp dport=443"
  ward segment check --policy hospital.hcl --flows flows.txt`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if (flow == "") == (flows == "") {
				return usageErr("give exactly one of --flow and --flows")
			}
			e, err := pf.load(cmd.Context(), cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			out := bufio.NewWriter(cmd.OutOrStdout())
			defer out.Flush()
			decide := func(s string) error {
				f, err := segment.ParseFlow(s)
				if err != nil {
					return err
				}
				if explain {
					fmt.Fprint(out, e.Explain(f))
				} else {
					fmt.Fprintln(out, e.Decide(f))
				}
				return nil
			}
			if flow != "" {
				if err := decide(flow); err != nil {
					return usageErr("--flow: %v", err)
				}
				return nil
			}
			var in io.Reader = cmd.InOrStdin()
			if flows != "-" {
				fh, err := os.Open(flows)
				if err != nil {
					return usageErr("%v", err)
				}
				defer fh.Close()
				in = fh
			}
			sc := bufio.NewScanner(in)
			sc.Buffer(make([]byte, 64<<10), 1<<20)
			// Read in a goroutine so that SIGINT or SIGTERM (ctx) stops the
			// command at once, even while it waits for input on a pipe.
			ctx := cmd.Context()
			lines := make(chan string, 256)
			scanErr := make(chan error, 1)
			go func() {
				defer close(lines)
				for sc.Scan() {
					select {
					case lines <- sc.Text():
					case <-ctx.Done():
						scanErr <- ctx.Err()
						return
					}
				}
				scanErr <- sc.Err()
			}()
			bad, n := 0, 0
			for {
				var text string
				var ok bool
				select {
				case <-ctx.Done():
					return ctx.Err()
				case text, ok = <-lines:
				}
				if !ok {
					break
				}
				n++
				line := strings.TrimSpace(text)
				if line == "" || strings.HasPrefix(line, "#") {
					fmt.Fprintln(out, line)
					continue
				}
				if err := decide(line); err != nil {
					bad++
					fmt.Fprintf(out, "error: %v\n", err)
					fmt.Fprintf(cmd.ErrOrStderr(), "ward: %s:%d: %v\n", flows, n, err)
				}
				// Stream: from a pipe each decision goes out as it is made
				// (the writer may be waiting for it before sending more);
				// from a file, in 32 KiB writes.
				if flows == "-" || out.Buffered() > 32<<10 {
					if err := out.Flush(); err != nil {
						return err
					}
				}
			}
			if err := <-scanErr; err != nil {
				if ctx.Err() != nil {
					return ctx.Err()
				}
				return usageErr("%s: %v", flows, err)
			}
			if bad > 0 {
				return usageErr("%d of the flows in %s are invalid", bad, flows)
			}
			return nil
		},
	}
	pf.register(cmd)
	cmd.Flags().StringVar(&flow, "flow", "", `one flow, e.g. "src=10.0.0.5 dst=10.1.0.2 proto=tcp dport=443 [sport=N]"`)
	cmd.Flags().StringVar(&flows, "flows", "", `file with one flow per line ("-": stdin)`)
	cmd.Flags().BoolVar(&explain, "explain", false, "explain each decision in words")
	return cmd
}

func newSegmentCompileCmd() *cobra.Command {
	var pf policyFlags
	var format, table, diff string
	var check bool
	cmd := &cobra.Command{
		Use:   "compile --policy FILE --format nft",
		Short: "Compile a policy to an nftables ruleset (for nft -f: replaces Ward's table atomically)",
		Example: `  ward segment compile --policy hospital.hcl --format nft > ward.nft && nft -c -f ward.nft && nft -f ward.nft
  ward segment compile --policy hospital.hcl --format nft --diff ward.nft`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if format != "nft" {
				return usageErr("--format %q: only nft is supported", format)
			}
			e, err := pf.load(cmd.Context(), cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			rs := e.NFTables(segment.NFTOptions{Table: table})
			if check {
				// nft -c parses and checks the whole transaction against
				// the kernel without committing it.
				if err := segment.ApplyNFT(cmd.Context(), nil, rs, true); err != nil {
					return &exitError{code: exitNotSatisfied, err: err}
				}
			}
			if diff != "" {
				old, err := os.ReadFile(diff)
				if err != nil && !errors.Is(err, os.ErrNotExist) {
					return usageErr("%v", err)
				}
				_, err = io.WriteString(cmd.OutOrStdout(), segment.DiffLines(string(old), rs))
				return err
			}
			_, err = io.WriteString(cmd.OutOrStdout(), rs)
			return err
		},
	}
	pf.register(cmd)
	cmd.Flags().StringVar(&format, "format", "nft", "output format: nft")
	cmd.Flags().StringVar(&table, "table", "ward", "name of the inet table Ward owns")
	cmd.Flags().StringVar(&diff, "diff", "", "print the changes from this previously compiled ruleset instead of the ruleset")
	cmd.Flags().BoolVar(&check, "check", false, "dry-run the ruleset with nft -c first (needs nft and root; exit 1 if nft refuses it)")
	return cmd
}

func newSegmentImportMUDCmd() *cobra.Command {
	var draft bool
	cmd := &cobra.Command{
		Use:   "import-mud FILE",
		Short: "Print a MUD (RFC 8520) file as an HCL profile block for a segmentation policy",
		Long: `Prints the MUD file's rules as a profile block; devices of that model take
them with profile = "NAME". Lateral MUD classes (same-manufacturer,
manufacturer, model, local-networks, controller, my-controller) become peers
resolved against the policy's devices and controller blocks.`,
		Example: "  ward segment import-mud pump-9000.json >> hospital.hcl",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			data, err := os.ReadFile(args[0])
			if err != nil {
				return usageErr("%v", err)
			}
			var opts []mud.Option
			if draft {
				opts = append(opts, mud.AcceptDraftContainer())
			}
			f, err := mud.Parse(args[0], data, opts...)
			if err != nil {
				return &exitError{code: exitUsage, err: err}
			}
			for _, w := range f.Warnings {
				fmt.Fprintln(cmd.ErrOrStderr(), "ward: "+w.String())
			}
			w := cmd.OutOrStdout()
			// A MUD file is the device maker's text: escaped, so it can
			// neither leave the comment nor drive the terminal.
			fmt.Fprintf(w, "# Imported by ward segment import-mud from %s\n# MUD URL: %s\n", show(args[0]), show(f.URL))
			if f.Systeminfo != "" {
				fmt.Fprintf(w, "# %s\n", show(f.Systeminfo))
			}
			// Say what the site must declare for the lateral classes to
			// match anyone.
			need := map[string]bool{}
			for _, r := range f.Profile.Rules {
				switch r.Peer.Kind {
				case segment.PeerController:
					need[fmt.Sprintf("# needs: controller %q { addresses = [...] }", r.Peer.Value)] = true
				case segment.PeerMyController:
					need[fmt.Sprintf("# needs: controller %q { addresses = [...] } (my-controller)", f.URL)] = true
				case segment.PeerDNS:
					need[fmt.Sprintf("# resolves: %s (ward segment check --dns %s=ADDR)", r.Peer.Value, r.Peer.Value)] = true
				}
			}
			lines := make([]string, 0, len(need))
			for l := range need {
				lines = append(lines, l)
			}
			slices.Sort(lines)
			for _, l := range lines {
				fmt.Fprintln(w, l)
			}
			fmt.Fprintf(w, "# devices of this model: profile = %q\n", f.Profile.Name)
			_, err = w.Write(segmenthcl.Encode(&segment.Policy{Profiles: []segment.Profile{f.Profile}}))
			return err
		},
	}
	cmd.Flags().BoolVar(&draft, "accept-draft-container", false, `read ACLs under the pre-RFC name "ietf-access-control-list:access-lists" as RFC 8520's "ietf-access-control-list:acls"`)
	return cmd
}
