package wardcli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/wardsec/ward/pkg/device"
	"github.com/wardsec/ward/pkg/sim"
	"github.com/wardsec/ward/pkg/sim/serve"
)

func newSimCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "sim",
		Short: "Run simulated devices",
	}
	cmd.AddCommand(newSimServeCmd(), newSimWeaknessesCmd())
	return cmd
}

// newSimWeaknessesCmd lists the weakness toggles, so users need not read
// the source to know what ?weaken= takes and which controls each must fail.
func newSimWeaknessesCmd() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "weaknesses [--json]",
		Short: "List the simulator's weakness toggles and the controls each must fail",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ws := sim.Weaknesses()
			w := cmd.OutOrStdout()
			if asJSON {
				enc := json.NewEncoder(w)
				enc.SetIndent("", "  ")
				return enc.Encode(ws)
			}
			for _, x := range ws {
				fmt.Fprintf(w, "%s\n  %s\n  fails: %s\n", x.Name, x.Description, strings.Join(x.Fails, ", "))
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func newSimServeCmd() *cobra.Command {
	var cfg serve.Config
	var weaken []string
	var caCert, caKey string
	cmd := &cobra.Command{
		Use:   "serve --profile NAME [--weaken LIST] [--listen ADDR]",
		Short: "Serve a simulated device over the network (management API over HTTPS, HL7 over MLLP)",
		Long: `Serve a simulated device as a network service: the management API over HTTPS
(TLS 1.3, docs/management-api.md) and, per unit, an HL7 v2 feed over MLLP
wrapped in TLS (docs/hl7.md). The first line printed is

  target: URI

the exact --target value for 'ward check' that reaches the service and trusts
its CA (pinned by SHA-256); the second, "hl7-feed: ADDR (...)", is the HL7
feed of a resident unit for clinical peers (its CA and a client certificate:
GET /v1/device/transport/endpoints, POST /v1/device/transport/client-certificate;
see docs/hl7.md). Each connection of a check gets a fresh simulated unit with
its own feed. With --mtls-dir the management API
requires a client certificate, which is written there and named in the
target. SIGINT or SIGTERM shuts it down cleanly (exit 0).

Profiles: ` + strings.Join(sim.Profiles(), ", ") + `.`,
		Example: `  ward sim serve --profile infusion-pump
  ward sim serve --profile infusion-pump --weaken cleartext-transport --listen 127.0.0.1:8443
  ward sim serve --profile patient-monitor --mtls-dir ./ward-client`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if cfg.Profile == "" {
				return usageErr("--profile is required (one of %s)", strings.Join(sim.Profiles(), ", "))
			}
			if (caCert == "") != (caKey == "") {
				return usageErr("--ca-cert and --ca-key go together")
			}
			if caCert != "" {
				var err error
				if cfg.CACert, err = os.ReadFile(caCert); err != nil {
					return usageErr("--ca-cert: %v", err)
				}
				if cfg.CAKey, err = os.ReadFile(caKey); err != nil {
					return usageErr("--ca-key: %v", err)
				}
			}
			for _, w := range weaken {
				cfg.Weaknesses = append(cfg.Weaknesses, strings.Split(w, ",")...)
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			svc, err := serve.Start(ctx, cfg)
			if err != nil {
				if errors.Is(err, device.ErrBadTarget) {
					return usageErr("%v", err)
				}
				return &exitError{code: exitHarness, err: err}
			}
			out := cmd.OutOrStdout()
			fmt.Fprintf(out, "target: %s\n", svc.Target)
			mode := "MLLP over TLS, client certificate required"
			if len(svc.Feed.CA) == 0 {
				mode = "MLLP in cleartext (weakened)"
			} else if !svc.Feed.ClientAuth {
				mode = "MLLP over TLS, no client certificate (weakened)"
			}
			fmt.Fprintf(out, "hl7-feed: %s (%s)\n", svc.Feed.Address, mode)
			fmt.Fprintf(cmd.ErrOrStderr(), "ward: serving %s on %s; stop with Ctrl-C\n", cfg.Profile, svc.Addr)
			if err := svc.Wait(); err != nil && !errors.Is(err, context.Canceled) {
				return &exitError{code: exitHarness, err: err}
			}
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&cfg.Profile, "profile", "", "device to simulate: "+strings.Join(sim.Profiles(), ", "))
	fl.StringSliceVar(&weaken, "weaken", nil, "weakness toggles to switch on (comma-separated; 'ward sim weaknesses' lists them)")
	fl.StringVar(&cfg.Listen, "listen", "127.0.0.1:0", "address of the management API")
	fl.StringVar(&caCert, "ca-cert", "", "PEM CA certificate to issue the server certificate from (default: a fresh CA)")
	fl.StringVar(&caKey, "ca-key", "", "PKCS#8 PEM key of --ca-cert")
	fl.BoolVar(&cfg.SingleUnit, "single-unit", false, "serve one unit that keeps its state between checks, as a real device, instead of a fresh unit per check")
	fl.StringVar(&cfg.ClientCertDir, "mtls-dir", "", "require client certificates on the management API; write one for ward check into this directory (named in the target)")
	return cmd
}
