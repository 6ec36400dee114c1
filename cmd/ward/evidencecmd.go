package main

import (
	"crypto/ed25519"
	"errors"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/wardsec/ward/pkg/evidence"
)

func newEvidenceCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "evidence",
		Short: "Work with evidence bundles",
	}
	cmd.AddCommand(newVerifyCmd())
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
			var trusted ed25519.PublicKey
			if pubkey != "" {
				k, err := evidence.LoadPublicKey(pubkey)
				if err != nil {
					return usageErr("--pubkey: %v", err)
				}
				trusted = k
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
