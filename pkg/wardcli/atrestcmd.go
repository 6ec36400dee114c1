package wardcli

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/wardsec/ward/pkg/atrest"
)

func newAtRestCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "atrest",
		Short: "Encrypt, decrypt, re-key and inspect files in Ward's at-rest format",
		Long: `Files in Ward's at-rest format (docs/atrest-format.md) are encrypted and
authenticated in 64 KiB chunks with AES-256-GCM under a random per-file data
key, which is wrapped for one or more key-encryption keys named by id.

Key files hold one 256-bit key and its id; create one with 'ward atrest keygen'.
A passphrase may stand in for a key file (--passphrase-env VAR): it is
stretched with PBKDF2-HMAC-SHA256 in FIPS 140-3 mode and argon2id otherwise.`,
	}
	cmd.AddCommand(newKeygenCmd(), newEncryptCmd(), newDecryptCmd(), newRewrapCmd(), newInspectCmd())
	return cmd
}

func newKeygenCmd() *cobra.Command {
	var out, id string
	cmd := &cobra.Command{
		Use:     "keygen --out FILE [--id ID]",
		Short:   "Generate a random 256-bit key-encryption key into a new file (mode 0600)",
		Example: "  ward atrest keygen --out pump-0042.key --id pump-0042",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if out == "" {
				return usageErr("--out is required")
			}
			if _, err := os.Lstat(out); err == nil {
				return usageErr("--out %s: already exists; refusing to overwrite a key", out)
			}
			if id == "" {
				id = strings.TrimSuffix(filepath.Base(out), filepath.Ext(out))
			}
			k, err := atrest.GenerateKey(id)
			if err != nil {
				return usageErr("%v", err)
			}
			if err := atrest.SaveKeyFile(out, k); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "key %q written to %s\n", k.ID(), out)
			return nil
		},
	}
	cmd.Flags().StringVar(&out, "out", "", "file to create")
	cmd.Flags().StringVar(&id, "id", "", "key id recorded in every file it protects (default: the file's base name)")
	return cmd
}

// keyFlags are the ways a command is given keys.
type keyFlags struct {
	keys          []string
	passphraseEnv string
}

func (k *keyFlags) register(cmd *cobra.Command, what string) {
	cmd.Flags().StringArrayVar(&k.keys, "key", nil, "key file to "+what+" with (repeatable)")
	cmd.Flags().StringVar(&k.passphraseEnv, "passphrase-env", "", "name of an environment variable holding a passphrase to "+what+" with")
}

func (k *keyFlags) load() ([]*atrest.RawKey, *atrest.Passphrase, error) {
	var raws []*atrest.RawKey
	for _, f := range k.keys {
		rk, err := atrest.LoadKeyFile(f)
		if err != nil {
			return nil, nil, usageErr("--key %s: %v", f, err)
		}
		raws = append(raws, rk)
	}
	var pp *atrest.Passphrase
	if k.passphraseEnv != "" {
		v, ok := os.LookupEnv(k.passphraseEnv)
		if !ok || v == "" {
			return nil, nil, usageErr("--passphrase-env %s: variable is unset or empty", k.passphraseEnv)
		}
		pp = atrest.NewPassphrase(v)
	}
	if len(raws) == 0 && pp == nil {
		return nil, nil, usageErr("give at least one --key FILE or --passphrase-env VAR")
	}
	return raws, pp, nil
}

func (k *keyFlags) wrappers() ([]atrest.KeyWrapper, error) {
	raws, pp, err := k.load()
	if err != nil {
		return nil, err
	}
	var ws []atrest.KeyWrapper
	for _, r := range raws {
		ws = append(ws, r)
	}
	if pp != nil {
		ws = append(ws, pp)
	}
	return ws, nil
}

func (k *keyFlags) unwrappers() ([]atrest.KeyUnwrapper, error) {
	raws, pp, err := k.load()
	if err != nil {
		return nil, err
	}
	var us []atrest.KeyUnwrapper
	for _, r := range raws {
		us = append(us, r)
	}
	if pp != nil {
		us = append(us, pp)
	}
	return us, nil
}

// input opens --in, or stdin for "" and "-".
func input(cmd *cobra.Command, name string) (io.ReadCloser, error) {
	if name == "" || name == "-" {
		return io.NopCloser(cmd.InOrStdin()), nil
	}
	f, err := os.Open(name)
	if err != nil {
		return nil, usageErr("--in: %v", err)
	}
	return f, nil
}

// output writes through write to --out crash-safely (nothing appears at
// the path unless write succeeded), or streams to stdout for "" and "-".
func output(cmd *cobra.Command, name string, write func(io.Writer) error) error {
	if name == "" || name == "-" {
		return write(cmd.OutOrStdout())
	}
	if st, err := os.Stat(filepath.Dir(name)); err != nil || !st.IsDir() {
		return usageErr("--out %s: directory does not exist", name)
	}
	return atrest.WriteFileAtomic(name, 0o600, write)
}

// cryptoErr maps at-rest failures to exit statuses: a file that does not
// open is exit 1 (like a failed verify); bad keys and usage are exit 2.
func cryptoErr(op string, err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, atrest.ErrAuthentication), errors.Is(err, atrest.ErrMalformed):
		return &exitError{code: exitNotSatisfied, err: fmt.Errorf("%s: %w", op, err)}
	case errors.Is(err, atrest.ErrNoMatchingKey), errors.Is(err, atrest.ErrWrongPassphrase),
		errors.Is(err, atrest.ErrUnsupportedVersion), errors.Is(err, atrest.ErrNotApproved):
		return &exitError{code: exitUsage, err: fmt.Errorf("%s: %w", op, err)}
	}
	return fmt.Errorf("%s: %w", op, err)
}

func newEncryptCmd() *cobra.Command {
	var kf keyFlags
	var in, out string
	cmd := &cobra.Command{
		Use:   "encrypt (--key FILE | --passphrase-env VAR)... [--in FILE] [--out FILE]",
		Short: "Encrypt a file or stdin for one or more keys",
		Example: `  ward atrest encrypt --key pump-0042.key --in records.db --out records.db.sealed
  tar c data | ward atrest encrypt --key site.key --key offline-recovery.key > data.tar.sealed`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ws, err := kf.wrappers()
			if err != nil {
				return err
			}
			r, err := input(cmd, in)
			if err != nil {
				return err
			}
			defer r.Close()
			return cryptoErr("encrypt", output(cmd, out, func(w io.Writer) error {
				aw, err := atrest.NewWriter(cmd.Context(), w, nil, ws...)
				if err != nil {
					return err
				}
				if _, err := io.Copy(aw, r); err != nil {
					return err
				}
				return aw.Close()
			}))
		},
	}
	kf.register(cmd, "encrypt")
	cmd.Flags().StringVar(&in, "in", "", "file to encrypt (default stdin)")
	cmd.Flags().StringVar(&out, "out", "", "file to write (default stdout); written atomically")
	return cmd
}

func newDecryptCmd() *cobra.Command {
	var kf keyFlags
	var in, out string
	cmd := &cobra.Command{
		Use:   "decrypt (--key FILE | --passphrase-env VAR)... [--in FILE] [--out FILE]",
		Short: "Decrypt and authenticate a sealed file; with --out, nothing is written unless all of it authenticated",
		Long: `Decrypt a sealed file. Every chunk is authenticated before its plaintext is
released. With --out FILE the plaintext goes to a temporary file that replaces
FILE only once the whole input authenticated, so a tampered or truncated input
leaves nothing at FILE. On stdout, chunks that authenticated may already have
been written when a later one fails; the exit status is then non-zero.

Exit status: 0 decrypted; 1 the input is not authentic (tampered, truncated,
not a sealed file); 2 no usable key (unknown key id, wrong passphrase) or bad
usage.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			us, err := kf.unwrappers()
			if err != nil {
				return err
			}
			r, err := input(cmd, in)
			if err != nil {
				return err
			}
			defer r.Close()
			return cryptoErr("decrypt", output(cmd, out, func(w io.Writer) error {
				ar, err := atrest.NewReader(cmd.Context(), r, nil, us...)
				if err != nil {
					return err
				}
				_, err = io.Copy(w, ar)
				return err
			}))
		},
	}
	kf.register(cmd, "decrypt")
	cmd.Flags().StringVar(&in, "in", "", "sealed file (default stdin)")
	cmd.Flags().StringVar(&out, "out", "", "plaintext file to write (default stdout); written only if all input authenticated")
	return cmd
}

func newRewrapCmd() *cobra.Command {
	var kf keyFlags
	var add []string
	var remove []string
	cmd := &cobra.Command{
		Use:   "rewrap FILE --key CURRENT [--add-key NEW]... [--remove-key-id ID]...",
		Short: "Add, remove or replace the keys that open a sealed file, in place, without re-encrypting it",
		Long: `Rewrap changes which key-encryption keys can open FILE: it rewrites the header
only, crash-safely (temporary file, fsync, rename), leaving the encrypted
payload and its data key as they are. To replace a key, add the new one and
remove the old id in one command. A copy of the old file still opens with the
removed key: after a suspected key compromise, re-encrypt instead.`,
		Example: "  ward atrest rewrap records.db.sealed --key old.key --add-key new.key --remove-key-id old",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			us, err := kf.unwrappers()
			if err != nil {
				return err
			}
			rw := atrest.Rewrapping{Unwrap: us, Remove: remove}
			for _, f := range add {
				k, err := atrest.LoadKeyFile(f)
				if err != nil {
					return usageErr("--add-key %s: %v", f, err)
				}
				rw.Add = append(rw.Add, k)
			}
			if len(rw.Add) == 0 && len(rw.Remove) == 0 {
				return usageErr("nothing to do: give --add-key and/or --remove-key-id")
			}
			if _, err := os.Stat(args[0]); err != nil {
				return usageErr("%v", err)
			}
			if err := atrest.RewrapFile(cmd.Context(), args[0], rw); err != nil {
				return cryptoErr("rewrap", err)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "rewrapped %s\n", args[0])
			return nil
		},
	}
	kf.register(cmd, "open the file")
	cmd.Flags().StringArrayVar(&add, "add-key", nil, "key file to add (repeatable)")
	cmd.Flags().StringArrayVar(&remove, "remove-key-id", nil, "key id to remove (repeatable)")
	return cmd
}

func newInspectCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "inspect FILE",
		Short: "Show a sealed file's format version, key ids, chunk size and sizes, without any key",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			f, err := os.Open(args[0])
			if err != nil {
				return usageErr("%v", err)
			}
			defer f.Close()
			info, err := atrest.Inspect(f)
			if err != nil {
				return cryptoErr("inspect", err)
			}
			w := cmd.OutOrStdout()
			fmt.Fprintf(w, "file:        %s\nformat:      ward at-rest v%d\nchunk size:  %d bytes\nheader:      %d bytes\n", args[0], info.Version, info.ChunkSize, info.HeaderSize)
			fmt.Fprintf(w, "sealed size: %d bytes\nplaintext:   %d bytes in %d chunks (from the length; not authenticated)\n", info.SealedSize, info.PlaintextSize, info.Chunks)
			for _, r := range info.Recipients {
				approved := "FIPS 140-3 approved"
				if !atrest.FIPSApproved(r.Type) {
					approved = "not FIPS 140-3 approved"
				}
				fmt.Fprintf(w, "key:         %s (%s, %s)\n", r.KeyID, r.Type, approved)
			}
			return nil
		},
	}
}
