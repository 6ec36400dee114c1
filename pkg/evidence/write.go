package evidence

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
)

// WriteOption configures Write.
type WriteOption struct {
	apply func(*writeConfig) error
}

type writeConfig struct {
	name   string
	key    ed25519.PrivateKey
	extras []bundleFile
}

type bundleFile struct {
	path string // slash-separated, relative to the bundle root
	data []byte
	// render, if set, makes data when the file is written. The derived
	// files (results, OSCAL, report) of a large fleet run are each tens of
	// megabytes: rendering them one at a time, each dropped once written,
	// keeps only one in memory at once.
	render func() ([]byte, error)
	what   string // for an extra file: what it holds, listed in the report
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
// assessment-results.json, poam.json, report.html, artifacts/; compared
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

// Write builds the evidence bundle for run in a new directory under parent
// (created if missing) and returns its path.
//
// The bundle holds results.json, junit.xml, assessment-results.json and
// poam.json (OSCAL, see AssessmentResults and POAM), report.html (Report,
// showing the signing key's fingerprint), the WithFile files, every
// scenario artifact at artifacts/<scenario-id>/<artifact name>, and the
// signed manifest (manifest.json, manifest.sig, manifest.pub); see
// docs/evidence-bundle.md. Scenario ids and artifact names must therefore be
// single, safe path elements. In results.json each Artifact's Path, SHA256
// and Size are filled in from its Data; run itself is not modified.
//
// Everything is written into a hidden sibling directory (parent/.ward-partial-*),
// each file and directory is fsynced, and the directory is then renamed to
// its final name. On any failure (unwritable parent, full disk, cancelled
// ctx) the partial directory is removed and no bundle appears. Write never
// replaces an existing file or directory at the final path.
func Write(ctx context.Context, parent string, run *Run, opts ...WriteOption) (string, error) {
	if run == nil {
		return "", errors.New("evidence: Write: nil run")
	}
	var cfg writeConfig
	for _, o := range opts {
		if o.apply == nil {
			continue
		}
		if err := o.apply(&cfg); err != nil {
			return "", fmt.Errorf("evidence: %w", err)
		}
	}
	if cfg.name == "" {
		if run.Started.IsZero() {
			return "", errors.New("evidence: run has no start time to name the bundle after; use WithName")
		}
		cfg.name = run.Started.UTC().Format("20060102T150405Z")
	}
	if cfg.key == nil {
		_, key, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			return "", fmt.Errorf("evidence: generating ephemeral signing key: %w", err)
		}
		cfg.key = key
	}

	// The manifest lists every target: refuse before rendering anything
	// when that alone is over what Verify accepts (checked exactly once
	// the manifest is built).
	if n := manifestTargetsSize(run); n > maxManifest {
		return "", fmt.Errorf("%w: the targets alone make %s %d bytes, over the %d bytes Verify accepts", ErrTooLarge, ManifestFile, n, maxManifest)
	}

	// The report shows the signing key's fingerprint, so it is computed
	// before anything is signed; the manifest then covers the report.
	files, err := bundleFiles(run, cfg.extras, Fingerprint(cfg.key.Public().(ed25519.PublicKey)))
	if err != nil {
		return "", fmt.Errorf("evidence: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return "", fmt.Errorf("evidence: %w", err)
	}

	if err := os.MkdirAll(parent, 0o755); err != nil {
		return "", fmt.Errorf("evidence: %w", err)
	}
	final := filepath.Join(parent, cfg.name)
	if _, err := os.Lstat(final); err == nil {
		return "", fmt.Errorf("evidence: %s: %w", final, os.ErrExist)
	} else if !errors.Is(err, os.ErrNotExist) {
		return "", fmt.Errorf("evidence: %w", err)
	}
	tmp, err := os.MkdirTemp(parent, partialPrefix+"*")
	if err != nil {
		return "", fmt.Errorf("evidence: creating bundle directory: %w", err)
	}
	done := false
	defer func() {
		if !done {
			os.RemoveAll(tmp)
		}
	}()

	if err := writeBundle(ctx, tmp, run, files, cfg.key); err != nil {
		return "", fmt.Errorf("evidence: writing bundle: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return "", fmt.Errorf("evidence: %w", err)
	}
	if err := renameNoReplace(tmp, final); err != nil {
		if errors.Is(err, os.ErrExist) {
			return "", fmt.Errorf("evidence: %s: %w", final, os.ErrExist)
		}
		return "", fmt.Errorf("evidence: %w", err)
	}
	done = true
	if err := syncDir(parent); err != nil {
		return final, fmt.Errorf("evidence: bundle written to %s but syncing %s failed: %w", final, parent, err)
	}
	return final, nil
}

// bundleFiles lays out results.json, junit.xml, the OSCAL assessment results
// and POA&M, report.html (which shows fingerprint, the signing key's),
// extras and artifacts, and rejects paths that collide (ignoring case, so
// bundles survive macOS and Windows) or where one file would have to be a
// directory of another. The derived files are rendered from the run as
// written to results.json, with artifact paths and digests filled in.
func bundleFiles(run *Run, extras []bundleFile, fingerprint string) ([]bundleFile, error) {
	filled := *run
	filled.Targets = slices.Clone(run.Targets)
	var artifacts []bundleFile
	for ti := range filled.Targets {
		t := &filled.Targets[ti]
		t.Scenarios = slices.Clone(t.Scenarios)
		for si := range t.Scenarios {
			s := &t.Scenarios[si]
			if len(s.Artifacts) == 0 {
				continue
			}
			if err := checkElement(s.ID); err != nil {
				return nil, fmt.Errorf("target %s: scenario id %s cannot name an artifact directory: %w", t.URI, quotePath(s.ID), err)
			}
			s.Artifacts = slices.Clone(s.Artifacts)
			for ai := range s.Artifacts {
				a := &s.Artifacts[ai]
				if err := checkElement(a.Name); err != nil {
					return nil, fmt.Errorf("scenario %s: artifact name %s: %w", s.ID, quotePath(a.Name), err)
				}
				a.Path = path.Join(ArtifactsDir, s.ID, a.Name)
				a.SHA256 = sha256hex(a.Data)
				a.Size = int64(len(a.Data))
				artifacts = append(artifacts, bundleFile{path: a.Path, data: a.Data})
			}
		}
	}
	var listed []reportFile
	for _, e := range extras {
		what := e.what
		if what == "" {
			what = "added to the bundle by the run"
		}
		listed = append(listed, reportFile{e.path, what})
	}
	files := []bundleFile{
		{path: ResultsFile, render: func() ([]byte, error) {
			b, err := marshalJSON(&filled)
			if err != nil {
				return nil, fmt.Errorf("encoding %s: %w", ResultsFile, err)
			}
			return b, nil
		}},
		{path: JUnitFile, render: func() ([]byte, error) { return JUnit(run) }},
		{path: AssessmentResultsFile, render: func() ([]byte, error) { return AssessmentResults(&filled) }},
		{path: POAMFile, render: func() ([]byte, error) { return POAM(&filled) }},
		{path: ReportFile, render: func() ([]byte, error) { return reportWithFiles(&filled, fingerprint, listed) }},
	}
	files = append(files, extras...)
	files = append(files, artifacts...)

	byName := make(map[string]string, len(files))
	for _, f := range files {
		k := strings.ToLower(f.path)
		if prev, ok := byName[k]; ok {
			return nil, fmt.Errorf("two files at %s and %s (names are compared ignoring case)", quotePath(prev), quotePath(f.path))
		}
		byName[k] = f.path
	}
	for _, f := range files {
		for dir := path.Dir(f.path); dir != "."; dir = path.Dir(dir) {
			if prev, ok := byName[strings.ToLower(dir)]; ok {
				return nil, fmt.Errorf("%s is a file, so %s cannot be written", quotePath(prev), quotePath(f.path))
			}
		}
	}
	return files, nil
}

// writeBundle writes files and the signed manifest into dir and fsyncs them.
func writeBundle(ctx context.Context, dir string, run *Run, files []bundleFile, key ed25519.PrivateKey) error {
	dirs := map[string]bool{".": true}
	entries := make([]FileEntry, 0, len(files))
	for _, f := range files {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := mkdirs(dir, path.Dir(f.path), dirs); err != nil {
			return err
		}
		data := f.data
		if f.render != nil {
			var err error
			if data, err = f.render(); err != nil {
				return err
			}
		}
		if err := writeFileSync(filepath.Join(dir, filepath.FromSlash(f.path)), data); err != nil {
			return err
		}
		entries = append(entries, FileEntry{Path: f.path, SHA256: sha256hex(data), Size: int64(len(data))})
	}
	slices.SortFunc(entries, func(a, b FileEntry) int { return strings.Compare(a.Path, b.Path) })

	pub := key.Public().(ed25519.PublicKey)
	m := Manifest{
		Format:         Format,
		RunID:          run.ID,
		Tool:           run.Tool,
		Catalogue:      run.Catalogue,
		Started:        run.Started.UTC(),
		Finished:       run.Finished.UTC(),
		Targets:        make([]ManifestTarget, 0, len(run.Targets)),
		Files:          entries,
		KeyFingerprint: Fingerprint(pub),
		MergedFrom:     run.MergedFrom,
	}
	for _, t := range run.Targets {
		m.Targets = append(m.Targets, ManifestTarget{URI: t.URI, Identity: t.Identity, Error: t.Error})
	}
	manifest, err := marshalJSON(&m)
	if err != nil {
		return fmt.Errorf("encoding %s: %w", ManifestFile, err)
	}
	// Verify refuses a larger manifest as malformed: never write a bundle
	// that would then not verify.
	if len(manifest) > maxManifest {
		return fmt.Errorf("%w: %s would be %d bytes, over the %d bytes Verify accepts", ErrTooLarge, ManifestFile, len(manifest), maxManifest)
	}
	pubPEM, err := MarshalPublicKeyPEM(pub)
	if err != nil {
		return err
	}
	sig := ed25519.Sign(key, signedMessage(manifest))
	for _, f := range []bundleFile{{path: ManifestFile, data: manifest}, {path: SignatureFile, data: encodeSignature(sig)}, {path: PublicKeyFile, data: pubPEM}} {
		if err := writeFileSync(filepath.Join(dir, f.path), f.data); err != nil {
			return err
		}
	}

	// Sync directories deepest first, then make the bundle readable: MkdirTemp
	// creates it 0700.
	all := make([]string, 0, len(dirs))
	for d := range dirs {
		all = append(all, d)
	}
	slices.SortFunc(all, func(a, b string) int { return strings.Count(b, "/") - strings.Count(a, "/") })
	for _, d := range all {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := syncDir(filepath.Join(dir, filepath.FromSlash(d))); err != nil {
			return err
		}
	}
	return os.Chmod(dir, 0o755)
}

// manifestTargetsSize is the JSON size of the targets the manifest lists.
func manifestTargetsSize(run *Run) int {
	n := 0
	for _, t := range run.Targets {
		b, err := json.Marshal(ManifestTarget{URI: t.URI, Identity: t.Identity, Error: t.Error})
		if err != nil {
			return 0 // the exact check after encoding reports it
		}
		n += len(b)
	}
	return n
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
