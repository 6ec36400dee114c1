package wardcli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/wardsec/ward/internal/atomicfile"
	"github.com/wardsec/ward/pkg/update"
	"github.com/wardsec/ward/pkg/update/repo"
)

func newUpdateCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "update",
		Short: "Verify firmware updates against TUF metadata; create and serve update repositories",
		Long: `Firmware updates are TUF targets (docs/update.md): signed by a threshold of the
maker's keys, fresh (timestamp not expired), consistent, and carrying Ward's
custom metadata (anti-rollback version, hardware ids, SBOM).

'ward update verify' checks one target the way a device does and writes it only
when it verifies. 'ward update repo' creates, signs and serves repositories.`,
	}
	cmd.AddCommand(newUpdateVerifyCmd(), newUpdateRepoCmd())
	return cmd
}

type verifyFlags struct {
	root, repo, targetsURL, target, out, state, hardware string
	timeout                                              time.Duration
}

func newUpdateVerifyCmd() *cobra.Command {
	var f verifyFlags
	cmd := &cobra.Command{
		Use:   "verify --root FILE --repo METADATA_URL [--targets-url URL] --target NAME --out FILE [--state DIR]",
		Short: "Verify one update target and write it atomically to --out",
		Long: `Runs the TUF client workflow from the trusted root in --root against the
repository at --repo (http(s):// or file://), looks --target up, checks Ward's
custom metadata when present (version against the counter in --state, hardware
against --hardware, SBOM present and matching its signed hash), and streams the
target to --out, verifying its signed length and hashes.

Targets default to METADATA_URL/targets (go-tuf's convention). --state keeps the
trusted metadata (root rotations, rollback protection) and the anti-rollback
counter between runs; a verified image raises the counter to its version.

Exit status: 0 verified and written; 1 refused (the reason is printed, nothing
is left at --out); 2 bad usage.`,
		Example: `  ward update verify --root root.json --repo https://updates.example.com/metadata \
    --targets-url https://updates.example.com/targets --target pump/fw-2.bin --out fw.bin --state /var/lib/ward-update`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runVerify(cmd, f) },
	}
	fl := cmd.Flags()
	fl.StringVar(&f.root, "root", "", "trusted root.json (the device's factory trust)")
	fl.StringVar(&f.repo, "repo", "", "metadata URL")
	fl.StringVar(&f.targetsURL, "targets-url", "", "targets URL (default METADATA_URL/targets)")
	fl.StringVar(&f.target, "target", "", "target name to verify")
	fl.StringVar(&f.out, "out", "", "file to write the verified target to")
	fl.StringVar(&f.state, "state", "", "state directory: trusted metadata and anti-rollback counter")
	fl.StringVar(&f.hardware, "hardware", "", "hardware id the image must list (default: not checked)")
	fl.DurationVar(&f.timeout, "timeout", 10*time.Minute, "give up after this long")
	return cmd
}

func runVerify(cmd *cobra.Command, f verifyFlags) error {
	for _, req := range []struct{ name, v string }{{"--root", f.root}, {"--repo", f.repo}, {"--target", f.target}, {"--out", f.out}} {
		if req.v == "" {
			return usageErr("%s is required", req.name)
		}
	}
	root, err := os.ReadFile(f.root)
	if err != nil {
		return usageErr("--root: %v", err)
	}
	u, err := url.Parse(f.repo)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https" && u.Scheme != "file") {
		return usageErr("--repo %q: want an http://, https:// or file:// URL", f.repo)
	}
	opts := []update.Option{}
	if u.Scheme == "file" {
		opts = append(opts, update.WithFetcher(update.DirFetcher{Dir: "/", Base: "file://"}))
	} else {
		opts = append(opts, update.WithFetcher(update.NewHTTPFetcher(&http.Client{})))
	}
	if f.targetsURL != "" {
		opts = append(opts, update.WithTargetsURL(f.targetsURL))
	}
	policy := update.Policy{Hardware: f.hardware}
	var counter *update.FileCounter
	if f.state != "" {
		if err := os.MkdirAll(f.state, 0o700); err != nil {
			return usageErr("--state: %v", err)
		}
		opts = append(opts, update.WithStateDir(f.state))
		counter = update.NewFileCounter(filepath.Join(f.state, "counter.json"))
		policy.Floor = counter
	}
	client, err := update.NewClient(root, f.repo, opts...)
	if err != nil {
		return usageErr("%v", err)
	}
	ctx := cmd.Context()
	if f.timeout > 0 {
		var cancel func()
		ctx, cancel = context.WithTimeout(ctx, f.timeout)
		defer cancel()
	}
	// The image goes to a temporary file that becomes --out only once it
	// verified whole (internal/atomicfile), so a refusal leaves nothing.
	var ch update.Checked
	var refused error
	err = atomicfile.Write(f.out, 0o600, func(w io.Writer) error {
		ch, refused = client.Fetch(ctx, f.target, w, policy)
		return refused
	})
	if refused != nil {
		return &exitError{code: exitNotSatisfied, err: fmt.Errorf("refused (%s): %w", update.Reason(refused), refused)}
	}
	if err != nil {
		return &exitError{code: exitHarness, err: fmt.Errorf("--out: %w", err)}
	}
	line := fmt.Sprintf("verified %s: %d bytes, sha256 %s", f.target, ch.Target.Length, ch.Target.SHA256Hex())
	if c := ch.Target.Custom; c != nil {
		line += fmt.Sprintf(", version %d, hardware %s", c.Version, strings.Join(c.Hardware, ","))
		if ch.BOM != nil {
			line += fmt.Sprintf(", SBOM %s (%d components)", c.SBOM, componentCount(ch))
		}
		if counter != nil {
			if err := counter.Advance(ctx, c.Version); err != nil {
				return &exitError{code: exitHarness, err: err}
			}
		}
	}
	fmt.Fprintln(cmd.OutOrStdout(), line)
	return nil
}

func componentCount(ch update.Checked) int {
	if ch.BOM == nil || ch.BOM.Components == nil {
		return 0
	}
	return len(*ch.BOM.Components)
}

func newUpdateRepoCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "repo",
		Short: "Create, add to, re-sign and serve a TUF update repository (device makers, tests)",
		Long: `A repository directory holds metadata/ and targets/ (what the update server
serves) and keys/ (Ed25519 PKCS#8 PEM signing keys, mode 0600: keep them
offline). See docs/update.md.`,
	}
	cmd.AddCommand(newRepoInitCmd(), newRepoAddCmd(), newRepoSignCmd(), newRepoServeCmd())
	return cmd
}

func newRepoInitCmd() *cobra.Command {
	var dir string
	var rootThreshold, targetsThreshold int
	cmd := &cobra.Command{
		Use:   "init --dir DIR",
		Short: "Create a repository with fresh keys; DIR/metadata/1.root.json is what devices trust",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if dir == "" {
				return usageErr("--dir is required")
			}
			if _, err := os.Stat(filepath.Join(dir, "metadata")); err == nil {
				return usageErr("--dir %s already holds a repository", dir)
			}
			r, err := repo.New(repo.WithThreshold(repo.Root, rootThreshold), repo.WithThreshold(repo.Targets, targetsThreshold))
			if err != nil {
				return usageErr("%v", err)
			}
			if err := r.Save(dir); err != nil {
				return &exitError{code: exitHarness, err: err}
			}
			fmt.Fprintf(cmd.OutOrStdout(), "repository created in %s; devices trust %s\n", dir, filepath.Join(dir, "metadata", "1.root.json"))
			return nil
		},
	}
	cmd.Flags().StringVar(&dir, "dir", "", "repository directory to create")
	cmd.Flags().IntVar(&rootThreshold, "root-threshold", 1, "root keys (and signatures needed)")
	cmd.Flags().IntVar(&targetsThreshold, "targets-threshold", 1, "targets keys (and signatures needed)")
	return cmd
}

func newRepoAddCmd() *cobra.Command {
	var dir, name, file, sbomFile string
	var version uint64
	var hardware []string
	cmd := &cobra.Command{
		Use:   "add --dir DIR --name NAME --file FILE --version N --hardware ID [--sbom FILE]",
		Short: "Add a firmware image (and its CycloneDX SBOM) and publish",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if dir == "" || name == "" || file == "" || version == 0 || len(hardware) == 0 {
				return usageErr("--dir, --name, --file, --version (≥ 1) and --hardware are required")
			}
			r, err := repo.Load(dir)
			if err != nil {
				return usageErr("%v", err)
			}
			data, err := os.ReadFile(file)
			if err != nil {
				return usageErr("--file: %v", err)
			}
			im := repo.Image{Name: name, Data: data, Version: version, Hardware: hardware}
			if sbomFile != "" {
				if im.SBOM, err = os.ReadFile(sbomFile); err != nil {
					return usageErr("--sbom: %v", err)
				}
			} else {
				fmt.Fprintln(cmd.ErrOrStderr(), "ward: warning: no --sbom; devices with the default policy will refuse this image")
			}
			if err := r.AddImage(im); err != nil {
				return usageErr("%v", err)
			}
			if err := r.Publish(); err != nil {
				return &exitError{code: exitHarness, err: err}
			}
			if err := r.Save(dir); err != nil {
				return &exitError{code: exitHarness, err: err}
			}
			fmt.Fprintf(cmd.OutOrStdout(), "added %s (version %d) and published targets version %d\n", name, version, r.Versions()[repo.Targets])
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&dir, "dir", "", "repository directory")
	fl.StringVar(&name, "name", "", "target name, e.g. pump/fw-1.5.0.bin")
	fl.StringVar(&file, "file", "", "image file")
	fl.Uint64Var(&version, "version", 0, "anti-rollback version (≥ 1)")
	fl.StringSliceVar(&hardware, "hardware", nil, "hardware ids the image runs on (repeatable, comma-separated)")
	fl.StringVar(&sbomFile, "sbom", "", "CycloneDX JSON SBOM of the image")
	return cmd
}

func newRepoSignCmd() *cobra.Command {
	var dir, rotate string
	cmd := &cobra.Command{
		Use:   "sign --dir DIR [--rotate ROLE]",
		Short: "Re-sign targets, snapshot and timestamp with fresh expiry dates (or rotate a role's keys)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if dir == "" {
				return usageErr("--dir is required")
			}
			r, err := repo.Load(dir)
			if err != nil {
				return usageErr("%v", err)
			}
			if rotate != "" {
				err = r.RotateRoot(rotate)
			} else {
				err = r.Publish()
			}
			if err != nil {
				return usageErr("%v", err)
			}
			if rotate != "" {
				// Retired keys must not linger next to the new ones.
				old, _ := filepath.Glob(filepath.Join(dir, "keys", rotate+"-*.pem"))
				for _, p := range old {
					os.Remove(p)
				}
			}
			if err := r.Save(dir); err != nil {
				return &exitError{code: exitHarness, err: err}
			}
			v := r.Versions()
			fmt.Fprintf(cmd.OutOrStdout(), "signed: root %d, targets %d, snapshot %d, timestamp %d\n", v[repo.Root], v[repo.Targets], v[repo.Snapshot], v[repo.Timestamp])
			return nil
		},
	}
	cmd.Flags().StringVar(&dir, "dir", "", "repository directory")
	cmd.Flags().StringVar(&rotate, "rotate", "", "replace this role's keys (root, targets, snapshot, timestamp) in a new root")
	return cmd
}

func newRepoServeCmd() *cobra.Command {
	var dir, listen string
	cmd := &cobra.Command{
		Use:   "serve --dir DIR [--listen 127.0.0.1:8080]",
		Short: "Serve a repository over HTTP and print its metadata URL (publishes made while it runs are served)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if dir == "" {
				return usageErr("--dir is required")
			}
			h, err := repo.DirHandler(dir)
			if err != nil {
				return usageErr("%v", err)
			}
			ln, err := net.Listen("tcp", listen)
			if err != nil {
				return usageErr("--listen: %v", err)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "http://%s/metadata (targets http://%s/targets)\n", ln.Addr(), ln.Addr())
			srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
			go func() {
				<-cmd.Context().Done()
				sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				defer cancel()
				_ = srv.Shutdown(sctx)
			}()
			if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
				return err
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&dir, "dir", "", "repository directory")
	cmd.Flags().StringVar(&listen, "listen", "127.0.0.1:0", "address to listen on")
	return cmd
}
