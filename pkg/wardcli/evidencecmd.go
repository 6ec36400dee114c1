package wardcli

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sync"

	"github.com/spf13/cobra"

	"github.com/wardsec/ward/controls"
	"github.com/wardsec/ward/pkg/evidence"
)

func newEvidenceCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "evidence",
		Short: "Work with evidence bundles",
	}
	cmd.AddCommand(newVerifyCmd(), newMergeCmd(), newDiffCmd())
	return cmd
}

func newMergeCmd() *cobra.Command {
	var out, signKey, pubkey string
	cmd := &cobra.Command{
		Use:   "merge DIR... --out DIR",
		Short: "Combine the bundles of a sharded fleet run into one signed bundle",
		Long: `Merge verifies every input bundle under one key: --pubkey when given, else the
first input's own key, so inputs signed by different keys are refused. It checks
that they used the same catalogue and Ward version, and writes one new bundle whose
results equal those of a single unsharded run: shards written with
'ward check --shard I/N' are put back in fleet order. The merged bundle is
signed with --sign-key, or with a fresh key whose public half it holds; its
signed manifest records each input's run id, shard and signer (merged_from).

Exit status: 0 merged; 1 an input bundle was altered or signed by another key; 2 bad usage, or the
bundles do not belong together (different catalogue, missing or repeated
shard).`,
		Example: `  ward evidence merge shard-1/2026* shard-2/2026* --out merged --sign-key qa.pem`,
		Args:    cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if out == "" {
				return usageErr("--out is required")
			}
			trusted, err := loadPubkey(pubkey)
			if err != nil {
				return err
			}
			key, err := signingKey(signKey)
			if err != nil {
				return err
			}
			for _, d := range args {
				if st, err := os.Stat(d); err != nil || !st.IsDir() {
					return usageErr("%s: not a directory", d)
				}
			}
			if err := checkWritable(out); err != nil {
				return err
			}
			ctx := cmd.Context()
			// The fleet streams from the inputs into the new bundle one
			// target at a time: a merge needs memory for a target, not for
			// the fleet.
			mr, err := evidence.OpenMerge(ctx, args, trusted, evidence.NewRunID())
			switch {
			case errors.Is(err, evidence.ErrAltered), errors.Is(err, evidence.ErrSigner):
				fmt.Fprintln(cmd.ErrOrStderr(), err.Error())
				return quiet(exitNotSatisfied)
			case errors.Is(err, evidence.ErrMergeMismatch):
				return usageErr("%v", err)
			case err != nil:
				return err
			}
			head := mr.Head()
			attested, err := mergeAttestationFiles(args)
			if err != nil {
				return err
			}
			// The merged bundle's forms are filled again from the merged
			// evidence, with the embedded mapping.
			form, err := mds2Supplement(controls.FS, head.ID, cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			opts := []evidence.WriteOption{evidence.WithUniqueName(head.Started.UTC().Format("20060102T150405Z")), evidence.WithSigner(key)}
			if cukes := cucumberInputs(args); len(cukes) > 0 {
				opts = append(opts, evidence.WithStreamedFile("cucumber.json", "every scenario and step as Cucumber JSON, for CI dashboards",
					func(ctx context.Context, w io.Writer) error { return mergeCucumber(ctx, w, cukes) }))
			}
			opts = append(append(opts, attested...), form...)
			bw, err := evidence.NewBundleWriter(ctx, out, head, opts...)
			if err != nil {
				return &exitError{code: exitHarness, err: fmt.Errorf("write evidence: %w", err)}
			}
			err = mr.Each(ctx, func(i int, t *evidence.Target) error { return bw.AddTarget(ctx, i, t, nil) })
			if errors.Is(err, evidence.ErrAltered) {
				_ = bw.Abort()
				fmt.Fprintln(cmd.ErrOrStderr(), err.Error())
				return quiet(exitNotSatisfied)
			}
			if err != nil {
				_ = bw.Abort()
				return &exitError{code: exitHarness, err: fmt.Errorf("write evidence: %w", err)}
			}
			dir, err := bw.Close(ctx, head.Finished)
			if err != nil {
				_ = bw.Abort()
				return &exitError{code: exitHarness, err: fmt.Errorf("write evidence: %w", err)}
			}
			run := bw.Summary()
			code := printSummary(io.Discard, run)
			fmt.Fprintf(cmd.OutOrStdout(), "merged %d bundle(s), %d target(s) into %s\nsigned by: %s\n", len(args), len(run.Targets), dir, evidence.Fingerprint(key.Public().(ed25519.PublicKey)))
			if code == exitNotSatisfied {
				fmt.Fprintln(cmd.OutOrStdout(), "some controls are not satisfied: see report.html")
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&out, "out", "", "directory under which the merged bundle is written")
	cmd.Flags().StringVar(&signKey, "sign-key", "", "Ed25519 private key (PKCS#8 PEM) to sign the merged bundle")
	cmd.Flags().StringVar(&pubkey, "pubkey", "", "trusted public key every input bundle must be signed with")
	return cmd
}

// cucumberInputs lists the inputs' cucumber.json files.
func cucumberInputs(dirs []string) []string {
	var out []string
	for _, d := range dirs {
		p := filepath.Join(d, "cucumber.json")
		if _, err := os.Stat(p); err == nil {
			out = append(out, p)
		}
	}
	return out
}

// mergeCucumber writes the features of every input's cucumber.json as one
// array, a feature at a time. The inputs were verified with their bundles;
// what is read now is checked to be a JSON array of objects.
func mergeCucumber(ctx context.Context, w io.Writer, files []string) error {
	if _, err := io.WriteString(w, "["); err != nil {
		return err
	}
	n := 0
	for _, p := range files {
		if err := eachFeature(ctx, p, func(feat json.RawMessage) error {
			sep := ",\n"
			if n == 0 {
				sep = "\n"
			}
			n++
			if _, err := io.WriteString(w, sep); err != nil {
				return err
			}
			_, err := w.Write(feat)
			return err
		}); err != nil {
			return fmt.Errorf("%s: %w", p, err)
		}
	}
	_, err := io.WriteString(w, "\n]\n")
	return err
}

// eachFeature streams the features of a cucumber.json file, compacted.
func eachFeature(ctx context.Context, p string, fn func(json.RawMessage) error) error {
	f, err := os.Open(p)
	if err != nil {
		return err
	}
	defer f.Close()
	dec := json.NewDecoder(f)
	if tok, err := dec.Token(); err != nil {
		return err
	} else if tok != json.Delim('[') {
		return errors.New("not a JSON array of features")
	}
	var buf bytes.Buffer
	for dec.More() {
		if err := ctx.Err(); err != nil {
			return err
		}
		var feat json.RawMessage
		if err := dec.Decode(&feat); err != nil {
			return err
		}
		if len(feat) == 0 || feat[0] != '{' {
			return errors.New("a feature that is not a JSON object")
		}
		buf.Reset()
		if err := json.Compact(&buf, feat); err != nil {
			return err
		}
		if err := fn(buf.Bytes()); err != nil {
			return err
		}
	}
	if _, err := dec.Token(); err != nil {
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("data after the array of features")
	}
	return nil
}

func newDiffCmd() *cobra.Command {
	var asJSON bool
	var pubkey string
	cmd := &cobra.Command{
		Use:   "diff OLD NEW",
		Short: "List controls that regressed or recovered between two bundles (for release gates)",
		Long: `Diff compares the control outcomes of two bundles: per target when every
target of NEW also appears in OLD, otherwise per control over the whole run (a
control counts as satisfied only when it is satisfied on every target). A
regression is a control that was satisfied (or waived) in OLD and is not in
NEW, or that is new and not satisfied.

Both bundles are verified first (against --pubkey when given, else each one's
own manifest.pub): an altered bundle is refused, since a gate must not pass on
edited results.

Exit status: 0 no regression; 1 at least one regression, or a bundle is
altered or not signed by --pubkey; 2 bad usage or not a bundle.`,
		Example: "  ward evidence diff release-1.4/20261101T* ward-evidence/20261123T*",
		Args:    cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			trusted, err := loadPubkey(pubkey)
			if err != nil {
				return err
			}
			for _, d := range args {
				if st, err := os.Stat(d); err != nil || !st.IsDir() {
					return usageErr("%s: not a directory", d)
				}
			}
			// The two bundles are read at once: each is a verify and a
			// stream over its results, CPU-bound at fleet size.
			var runs [2]*evidence.Run
			var errs [2]error
			var wg sync.WaitGroup
			for i, d := range args {
				wg.Go(func() { runs[i], errs[i] = evidence.ReadVerifiedOutcomes(cmd.Context(), d, trusted) })
			}
			wg.Wait()
			for i, err := range errs {
				if err == nil {
					continue
				}
				var ve *evidence.VerifyError
				if errors.As(err, &ve) || errors.Is(err, evidence.ErrAltered) {
					fmt.Fprintf(cmd.ErrOrStderr(), "ALTERED: %s: refusing to compare it\n%v\n", args[i], err)
					return quiet(exitNotSatisfied)
				}
				return usageErr("%s: %v", args[i], err)
			}
			changes := evidence.Diff(runs[0], runs[1])
			out := cmd.OutOrStdout()
			regressed := 0
			for _, c := range changes {
				if c.Regressed {
					regressed++
				}
			}
			if asJSON {
				enc := json.NewEncoder(out)
				enc.SetIndent("", "  ")
				if err := enc.Encode(changes); err != nil {
					return err
				}
			} else {
				for _, c := range changes {
					word := "recovered"
					if c.Regressed {
						word = "REGRESSED"
					}
					where := ""
					if c.Target != "" {
						where = " on " + c.Target
					}
					old := string(c.Old)
					if old == "" {
						old = "(new control)"
					}
					fmt.Fprintf(out, "%-9s %s%s: %s -> %s\n", word, show(c.Control), show(where), show(old), show(string(c.New)))
				}
				fmt.Fprintf(out, "%d regressed, %d recovered\n", regressed, len(changes)-regressed)
			}
			if regressed > 0 {
				return quiet(exitNotSatisfied)
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the changes as JSON")
	cmd.Flags().StringVar(&pubkey, "pubkey", "", "trusted Ed25519 public key (PEM) both bundles must be signed with")
	return cmd
}

func newVerifyCmd() *cobra.Command {
	var pubkey string
	cmd := &cobra.Command{
		Use:   "verify DIR",
		Short: "Check that an evidence bundle is exactly as signed: no file changed, added or removed",
		Long: `Verify re-hashes every file of the bundle in DIR, compares it with the signed
manifest, and checks the manifest's Ed25519 signature.

Without --pubkey the bundle's own manifest.pub is used: that proves the bundle
is unchanged since signing, not who signed it. Pass the signer's public key
(PEM) with --pubkey to prove both.

Exit status: 0 intact; 1 altered (every changed, added or removed file is
named); 2 DIR is not an evidence bundle or bad usage.`,
		Example: `  ward evidence verify ward-evidence/20261123T120000Z
  ward evidence verify --pubkey qa-signing.pub.pem ward-evidence/20261123T120000Z`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			trusted, err := loadPubkey(pubkey)
			if err != nil {
				return err
			}
			dir := args[0]
			if st, err := os.Stat(dir); err != nil || !st.IsDir() {
				return usageErr("%s: not a directory", dir)
			}
			m, err := evidence.Verify(cmd.Context(), dir, trusted)
			if err != nil {
				var ve *evidence.VerifyError
				if errors.As(err, &ve) || errors.Is(err, evidence.ErrAltered) {
					fmt.Fprintf(cmd.ErrOrStderr(), "ALTERED: %s\n", dir)
					fmt.Fprintln(cmd.ErrOrStderr(), err.Error())
					return quiet(exitNotSatisfied)
				}
				return usageErr("%s: %v", dir, err)
			}
			out := cmd.OutOrStdout()
			fmt.Fprintf(out, "intact: %s\n  run %s, %d files, signed by %s\n", dir, m.RunID, len(m.Files), m.KeyFingerprint)
			if trusted == nil {
				fmt.Fprintln(out, "  key taken from the bundle itself: this proves the bundle is unchanged, not who signed it (use --pubkey)")
			} else {
				fmt.Fprintln(out, "  signature verified with the trusted key given by --pubkey")
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&pubkey, "pubkey", "", "trusted Ed25519 public key (PEM) the bundle must be signed with")
	return cmd
}

// mergeAttestationFiles carries the inputs' attestation evidence files
// (attestations/, verified with their bundles) into the merged bundle. A
// path found in several inputs must hold the same bytes in each.
func mergeAttestationFiles(dirs []string) ([]evidence.WriteOption, error) {
	seen := map[string][]byte{}
	var opts []evidence.WriteOption
	for _, d := range dirs {
		root := filepath.Join(d, "attestations")
		err := filepath.WalkDir(root, func(p string, e fs.DirEntry, err error) error {
			if errors.Is(err, fs.ErrNotExist) && p == root {
				return fs.SkipDir
			}
			if err != nil || e.IsDir() {
				return err
			}
			rel, err := filepath.Rel(d, p)
			if err != nil {
				return err
			}
			rel = filepath.ToSlash(rel)
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			if prev, ok := seen[rel]; ok {
				if !bytes.Equal(prev, data) {
					return usageErr("%s: %s differs from the same file in another input bundle", d, rel)
				}
				return nil
			}
			seen[rel] = data
			opts = append(opts, evidence.WithFile(rel, data))
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	return opts, nil
}
