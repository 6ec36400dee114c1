package evidence

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
)

// ErrMergeMismatch reports bundles that cannot be merged into one run:
// different catalogues or tools, overlapping or incomplete shards.
var ErrMergeMismatch = errors.New("evidence: bundles do not belong to one run")

// ErrSigner reports an input bundle of a merge that is not signed by the
// key the others are (the trusted key, or else the first bundle's).
var ErrSigner = errors.New("evidence: bundle signed by another key")

// ReadRun reads a bundle's results.json, with every artifact's content
// loaded from the bundle. It does not verify the bundle: use
// ReadVerifiedRun where the bundle is not trusted.
func ReadRun(dir string) (*Run, error) {
	return readRun(dir, func(string, []byte) error { return nil })
}

// ReadVerifiedRun verifies the bundle in dir (Verify, with trusted as
// there) and reads its run, checking that every byte it reads is what the
// verified manifest lists: a file swapped after verification is caught
// too. Errors from verification or a mismatch match ErrAltered.
func ReadVerifiedRun(ctx context.Context, dir string, trusted ed25519.PublicKey) (*Run, *Manifest, error) {
	m, err := Verify(ctx, dir, trusted)
	if err != nil {
		return nil, nil, err
	}
	run, err := readListed(dir, m)
	if err != nil {
		return nil, nil, err
	}
	return run, m, nil
}

// readListed reads the run of dir, accepting only bytes m lists.
func readListed(dir string, m *Manifest) (*Run, error) {
	listed := make(map[string]FileEntry, len(m.Files))
	for _, f := range m.Files {
		listed[f.Path] = f
	}
	return readRun(dir, func(p string, data []byte) error {
		f, ok := listed[p]
		sum := sha256.Sum256(data)
		if !ok || f.SHA256 != hex.EncodeToString(sum[:]) || f.Size != int64(len(data)) {
			return fmt.Errorf("%w: %s: %s changed after it was verified", ErrAltered, dir, p)
		}
		return nil
	})
}

// readRun reads results.json and the artifacts it names, passing each
// file's bundle path and content to check before using it.
func readRun(dir string, check func(path string, data []byte) error) (*Run, error) {
	data, err := os.ReadFile(filepath.Join(dir, ResultsFile))
	if err != nil {
		return nil, fmt.Errorf("evidence: %w", err)
	}
	if err := check(ResultsFile, data); err != nil {
		return nil, err
	}
	var run Run
	if err := json.Unmarshal(data, &run); err != nil {
		return nil, fmt.Errorf("evidence: %s: %w", filepath.Join(dir, ResultsFile), err)
	}
	for ti := range run.Targets {
		for si := range run.Targets[ti].Scenarios {
			arts := run.Targets[ti].Scenarios[si].Artifacts
			for ai := range arts {
				if err := checkBundlePath(arts[ai].Path); err != nil {
					return nil, fmt.Errorf("evidence: %s: artifact path: %w", dir, err)
				}
				b, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(arts[ai].Path)))
				if err != nil {
					return nil, fmt.Errorf("evidence: %w", err)
				}
				if err := check(arts[ai].Path, b); err != nil {
					return nil, err
				}
				arts[ai].Data = b
			}
		}
	}
	return &run, nil
}

// Merge verifies every bundle (under trusted, when given; see Verify) and
// combines their runs into one: shards of a fleet come back in the order
// of the unsharded target list, other runs are concatenated in the order
// given. The result is a new run (fresh id, earliest start, latest finish)
// ready for Write; extra files such as cucumber.json are not merged. It
// holds the whole fleet in memory: OpenMerge streams it instead.
func Merge(ctx context.Context, dirs []string, trusted ed25519.PublicKey, newID string) (*Run, error) {
	mr, err := OpenMerge(ctx, dirs, trusted, newID)
	if err != nil {
		return nil, err
	}
	out := mr.Head()
	out.Targets = make([]Target, mr.Len())
	if err := mr.Each(ctx, func(i int, t *Target) error {
		out.Targets[i] = *t
		return nil
	}); err != nil {
		return nil, err
	}
	return out, nil
}

var targetPrefix = regexp.MustCompile(`^t[0-9]+-`)

// renumber gives a target's scenario ids the prefix of its position in the
// merged run, exactly as a single multi-target run names them.
func renumber(t *Target, pos, total int) {
	fix := func(id string) string {
		id = targetPrefix.ReplaceAllString(id, "")
		if total > 1 {
			id = fmt.Sprintf("t%d-%s", pos, id)
		}
		return id
	}
	scns := make([]Scenario, len(t.Scenarios))
	copy(scns, t.Scenarios)
	for i := range scns {
		scns[i].ID = fix(scns[i].ID)
	}
	t.Scenarios = scns
	ctrls := make([]Control, len(t.Controls))
	copy(ctrls, t.Controls)
	for i := range ctrls {
		ids := make([]string, len(ctrls[i].Scenarios))
		for j, id := range ctrls[i].Scenarios {
			ids[j] = fix(id)
		}
		ctrls[i].Scenarios = ids
	}
	t.Controls = ctrls
}

// NewRunID returns a fresh random (version 4) UUID to name a run.
func NewRunID() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err) // crypto/rand does not fail on supported platforms
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}
