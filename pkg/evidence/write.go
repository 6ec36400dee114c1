package evidence

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"
)

// WriteOption configures Write.
type WriteOption struct {
	apply func(*writeConfig) error
}

type writeConfig struct {
	name   string
	unique bool // WithUniqueName
	key    ed25519.PrivateKey
	extras []bundleFile
	// supplement makes each target's supplement (WithSupplement).
	supplement Supplementer
}

type bundleFile struct {
	path string // slash-separated, relative to the bundle root
	data []byte
	what string // for an extra file: what it holds, listed in the report
	// write, when set, streams the content at Close (WithStreamedFile).
	write func(ctx context.Context, w io.Writer) error
}

// maxUniqueTries bounds the names WithUniqueName tries (name, name-2, ...
// name-100).
const maxUniqueTries = 100

// WithUniqueName is WithName for a name that may already be taken, such as
// a start time shared by two runs writing to one directory: the bundle
// then takes the first free name of name-2, name-3, ... name-100, chosen
// again at Close if another run took it meanwhile, so a finished run never
// loses its evidence to a name clash and no bundle is overwritten.
func WithUniqueName(name string) WriteOption {
	return WriteOption{func(c *writeConfig) error {
		if err := WithName(name).apply(c); err != nil {
			return err
		}
		c.unique = true
		return nil
	}}
}

// WithName sets the name of the bundle directory under parent. It must be a
// single path element. The default is run.Started in UTC formatted as
// "20060102T150405Z".
func WithName(name string) WriteOption {
	return WriteOption{func(c *writeConfig) error {
		if err := checkElement(name); err != nil {
			return fmt.Errorf("bundle name %s: %w", quotePath(name), err)
		}
		if strings.HasPrefix(name, partialPrefix) {
			return fmt.Errorf("bundle name %s: prefix %q is reserved for partial bundles", name, partialPrefix)
		}
		c.name = name
		return nil
	}}
}

// WithSigner signs the manifest with key. Without it, Write signs with a
// fresh ephemeral key, which proves integrity only: keep and publish a
// long-lived key so verifiers can pass it to Verify.
func WithSigner(key ed25519.PrivateKey) WriteOption {
	return WriteOption{func(c *writeConfig) error {
		if len(key) != ed25519.PrivateKeySize {
			return fmt.Errorf("signing key is %d bytes, want %d", len(key), ed25519.PrivateKeySize)
		}
		c.key = key
		return nil
	}}
}

// WithFile adds a file to the bundle, such as "cucumber.json" or
// "inventory.html"; the report lists it among the bundle's files. The path is slash-separated and relative; it is cleaned, and
// paths containing "..", absolute paths, backslashes, control characters and
// the names the bundle reserves (results.json, junit.xml, manifest.*,
// assessment-results.json, poam.json, report.html, artifacts/, objects/,
// targets/; compared
// ignoring case) are rejected. Write does not copy data:
// do not modify it until Write returns.
func WithFile(path string, data []byte) WriteOption {
	return WithDescribedFile(path, "", data)
}

// WithDescribedFile is WithFile with a short description of what the file
// holds ("the device inventory the run was checked against"), which the
// report shows next to its link.
func WithDescribedFile(path, what string, data []byte) WriteOption {
	return WriteOption{func(c *writeConfig) error {
		p, err := cleanExtraPath(path)
		if err != nil {
			return fmt.Errorf("extra file %w", err)
		}
		c.extras = append(c.extras, bundleFile{path: p, data: data, what: what})
		return nil
	}}
}

// WithStreamedFile is WithDescribedFile for content too large to hold in
// memory, such as the concatenated cucumber.json of a merged fleet: write
// streams it into the bundle at Close (hashed as it goes). An error from
// write fails Close, and nothing is left behind.
func WithStreamedFile(path, what string, write func(ctx context.Context, w io.Writer) error) WriteOption {
	return WriteOption{func(c *writeConfig) error {
		if write == nil {
			return errors.New("WithStreamedFile: nil write function")
		}
		p, err := cleanExtraPath(path)
		if err != nil {
			return fmt.Errorf("extra file %w", err)
		}
		c.extras = append(c.extras, bundleFile{path: p, what: what, write: write})
		return nil
	}}
}

// Write builds the evidence bundle for run in a new directory under parent
// (created if missing) and returns its path. It is NewBundleWriter, AddTarget
// for each target in order, and Close at run.Finished.
//
// The bundle holds results.json, junit.xml, assessment-results.json and
// poam.json (OSCAL, see AssessmentResults and POAM), report.html (showing
// the signing key's fingerprint; for a run of more than one target the
// fleet view, with each target's own page at targets/<NNNN>/report.html),
// the WithFile files, every distinct artifact content once at
// objects/sha256/<2 hex>/<62 hex> (its SHA-256), and the signed manifest
// (manifest.json, manifest.sig, manifest.pub); see docs/evidence-bundle.md.
// Scenario ids and artifact names must be single, safe path elements. In
// results.json each Artifact's Path, SHA256 and Size are filled in from its
// Data; run itself is not modified.
//
// Everything is written into a hidden sibling directory (parent/.ward-partial-*),
// synced to disk, and the directory is then renamed to its final name. On
// any failure (unwritable parent, full disk, cancelled ctx) the partial
// directory is removed and no bundle appears. Write never replaces an
// existing file or directory at the final path.
func Write(ctx context.Context, parent string, run *Run, opts ...WriteOption) (string, error) {
	if run == nil {
		return "", errors.New("evidence: Write: nil run")
	}
	bw, err := NewBundleWriter(ctx, parent, run, opts...)
	if err != nil {
		return "", err
	}
	defer bw.Abort()
	for i := range run.Targets {
		if err := bw.AddTarget(ctx, i, &run.Targets[i], nil); err != nil {
			return "", err
		}
	}
	return bw.Close(ctx, run.Finished)
}

// mkdirs creates rel (slash-separated) and its parents under root, recording
// in made what exists.
func mkdirs(root, rel string, made map[string]bool) error {
	if made[rel] {
		return nil
	}
	if err := mkdirs(root, path.Dir(rel), made); err != nil {
		return err
	}
	if err := os.Mkdir(filepath.Join(root, filepath.FromSlash(rel)), 0o755); err != nil {
		return err
	}
	made[rel] = true
	return nil
}

func writeFileSync(name string, data []byte) error {
	f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}
