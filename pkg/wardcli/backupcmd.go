package wardcli

import (
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/wardsec/ward/pkg/backup"
)

func newBackupCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "backup",
		Short: "Make, verify and restore encrypted backups of a data directory",
		Long: `Backups (docs/backup-format.md) hold every regular file of a directory in one
encrypted, authenticated archive. Restore verifies the whole backup before it
replaces anything, so a damaged or forged backup leaves the old data as it was.`,
	}
	cmd.AddCommand(newBackupCreateCmd(), newBackupVerifyCmd(), newBackupRestoreCmd())
	return cmd
}

func newBackupCreateCmd() *cobra.Command {
	var kf keyFlags
	var dir, out string
	cmd := &cobra.Command{
		Use:     "create --dir DIR --out FILE (--key FILE | --passphrase-env VAR)...",
		Short:   "Back up a directory into one encrypted file",
		Example: "  ward backup create --dir /var/lib/pump --out pump-0042.bak --key site-backup.key",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if dir == "" || out == "" {
				return usageErr("--dir and --out are required")
			}
			if err := isDir(dir, "--dir"); err != nil {
				return err
			}
			ws, err := kf.wrappers()
			if err != nil {
				return err
			}
			var m backup.Manifest
			err = output(cmd, out, func(w io.Writer) error {
				var err error
				m, err = backup.CreateDir(cmd.Context(), w, dir, time.Now(), ws...)
				return err
			})
			if err != nil {
				return cryptoErr("backup", err)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "backed up %d files (%d bytes) from %s to %s\n", len(m.Entries), m.Size(), dir, out)
			return nil
		},
	}
	kf.register(cmd, "seal the backup")
	cmd.Flags().StringVar(&dir, "dir", "", "directory to back up")
	cmd.Flags().StringVar(&out, "out", "", "backup file to write (atomically)")
	return cmd
}

func newBackupVerifyCmd() *cobra.Command {
	var kf keyFlags
	cmd := &cobra.Command{
		Use:   "verify FILE (--key FILE | --passphrase-env VAR)...",
		Short: "Check a backup end to end without restoring it",
		Long:  "Exit status: 0 the backup is intact; 1 it is damaged or forged; 2 no usable key or bad usage.",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			us, err := kf.unwrappers()
			if err != nil {
				return err
			}
			f, err := os.Open(args[0])
			if err != nil {
				return usageErr("%v", err)
			}
			defer f.Close()
			m, err := backup.Verify(cmd.Context(), f, us...)
			if err != nil {
				return backupErr("verify", err)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "intact: %s\n  %d files, %d bytes, from %s, made %s\n", args[0], len(m.Entries), m.Size(), m.Source, m.Created.Format(time.RFC3339))
			return nil
		},
	}
	kf.register(cmd, "open the backup")
	return cmd
}

func newBackupRestoreCmd() *cobra.Command {
	var kf keyFlags
	var dir string
	cmd := &cobra.Command{
		Use:     "restore FILE --dir DIR (--key FILE | --passphrase-env VAR)...",
		Short:   "Restore a backup into DIR, replacing it only after the whole backup verified",
		Example: "  ward backup restore pump-0042.bak --dir /var/lib/pump --key site-backup.key",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if dir == "" {
				return usageErr("--dir is required")
			}
			us, err := kf.unwrappers()
			if err != nil {
				return err
			}
			f, err := os.Open(args[0])
			if err != nil {
				return usageErr("%v", err)
			}
			defer f.Close()
			m, st, err := backup.RestoreDir(cmd.Context(), f, dir, us...)
			if err != nil {
				return backupErr("restore", err)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "restored %d files (%d bytes) from %s into %s in %s\n", st.Files, st.Bytes, m.Source, dir, st.Duration.Round(time.Millisecond))
			return nil
		},
	}
	kf.register(cmd, "open the backup")
	cmd.Flags().StringVar(&dir, "dir", "", "directory to restore into (replaced as a whole)")
	return cmd
}

// backupErr treats a corrupt archive like an unauthentic file (exit 1).
func backupErr(op string, err error) error {
	if errors.Is(err, backup.ErrCorrupt) {
		return &exitError{code: exitNotSatisfied, err: fmt.Errorf("%s: %w", op, err)}
	}
	return cryptoErr(op, err)
}
