package evidence

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// MergeReader merges bundles without holding them in memory: OpenMerge
// verifies every input and reads their headers, Head is the merged run
// without its targets, and Each hands over the targets one at a time, each
// at its position in the merged run, for a BundleWriter (whose AddTarget
// takes targets in any order). A fleet's merge then needs memory for one
// target, not for the fleet.
type MergeReader struct {
	head    Run
	inputs  []mergeInput
	total   int
	sharded bool
	shards  int // shard count, when sharded
}

type mergeInput struct {
	dir    string
	listed map[string]FileEntry
	shard  *Shard
	count  int // targets
	offset int // position of its first target, when not sharded
}

// OpenMerge verifies every bundle in dirs (under trusted, when given;
// otherwise every input must be signed by the first one's key) and checks
// that they belong together, as Merge does, reading each results.json as a
// stream. The merged run gets the id newID.
func OpenMerge(ctx context.Context, dirs []string, trusted ed25519.PublicKey, newID string) (*MergeReader, error) {
	if len(dirs) == 0 {
		return nil, fmt.Errorf("%w: no bundle given", ErrMergeMismatch)
	}
	mr := &MergeReader{}
	heads := make([]Run, len(dirs))
	var sources []MergedBundle
	for i, d := range dirs {
		if trusted == nil {
			// No key given: every input must be signed by the first
			// one's, so one forged shard cannot ride along.
			k, err := LoadPublicKey(filepath.Join(d, PublicKeyFile))
			if err != nil {
				return nil, fmt.Errorf("evidence: merge: %s: %w", d, err)
			}
			trusted = k
		} else if k, err := LoadPublicKey(filepath.Join(d, PublicKeyFile)); err == nil && !k.Equal(trusted) {
			return nil, fmt.Errorf("%w: %s is signed by %s, not by %s (the key every input must share; give --pubkey)",
				ErrSigner, d, Fingerprint(k), Fingerprint(trusted))
		}
		m, err := Verify(ctx, d, trusted)
		if err != nil {
			return nil, fmt.Errorf("evidence: merge: %s: %w", d, err)
		}
		in := mergeInput{dir: d, listed: make(map[string]FileEntry, len(m.Files))}
		for _, f := range m.Files {
			in.listed[f.Path] = f
		}
		head, err := in.scan(ctx, func(json.RawMessage) error { in.count++; return nil })
		if err != nil {
			return nil, err
		}
		heads[i] = *head
		in.shard = head.Shard
		mr.inputs = append(mr.inputs, in)
		sources = append(sources, MergedBundle{RunID: m.RunID, Shard: head.Shard, KeyFingerprint: m.KeyFingerprint})
	}
	first := heads[0]
	for i, h := range heads[1:] {
		if h.Catalogue.Digest != first.Catalogue.Digest {
			return nil, fmt.Errorf("%w: %s used catalogue %s, %s used %s", ErrMergeMismatch, dirs[i+1], h.Catalogue.Digest, dirs[0], first.Catalogue.Digest)
		}
		if h.Tool != first.Tool {
			return nil, fmt.Errorf("%w: %s was made by %s %s, %s by %s %s", ErrMergeMismatch, dirs[i+1], h.Tool.Name, h.Tool.Version, dirs[0], first.Tool.Name, first.Tool.Version)
		}
	}
	if err := mr.place(dirs); err != nil {
		return nil, err
	}
	mr.head = Run{ID: newID, Tool: first.Tool, Catalogue: first.Catalogue, Started: first.Started, Finished: first.Finished,
		MergedFrom: sources, Frameworks: first.Frameworks}
	for _, h := range heads {
		if h.Started.Before(mr.head.Started) {
			mr.head.Started = h.Started
		}
		if h.Finished.After(mr.head.Finished) {
			mr.head.Finished = h.Finished
		}
	}
	return mr, nil
}

// place checks the shard set and works out where each input's targets go.
func (mr *MergeReader) place(dirs []string) error {
	sharded := 0
	for _, in := range mr.inputs {
		mr.total += in.count
		if in.shard != nil {
			sharded++
		}
	}
	if sharded == 0 {
		off := 0
		for i := range mr.inputs {
			mr.inputs[i].offset = off
			off += mr.inputs[i].count
		}
		return nil
	}
	if sharded != len(mr.inputs) {
		return fmt.Errorf("%w: some bundles are shards and some are not", ErrMergeMismatch)
	}
	n := mr.inputs[0].shard.Count
	seen := make(map[int]*mergeInput, n)
	for i := range mr.inputs {
		in := &mr.inputs[i]
		if in.shard.Count != n {
			return fmt.Errorf("%w: %s is shard %d/%d, others are of %d", ErrMergeMismatch, dirs[i], in.shard.Index, in.shard.Count, n)
		}
		if seen[in.shard.Index] != nil {
			return fmt.Errorf("%w: shard %d/%d given twice", ErrMergeMismatch, in.shard.Index, n)
		}
		seen[in.shard.Index] = in
	}
	if len(seen) != n {
		var missing []int
		for i := 1; i <= n; i++ {
			if seen[i] == nil {
				missing = append(missing, i)
			}
		}
		return fmt.Errorf("%w: shards %v of %d are missing", ErrMergeMismatch, missing, n)
	}
	// Shard I of N holds targets I-1, I-1+N, I-1+2N... of the fleet: the
	// positions must tile 0..total-1 with none left out.
	for _, in := range mr.inputs {
		if want := (mr.total - (in.shard.Index - 1) + n - 1) / n; in.count != want {
			return fmt.Errorf("%w: shard %d/%d holds %d targets, but a fleet of %d gives it %d", ErrMergeMismatch, in.shard.Index, n, in.count, mr.total, want)
		}
	}
	mr.sharded, mr.shards = true, n
	return nil
}

// Head is the merged run without its targets: fresh id, earliest start,
// latest finish, the inputs in MergedFrom.
func (mr *MergeReader) Head() *Run {
	h := mr.head
	return &h
}

// Len is the number of targets of the merged run.
func (mr *MergeReader) Len() int { return mr.total }

// Each reads every input again and calls fn with each target, its
// artifacts' content loaded and its scenario ids numbered for its position
// index in the merged run, input by input (so not in index order). A byte
// that differs from what the inputs' verified manifests list fails it with
// ErrAltered; the caller must then discard what it made of the targets.
func (mr *MergeReader) Each(ctx context.Context, fn func(index int, t *Target) error) error {
	for _, in := range mr.inputs {
		k := 0
		_, err := in.scan(ctx, func(raw json.RawMessage) error {
			var t Target
			if err := json.Unmarshal(raw, &t); err != nil {
				return fmt.Errorf("evidence: %s: %w", filepath.Join(in.dir, ResultsFile), err)
			}
			if err := in.load(&t); err != nil {
				return err
			}
			pos := in.offset + k
			if mr.sharded {
				pos = k*mr.shards + (in.shard.Index - 1)
			}
			k++
			renumber(&t, pos+1, mr.total)
			return fn(pos, &t)
		})
		if err != nil {
			return err
		}
		if k != in.count {
			return fmt.Errorf("%w: %s: %s changed after it was verified", ErrAltered, in.dir, ResultsFile)
		}
	}
	return nil
}

// load reads t's artifacts from the input, accepting only listed bytes.
func (in *mergeInput) load(t *Target) error {
	for si := range t.Scenarios {
		arts := t.Scenarios[si].Artifacts
		for ai := range arts {
			p := arts[ai].Path
			if err := checkBundlePath(p); err != nil {
				return fmt.Errorf("evidence: %s: artifact path: %w", in.dir, err)
			}
			b, err := os.ReadFile(filepath.Join(in.dir, filepath.FromSlash(p)))
			if err != nil {
				return fmt.Errorf("evidence: %w", err)
			}
			if err := in.check(p, sha256.Sum256(b), int64(len(b))); err != nil {
				return err
			}
			arts[ai].Data = b
		}
	}
	return nil
}

func (in *mergeInput) check(p string, sum [sha256.Size]byte, size int64) error {
	f, ok := in.listed[p]
	if !ok || f.SHA256 != hex.EncodeToString(sum[:]) || f.Size != size {
		return fmt.Errorf("%w: %s: %s changed after it was verified", ErrAltered, in.dir, p)
	}
	return nil
}

// scan reads the input's results.json as a stream: it returns the run's
// header (every field but the targets) and hands each target's JSON to
// each, and fails with ErrAltered when the bytes read are not the verified
// ones.
func (in *mergeInput) scan(ctx context.Context, each func(json.RawMessage) error) (*Run, error) {
	f, err := os.Open(filepath.Join(in.dir, ResultsFile))
	if err != nil {
		return nil, fmt.Errorf("evidence: %w", err)
	}
	defer f.Close()
	h := sha256.New()
	cr := &countingReader{r: io.TeeReader(f, h)}
	head, err := scanRun(ctx, cr, each)
	bad := func(err error) error { return fmt.Errorf("evidence: %s: %w", filepath.Join(in.dir, ResultsFile), err) }
	if err != nil {
		var syn *json.SyntaxError
		if errors.As(err, &syn) || errors.Is(err, errNotRun) || errors.Is(err, io.ErrUnexpectedEOF) {
			err = bad(err)
		}
		// Bytes that do not parse may be bytes that changed: say so when
		// they do not hash to the listed ones.
		if _, cerr := io.Copy(io.Discard, cr); cerr == nil {
			if aerr := in.check(ResultsFile, [sha256.Size]byte(h.Sum(nil)), cr.n); aerr != nil {
				return nil, aerr
			}
		}
		return nil, err
	}
	if _, err := io.Copy(io.Discard, cr); err != nil {
		return nil, fmt.Errorf("evidence: %w", err)
	}
	if err := in.check(ResultsFile, [sha256.Size]byte(h.Sum(nil)), cr.n); err != nil {
		return nil, err
	}
	return head, nil
}

type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

var errNotRun = errors.New("not a run: want an object with a targets array")

// scanRun decodes a run from r holding one target at a time: each gets
// every element of "targets", and the run returned has the other fields.
func scanRun(ctx context.Context, r io.Reader, each func(json.RawMessage) error) (*Run, error) {
	dec := json.NewDecoder(r)
	if tok, err := dec.Token(); err != nil {
		return nil, err
	} else if tok != json.Delim('{') {
		return nil, errNotRun
	}
	var rest bytes.Buffer
	rest.WriteByte('{')
	sawTargets := false
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, err
		}
		key, _ := tok.(string)
		// encoding/json matches keys ignoring case; so must this.
		if strings.EqualFold(key, "targets") {
			if sawTargets {
				return nil, fmt.Errorf("%w: two targets arrays", errNotRun)
			}
			sawTargets = true
			if tok, err := dec.Token(); err != nil {
				return nil, err
			} else if tok != json.Delim('[') {
				return nil, errNotRun
			}
			for dec.More() {
				if err := ctx.Err(); err != nil {
					return nil, err
				}
				var raw json.RawMessage
				if err := dec.Decode(&raw); err != nil {
					return nil, err
				}
				if err := each(raw); err != nil {
					return nil, err
				}
			}
			if _, err := dec.Token(); err != nil {
				return nil, err
			}
			continue
		}
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, err
		}
		if rest.Len() > 1 {
			rest.WriteByte(',')
		}
		k, _ := json.Marshal(key)
		rest.Write(k)
		rest.WriteByte(':')
		rest.Write(raw)
	}
	if _, err := dec.Token(); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("%w: data after the run", errNotRun)
	}
	if !sawTargets {
		return nil, errNotRun
	}
	rest.WriteByte('}')
	var run Run
	if err := json.Unmarshal(rest.Bytes(), &run); err != nil {
		return nil, err
	}
	return &run, nil
}

// ReadVerifiedOutcomes verifies the bundle in dir as ReadVerifiedRun does
// and reads its run as a stream, keeping only what Diff compares: each
// target without its scenarios, and its controls without their
// requirement and remediation text or attested evidence bytes. Memory
// grows with targets × controls, not with the evidence (a 1,000-device
// results.json is over 300 MB). Errors from verification, or bytes that
// differ from the verified manifest, match ErrAltered.
func ReadVerifiedOutcomes(ctx context.Context, dir string, trusted ed25519.PublicKey) (*Run, error) {
	m, err := Verify(ctx, dir, trusted)
	if err != nil {
		return nil, err
	}
	in := mergeInput{dir: dir, listed: make(map[string]FileEntry, len(m.Files))}
	for _, f := range m.Files {
		in.listed[f.Path] = f
	}
	var targets []Target
	head, err := in.scan(ctx, func(raw json.RawMessage) error {
		// Scenarios are most of a target's bytes: a struct without them
		// makes the decoder skip them rather than build them.
		var t struct {
			Target
			Scenarios ignoredJSON `json:"scenarios"`
		}
		if err := json.Unmarshal(raw, &t); err != nil {
			return fmt.Errorf("evidence: %s: %w", filepath.Join(dir, ResultsFile), err)
		}
		targets = append(targets, slimTarget(&t.Target))
		return nil
	})
	if err != nil {
		return nil, err
	}
	head.Targets = targets
	return head, nil
}

// ignoredJSON is a value the decoder checks is JSON and drops.
type ignoredJSON struct{}

func (*ignoredJSON) UnmarshalJSON([]byte) error { return nil }
