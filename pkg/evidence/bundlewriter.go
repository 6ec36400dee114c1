package evidence

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"
)

// BundleWriter writes an evidence bundle one target at a time, so that a
// fleet's bundle never has to be in memory: AddTarget stores each target's
// artifacts (content-addressed, once per distinct content), its own report
// page and its pre-rendered parts of the run-wide files on disk, and keeps
// only a slim summary; Close assembles results.json, junit.xml, the OSCAL
// documents, cucumber.json, report.html and the signed manifest by
// streaming those parts, and renames the bundle into place. Until Close
// succeeds the bundle is a hidden partial directory (parent/.ward-partial-*)
// that Abort, a failed Close or a cancelled context removes.
//
// The layout is described in docs/evidence-bundle.md. A BundleWriter is
// safe for concurrent use by several goroutines calling AddTarget.
type BundleWriter struct {
	parent, final, tmp string
	cfg                writeConfig
	fingerprint        string
	ob                 *oscalBuilder
	listed             []reportFile // extras, for the reports

	mu      sync.Mutex
	head    Run
	targets map[int]*addedTarget // nil value: index reserved, being added
	// objects maps each stored artifact content's SHA-256 to its size: a
	// fleet has tens of thousands, so they are kept this small and their
	// manifest entries are made only at Close.
	objects map[[sha256.Size]byte]int64
	cat     *catalogue
	dirs    map[string]bool // directories made, slash-separated
	files   []FileEntry     // other files written so far
	cuke    bool            // some target brought cucumber JSON
	failed  error           // an AddTarget that failed after writing
	state   int

	// perFileSync makes Close fsync every file and directory one by one
	// instead of syncing the file system once; benchmarks compare the two.
	perFileSync bool
}

const (
	writerOpen = iota
	writerClosing
	writerClosed
	writerAborted
)

type addedTarget struct {
	sum     *targetSummary
	secs    [numSections]int64 // length of each section in scratch
	scratch string
	page    string      // bundle path of its report page
	files   []FileEntry // its supplement's files, beside the page
}

// supplementRecord is what the scratch keeps of a target's supplement, for
// the page of a one-target bundle rendered at Close.
type supplementRecord struct {
	Tables []Table           `json:"tables"`
	Files  []supplementEntry `json:"files"`
}

type supplementEntry struct{ Name, What string }

// scratchDir, inside the partial directory, holds each target's
// pre-rendered parts until Close; it is removed before the manifest is
// made and never synced.
const scratchDir = ".scratch"

// cucumberFile is the cucumber JSON the bundle holds when targets bring it.
const cucumberFile = "cucumber.json"

// NewBundleWriter starts a bundle in a hidden partial directory under parent
// (created if missing). head is the run header (ID, Tool, Catalogue,
// Started, Shard, MergedFrom); head.Targets is ignored. The options are
// Write's. It fails with an error matching os.ErrExist when the bundle's
// final path is taken.
func NewBundleWriter(ctx context.Context, parent string, head *Run, opts ...WriteOption) (*BundleWriter, error) {
	if head == nil {
		return nil, errors.New("evidence: NewBundleWriter: nil run")
	}
	b := &BundleWriter{
		parent:  parent,
		head:    *head,
		targets: map[int]*addedTarget{},
		objects: map[[sha256.Size]byte]int64{},
		cat:     newCatalogue(),
		dirs:    map[string]bool{".": true},
	}
	b.head.Targets = nil
	for _, o := range opts {
		if o.apply == nil {
			continue
		}
		if err := o.apply(&b.cfg); err != nil {
			return nil, fmt.Errorf("evidence: %w", err)
		}
	}
	if b.cfg.name == "" {
		if head.Started.IsZero() {
			return nil, errors.New("evidence: run has no start time to name the bundle after; use WithName")
		}
		b.cfg.name = head.Started.UTC().Format("20060102T150405Z")
	}
	if b.cfg.key == nil {
		_, key, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			return nil, fmt.Errorf("evidence: generating ephemeral signing key: %w", err)
		}
		b.cfg.key = key
	}
	b.fingerprint = Fingerprint(b.cfg.key.Public().(ed25519.PublicKey))
	if err := checkExtras(b.cfg.extras); err != nil {
		return nil, fmt.Errorf("evidence: %w", err)
	}
	for _, e := range b.cfg.extras {
		what := e.what
		if what == "" {
			what = "added to the bundle by the run"
		}
		b.listed = append(b.listed, reportFile{e.path, what})
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("evidence: %w", err)
	}
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return nil, fmt.Errorf("evidence: %w", err)
	}
	for i := 1; ; i++ {
		b.final = b.candidate(i)
		_, err := os.Lstat(b.final)
		if errors.Is(err, os.ErrNotExist) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("evidence: %w", err)
		}
		if !b.cfg.unique || i >= maxUniqueTries {
			return nil, fmt.Errorf("evidence: %s: %w", b.final, os.ErrExist)
		}
	}
	tmp, err := os.MkdirTemp(parent, partialPrefix+"*")
	if err != nil {
		return nil, fmt.Errorf("evidence: creating bundle directory: %w", err)
	}
	b.tmp = tmp
	if err := os.Mkdir(filepath.Join(tmp, scratchDir), 0o700); err != nil {
		os.RemoveAll(tmp)
		return nil, fmt.Errorf("evidence: %w", err)
	}
	b.ob = newOSCALBuilder(&b.head)
	return b, nil
}

// checkExtras rejects extra files whose paths collide (ignoring case, so
// bundles survive macOS and Windows) or where one would have to be a
// directory of another. Reserved names are refused by WithFile already.
func checkExtras(extras []bundleFile) error {
	byName := make(map[string]string, len(extras))
	for _, f := range extras {
		k := strings.ToLower(f.path)
		if prev, ok := byName[k]; ok {
			return fmt.Errorf("two files at %s and %s (names are compared ignoring case)", quotePath(prev), quotePath(f.path))
		}
		byName[k] = f.path
	}
	for _, f := range extras {
		for dir := path.Dir(f.path); dir != "."; dir = path.Dir(dir) {
			if prev, ok := byName[strings.ToLower(dir)]; ok {
				return fmt.Errorf("%s is a file, so %s cannot be written", quotePath(prev), quotePath(f.path))
			}
		}
	}
	return nil
}

// AddTarget stores one finished target: index is its 0-based position in
// the run's target list (targets may arrive in any order; the bundle lists
// them by index). cucumber is that target's cucumber JSON, an array of
// features (may be nil). It writes t's artifacts, its report page and its
// parts of the run-wide files, so after AddTarget returns the caller may
// drop t: the writer keeps only the slim summary (Summary). t itself is not
// modified. A cancelled ctx aborts the bundle.
func (b *BundleWriter) AddTarget(ctx context.Context, index int, t *Target, cucumber []byte) error {
	if err := ctx.Err(); err != nil {
		b.Abort()
		return fmt.Errorf("evidence: %w", err)
	}
	if t == nil {
		return errors.New("evidence: AddTarget: nil target")
	}
	if index < 0 {
		return fmt.Errorf("evidence: AddTarget: negative index %d", index)
	}
	b.mu.Lock()
	switch {
	case b.state != writerOpen:
		b.mu.Unlock()
		return errors.New("evidence: AddTarget: bundle already closed or aborted")
	case b.targets[index] != nil || b.reserved(index):
		b.mu.Unlock()
		return fmt.Errorf("evidence: AddTarget: target %d added twice", index)
	}
	b.targets[index] = nil
	head := b.head
	listed := slices.Clone(b.listed) // AddFiles may grow it meanwhile
	b.mu.Unlock()

	at, err := b.addTarget(&head, listed, index, t, cucumber)
	b.mu.Lock()
	defer b.mu.Unlock()
	if err != nil {
		delete(b.targets, index)
		if b.failed == nil {
			// Objects it stored may be shared with others: the bundle as a
			// whole can no longer be trusted to be complete.
			b.failed = err
		}
		return fmt.Errorf("evidence: target %d: %w", index, err)
	}
	if b.state != writerOpen {
		return errors.New("evidence: AddTarget: bundle closed or aborted meanwhile")
	}
	b.targets[index] = at
	b.cat.add(index, t.Controls)
	if len(cucumber) > 0 {
		b.cuke = true
	}
	if at.page != "" {
		b.files = append(b.files, FileEntry{Path: at.page})
	}
	b.files = append(b.files, at.files...)
	return nil
}

// reserved reports whether index is being added by another goroutine.
func (b *BundleWriter) reserved(index int) bool {
	at, ok := b.targets[index]
	return ok && at == nil
}

func (b *BundleWriter) addTarget(head *Run, listed []reportFile, index int, t *Target, cucumber []byte) (*addedTarget, error) {
	filled := *t
	filled.Scenarios = slices.Clone(t.Scenarios)
	for si := range filled.Scenarios {
		s := &filled.Scenarios[si]
		if len(s.Artifacts) == 0 {
			continue
		}
		if err := checkElement(s.ID); err != nil {
			return nil, fmt.Errorf("target %s: scenario id %s cannot name an artifact: %w", t.URI, quotePath(s.ID), err)
		}
		s.Artifacts = slices.Clone(s.Artifacts)
		for ai := range s.Artifacts {
			a := &s.Artifacts[ai]
			if err := checkElement(a.Name); err != nil {
				return nil, fmt.Errorf("scenario %s: artifact name %s: %w", s.ID, quotePath(a.Name), err)
			}
			a.SHA256 = sha256hex(a.Data)
			a.Size = int64(len(a.Data))
			a.Path = objectPath(a.SHA256)
			if err := b.storeObject(a); err != nil {
				return nil, err
			}
		}
	}

	var sup *Supplement
	if b.cfg.supplement != nil {
		var err error
		if sup, err = b.cfg.supplement(index, &filled); err != nil {
			return nil, fmt.Errorf("supplement of %s: %w", quotePath(t.URI), err)
		}
		if sup != nil {
			if err := checkSupplement(sup); err != nil {
				return nil, err
			}
		}
	}

	sum := summarize(index, &filled)
	var secs [numSections][]byte
	j := &jsonOut{}
	secs[sectionResults] = append([]byte(indent(2)), j.encode(&filled, 2)...)
	if j.err != nil {
		return nil, fmt.Errorf("encoding %s: %w", ResultsFile, j.err)
	}
	suite, counts, err := junitSuiteXML(&filled)
	if err != nil {
		return nil, err
	}
	secs[sectionJUnit] = suite
	sum.junit = counts
	secs[sectionAR] = b.ob.observations(index, &filled, nil, 5)
	secs[sectionPOAM] = b.ob.observations(index, &filled, poamScenarios(&filled, sum), 3)
	if len(cucumber) > 0 {
		if secs[sectionCucumber], err = cucumberFeatures(cucumber, t.URI); err != nil {
			return nil, fmt.Errorf("cucumber report of %s: %w", quotePath(t.URI), err)
		}
	}

	var tables []pageTable
	if sup != nil {
		rec := supplementRecord{Tables: sup.Tables}
		for _, f := range sup.Files {
			rec.Files = append(rec.Files, supplementEntry{f.Name, f.What})
		}
		if secs[sectionSupplement], err = json.Marshal(rec); err != nil {
			return nil, fmt.Errorf("supplement of %s: %w", quotePath(t.URI), err)
		}
		tables = pageTables(&rec, targetDir(index)+"/")
	}

	at := &addedTarget{sum: sum, scratch: filepath.Join(b.tmp, scratchDir, fmt.Sprintf("%d", index))}
	f, err := os.OpenFile(at.scratch, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, err
	}
	for i, s := range secs {
		if _, err := f.Write(s); err != nil {
			f.Close()
			return nil, err
		}
		at.secs[i] = int64(len(s))
	}
	if err := f.Close(); err != nil {
		return nil, err
	}

	// The target's own page. Whether the run has more than one target is
	// known only at Close, which drops it for a one-target run.
	extras := listed
	if len(cucumber) > 0 {
		extras = append(slices.Clone(extras), cucumberListing)
	}
	if sup != nil {
		for _, f := range sup.Files {
			extras = append(slices.Clone(extras), reportFile{targetDir(index) + "/" + f.Name, f.What})
		}
	}
	page, err := targetReportHTMLAt(head, &filled, b.fingerprint, extras, targetDir(index), tables...)
	if err != nil {
		return nil, err
	}
	at.page = targetDir(index) + "/" + ReportFile
	if err := b.mkdirs(targetDir(index)); err != nil {
		return nil, err
	}
	if sup != nil {
		for _, f := range sup.Files {
			rel := targetDir(index) + "/" + f.Name
			if err := b.writeFile(rel, f.Data); err != nil {
				return nil, err
			}
			at.files = append(at.files, FileEntry{Path: rel, SHA256: sha256hex(f.Data), Size: int64(len(f.Data))})
		}
	}
	if err := b.writeFile(at.page, page); err != nil {
		return nil, err
	}
	return at, nil
}

var cucumberListing = reportFile{cucumberFile, "every scenario and step as Cucumber JSON, for CI dashboards"}

// storeObject writes a's content at its object path unless that content is
// already stored.
func (b *BundleWriter) storeObject(a *Artifact) error {
	var key [sha256.Size]byte
	if _, err := hex.Decode(key[:], []byte(a.SHA256)); err != nil {
		return err
	}
	b.mu.Lock()
	if _, ok := b.objects[key]; ok {
		b.mu.Unlock()
		return nil
	}
	b.objects[key] = a.Size
	b.mu.Unlock()
	if err := b.mkdirs(path.Dir(a.Path)); err != nil {
		return err
	}
	return b.writeFile(a.Path, a.Data)
}

// mkdirs creates rel (slash-separated) and its parents in the partial
// directory.
func (b *BundleWriter) mkdirs(rel string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	return mkdirs(b.tmp, rel, b.dirs)
}

// writeFile creates the bundle file rel with data; it is synced by Close.
func (b *BundleWriter) writeFile(rel string, data []byte) error {
	f, err := os.OpenFile(filepath.Join(b.tmp, filepath.FromSlash(rel)), os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// cucumberTag is the tag that marks a target's features: its URI, made
// valid UTF-8 so that the tag reads the same in the JSON.
func cucumberTag(uri string) string {
	return "@target:" + strings.ToValidUTF8(uri, "\uFFFD")
}

// cucumberFeatures re-encodes a cucumber JSON report (an array of
// features) as one line per feature, each tagged "@target:<uri>" so that
// dashboards can tell the targets apart.
func cucumberFeatures(report []byte, uri string) ([]byte, error) {
	var feats []map[string]json.RawMessage
	if err := json.Unmarshal(report, &feats); err != nil {
		return nil, err
	}
	tag, err := json.Marshal(map[string]any{"name": cucumberTag(uri), "line": 0})
	if err != nil {
		return nil, err
	}
	var out bytes.Buffer
	for i, f := range feats {
		var tags []json.RawMessage
		if raw, ok := f["tags"]; ok {
			if err := json.Unmarshal(raw, &tags); err != nil {
				return nil, fmt.Errorf("feature %d: tags: %w", i, err)
			}
		}
		f["tags"], err = json.Marshal(append(tags, tag))
		if err != nil {
			return nil, err
		}
		line, err := json.Marshal(f)
		if err != nil {
			return nil, err
		}
		if i > 0 {
			out.WriteString(",\n")
		}
		out.WriteString("  ")
		out.Write(line)
	}
	return out.Bytes(), nil
}

// AddFiles adds extra files (WithFile, WithDescribedFile) known only once
// the targets are done, such as an inventory page made from all of them.
// They are written at Close and listed by the fleet view and the run's
// report; device pages already written do not list them. A name clash
// with a file given before is refused.
func (b *BundleWriter) AddFiles(opts ...WriteOption) error {
	var c writeConfig
	for _, o := range opts {
		if err := o.apply(&c); err != nil {
			return fmt.Errorf("evidence: %w", err)
		}
	}
	if c.name != "" || c.key != nil || c.supplement != nil {
		return errors.New("evidence: AddFiles takes files only (WithFile, WithDescribedFile)")
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.state != writerOpen {
		return errors.New("evidence: AddFiles: bundle already closed or aborted")
	}
	all := append(slices.Clone(b.cfg.extras), c.extras...)
	if err := checkExtras(all); err != nil {
		return fmt.Errorf("evidence: %w", err)
	}
	b.cfg.extras = all
	for _, e := range c.extras {
		what := e.what
		if what == "" {
			what = "added to the bundle by the run"
		}
		b.listed = append(b.listed, reportFile{e.path, what})
	}
	return nil
}

// Summary is the run as the CLI needs it for printing and gates: the header
// plus, per added target in index order, a Target whose Scenarios are nil
// and whose Controls keep every field except Requirement and Remediation
// (and attestation evidence Data).
func (b *BundleWriter) Summary() *Run {
	b.mu.Lock()
	defer b.mu.Unlock()
	run := b.head
	for _, at := range b.sorted() {
		run.Targets = append(run.Targets, at.sum.t)
	}
	return &run
}

// sorted returns the added targets in index order; b.mu must be held.
func (b *BundleWriter) sorted() []*addedTarget {
	var out []*addedTarget
	for _, at := range b.targets {
		if at != nil {
			out = append(out, at)
		}
	}
	slices.SortFunc(out, func(x, y *addedTarget) int { return x.sum.index - y.sum.index })
	return out
}

// Abort removes the partial directory. It is idempotent, and does nothing
// after a successful Close.
func (b *BundleWriter) Abort() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.state == writerClosed || b.state == writerAborted {
		return nil
	}
	b.state = writerAborted
	if err := os.RemoveAll(b.tmp); err != nil {
		return fmt.Errorf("evidence: removing partial bundle: %w", err)
	}
	return nil
}

// Close sets the run's Finished time, writes results.json, junit.xml, the
// OSCAL assessment results and POA&M, cucumber.json (when targets brought
// cucumber JSON), report.html (the target's page for a one-target run, the
// fleet view otherwise), the extra files and the signed manifest, syncs
// everything to disk and renames the bundle into place; it returns the
// bundle directory. On failure (or a cancelled ctx) the partial directory
// is removed and no bundle appears; Close never replaces an existing file
// or directory at the final path. AddTarget calls must have returned.
func (b *BundleWriter) Close(ctx context.Context, finished time.Time) (string, error) {
	b.mu.Lock()
	if b.state != writerOpen {
		b.mu.Unlock()
		return "", errors.New("evidence: Close: bundle already closed or aborted")
	}
	for _, at := range b.targets {
		if at == nil {
			b.mu.Unlock()
			return "", errors.New("evidence: Close: a target is still being added")
		}
	}
	if b.failed != nil {
		b.mu.Unlock()
		b.Abort()
		return "", fmt.Errorf("evidence: a target could not be added: %w", b.failed)
	}
	b.head.Finished = finished
	b.state = writerClosing
	b.mu.Unlock()

	dir, err := b.close(ctx)
	if err != nil && dir != "" {
		return dir, err // in place; only syncing the parent failed
	}
	if err != nil {
		b.Abort()
		if errors.Is(err, os.ErrExist) {
			return "", fmt.Errorf("evidence: %s: %w", b.final, os.ErrExist)
		}
		return "", fmt.Errorf("evidence: %w", err)
	}
	return dir, nil
}

func (b *BundleWriter) close(ctx context.Context) (string, error) {
	// Nothing else runs now: AddTarget refuses once state leaves open.
	targets := b.sorted()
	head := &b.head
	mtargets := make([]ManifestTarget, len(targets))
	n := 0
	for i, at := range targets {
		t := &at.sum.t
		mtargets[i] = ManifestTarget{URI: t.URI, Identity: t.Identity, Error: t.Error}
		if enc, err := json.Marshal(mtargets[i]); err == nil {
			n += len(enc)
		}
	}
	// The manifest lists every target: refuse before assembling anything
	// when that alone is over what Verify accepts.
	if n > maxManifest {
		return "", fmt.Errorf("%w: the targets alone make %s %d bytes, over the %d bytes Verify accepts", ErrTooLarge, ManifestFile, n, maxManifest)
	}
	src := &oscalSource{head: head, catalogue: b.cat.list()}
	for _, at := range targets {
		src.targets = append(src.targets, at.sum)
	}
	byIndex := make(map[int]*addedTarget, len(targets))
	for _, at := range targets {
		byIndex[at.sum.index] = at
	}
	section := func(s *targetSummary, sec int, w io.Writer) error {
		at := byIndex[s.index]
		if at.secs[sec] == 0 {
			return nil
		}
		f, err := os.Open(at.scratch)
		if err != nil {
			return err
		}
		defer f.Close()
		var off int64
		for i := range sec {
			off += at.secs[i]
		}
		_, err = io.Copy(w, io.NewSectionReader(f, off, at.secs[sec]))
		return err
	}
	src.section = section

	listed := b.listed
	if b.cuke {
		for _, e := range b.cfg.extras {
			if strings.EqualFold(e.path, cucumberFile) {
				return "", fmt.Errorf("%s given as an extra file and by the targets", cucumberFile)
			}
		}
		listed = append(slices.Clone(listed), cucumberListing)
	}

	write := func(name string, fill func(w *bufio.Writer) error) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		return b.stream(name, fill)
	}
	if err := write(ResultsFile, func(w *bufio.Writer) error {
		return writeResults(w, head, len(targets), func(i int, w io.Writer) error {
			return section(targets[i].sum, sectionResults, w)
		})
	}); err != nil {
		return "", err
	}
	if err := write(JUnitFile, func(w *bufio.Writer) error {
		var counts junitCounts
		for _, at := range targets {
			counts.add(at.sum.junit)
		}
		return writeJUnit(w, head, counts, len(targets), func(i int, w io.Writer) error {
			return section(targets[i].sum, sectionJUnit, w)
		})
	}); err != nil {
		return "", err
	}
	if err := write(AssessmentResultsFile, func(w *bufio.Writer) error { return writeAssessmentResults(w, src) }); err != nil {
		return "", err
	}
	if err := write(POAMFile, func(w *bufio.Writer) error { return writePOAM(w, src) }); err != nil {
		return "", err
	}
	if b.cuke {
		if err := write(cucumberFile, func(w *bufio.Writer) error {
			w.WriteString("[\n")
			n := 0
			for _, at := range targets {
				if at.secs[sectionCucumber] == 0 {
					continue
				}
				if n > 0 {
					w.WriteString(",\n")
				}
				n++
				if err := section(at.sum, sectionCucumber, w); err != nil {
					return err
				}
			}
			_, err := w.WriteString("\n]\n")
			return err
		}); err != nil {
			return "", err
		}
	}
	if err := b.writeReport(ctx, targets, src.catalogue, listed, section); err != nil {
		return "", err
	}
	for _, e := range b.cfg.extras {
		if err := b.mkdirs(path.Dir(e.path)); err != nil {
			return "", err
		}
		if e.write != nil {
			if err := b.stream(e.path, func(w *bufio.Writer) error { return e.write(ctx, w) }); err != nil {
				return "", fmt.Errorf("writing %s: %w", quotePath(e.path), err)
			}
			continue
		}
		if err := b.writeFile(e.path, e.data); err != nil {
			return "", err
		}
		b.files = append(b.files, FileEntry{Path: e.path, SHA256: sha256hex(e.data), Size: int64(len(e.data))})
	}
	if err := os.RemoveAll(filepath.Join(b.tmp, scratchDir)); err != nil {
		return "", err
	}
	if err := ctx.Err(); err != nil {
		return "", err
	}

	// Everything but the signature files is written: make it durable before
	// the manifest vouches for it.
	if err := syncTree(b.tmp, b.perFileSync); err != nil {
		return "", err
	}
	entries := slices.Grow(slices.Clone(b.files), len(b.objects))
	for key, size := range b.objects {
		h := hex.EncodeToString(key[:])
		entries = append(entries, FileEntry{Path: objectPath(h), SHA256: h, Size: size})
	}
	slices.SortFunc(entries, func(x, y FileEntry) int { return strings.Compare(x.Path, y.Path) })
	pub := b.cfg.key.Public().(ed25519.PublicKey)
	m := Manifest{
		Format:         Format,
		RunID:          head.ID,
		Tool:           head.Tool,
		Catalogue:      head.Catalogue,
		Started:        head.Started.UTC(),
		Finished:       head.Finished.UTC(),
		Targets:        mtargets,
		Files:          entries,
		KeyFingerprint: Fingerprint(pub),
		MergedFrom:     head.MergedFrom,
	}
	manifest, err := encodeManifest(&m)
	if err != nil {
		return "", fmt.Errorf("encoding %s: %w", ManifestFile, err)
	}
	// Verify refuses a larger manifest as malformed: never write a bundle
	// that would then not verify.
	if len(manifest) > maxManifest {
		return "", fmt.Errorf("%w: %s would be %d bytes, over the %d bytes Verify accepts", ErrTooLarge, ManifestFile, len(manifest), maxManifest)
	}
	pubPEM, err := MarshalPublicKeyPEM(pub)
	if err != nil {
		return "", err
	}
	sig := ed25519.Sign(b.cfg.key, signedMessage(manifest))
	for _, f := range []bundleFile{{path: ManifestFile, data: manifest}, {path: SignatureFile, data: encodeSignature(sig)}, {path: PublicKeyFile, data: pubPEM}} {
		if err := writeFileSync(filepath.Join(b.tmp, f.path), f.data); err != nil {
			return "", err
		}
	}
	if err := syncDir(b.tmp); err != nil {
		return "", err
	}
	// MkdirTemp creates the bundle 0700; make it readable like its files.
	if err := os.Chmod(b.tmp, 0o755); err != nil {
		return "", err
	}
	if err := ctx.Err(); err != nil {
		return "", err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	err = renameNoReplace(b.tmp, b.final)
	// Another run took the name since NewBundleWriter: take the next one.
	for i := 2; err != nil && errors.Is(err, os.ErrExist) && b.cfg.unique && i <= maxUniqueTries; i++ {
		b.final = b.candidate(i)
		err = renameNoReplace(b.tmp, b.final)
	}
	if err != nil {
		return "", err
	}
	b.state = writerClosed
	if err := syncDir(b.parent); err != nil {
		return b.final, fmt.Errorf("evidence: bundle written to %s but syncing %s failed: %w", b.final, b.parent, err)
	}
	return b.final, nil
}

// candidate is the i-th name the bundle may take: the configured name,
// then (WithUniqueName) name-2, name-3...
func (b *BundleWriter) candidate(i int) string {
	if i <= 1 {
		return filepath.Join(b.parent, b.cfg.name)
	}
	return filepath.Join(b.parent, fmt.Sprintf("%s-%d", b.cfg.name, i))
}

// stream writes the bundle file name through a buffered writer, hashing
// what it writes, and records it for the manifest.
func (b *BundleWriter) stream(name string, fill func(w *bufio.Writer) error) error {
	f, err := os.OpenFile(filepath.Join(b.tmp, filepath.FromSlash(name)), os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	h := newHashWriter(f)
	w := bufio.NewWriterSize(h, 256<<10)
	err = fill(w)
	if err == nil {
		err = w.Flush()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	b.files = append(b.files, FileEntry{Path: name, SHA256: h.sum(), Size: h.n})
	return nil
}

// writeReport writes report.html: for one target its own page, rendered
// again now that the run's end is known, in place of the one under
// targets/; for more, the fleet view linking to each target's page.
func (b *BundleWriter) writeReport(ctx context.Context, targets []*addedTarget, cat []Control, listed []reportFile, section func(*targetSummary, int, io.Writer) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	var page []byte
	if len(targets) == 1 {
		at := targets[0]
		var buf bytes.Buffer
		if err := section(at.sum, sectionResults, &buf); err != nil {
			return err
		}
		var t Target
		if err := json.Unmarshal(buf.Bytes(), &t); err != nil {
			return fmt.Errorf("reading back the target: %w", err)
		}
		tables, files, err := b.liftSupplement(at, section)
		if err != nil {
			return err
		}
		if page, err = targetReportHTML(&b.head, &t, b.fingerprint, append(slices.Clone(listed), files...), tables...); err != nil {
			return err
		}
		if err := os.RemoveAll(filepath.Join(b.tmp, TargetsDir)); err != nil {
			return err
		}
		b.files = slices.DeleteFunc(b.files, func(f FileEntry) bool { return strings.HasPrefix(f.Path, TargetsDir+"/") })
		delete(b.dirs, TargetsDir)
		delete(b.dirs, targetDir(at.sum.index))
	} else {
		run := b.head
		rows := make([]FleetRow, len(targets))
		for i, at := range targets {
			t := &at.sum.t
			run.Targets = append(run.Targets, *t)
			rows[i] = FleetRow{URI: t.URI, Identity: t.Identity, Error: t.Error, Outcomes: make(map[string]Outcome, len(t.Controls)), Detail: at.page}
			for _, c := range t.Controls {
				rows[i].Outcomes[c.ID] = c.Outcome
			}
		}
		var err error
		if page, err = fleetReportHTML(&run, cat, rows, b.fingerprint, listed); err != nil {
			return err
		}
	}
	if err := b.writeFile(ReportFile, page); err != nil {
		return err
	}
	b.files = append(b.files, FileEntry{Path: ReportFile, SHA256: sha256hex(page), Size: int64(len(page))})
	// Target pages were recorded without their digest; fill it in.
	for i := range b.files {
		f := &b.files[i]
		if f.SHA256 == "" {
			data, err := os.ReadFile(filepath.Join(b.tmp, filepath.FromSlash(f.Path)))
			if err != nil {
				return err
			}
			f.SHA256, f.Size = sha256hex(data), int64(len(data))
		}
	}
	return nil
}

// writeResults writes results.json: run's header around n pre-rendered
// targets, exactly as marshalJSON would encode the whole run.
func writeResults(w io.Writer, head *Run, n int, target func(i int, w io.Writer) error) error {
	h := *head
	h.Targets = []Target{}
	enc, err := marshalJSON(&h)
	if err != nil {
		return fmt.Errorf("encoding %s: %w", ResultsFile, err)
	}
	const key = "\n  \"targets\": []"
	before, after, ok := bytes.Cut(enc, []byte(key))
	if !ok {
		return fmt.Errorf("encoding %s: no targets key", ResultsFile)
	}
	if _, err := w.Write(before); err != nil {
		return err
	}
	if n == 0 {
		_, err := w.Write([]byte(key))
		if err == nil {
			_, err = w.Write(after)
		}
		return err
	}
	if _, err := io.WriteString(w, "\n  \"targets\": [\n"); err != nil {
		return err
	}
	for i := range n {
		if i > 0 {
			if _, err := io.WriteString(w, ",\n"); err != nil {
				return err
			}
		}
		if err := target(i, w); err != nil {
			return err
		}
	}
	if _, err := io.WriteString(w, "\n  ]"); err != nil {
		return err
	}
	_, err = w.Write(after)
	return err
}

// liftSupplement moves the supplement files of a one-target bundle's only
// target from its directory to the bundle root, beside report.html, and
// returns its tables and the files for the page's list.
func (b *BundleWriter) liftSupplement(at *addedTarget, section func(*targetSummary, int, io.Writer) error) ([]pageTable, []reportFile, error) {
	if at.secs[sectionSupplement] == 0 {
		return nil, nil, nil
	}
	var buf bytes.Buffer
	if err := section(at.sum, sectionSupplement, &buf); err != nil {
		return nil, nil, err
	}
	var rec supplementRecord
	if err := json.Unmarshal(buf.Bytes(), &rec); err != nil {
		return nil, nil, fmt.Errorf("reading back the supplement: %w", err)
	}
	taken := map[string]bool{}
	for _, e := range b.cfg.extras {
		taken[strings.ToLower(e.path)] = true
	}
	var files []reportFile
	for _, f := range rec.Files {
		if taken[f.Name] {
			return nil, nil, fmt.Errorf("%w: %s is also an extra file of the bundle", ErrBadSupplement, quotePath(f.Name))
		}
		from := targetDir(at.sum.index) + "/" + f.Name
		if err := os.Rename(filepath.Join(b.tmp, filepath.FromSlash(from)), filepath.Join(b.tmp, f.Name)); err != nil {
			return nil, nil, err
		}
		for i := range b.files {
			if b.files[i].Path == from {
				b.files[i].Path = f.Name
			}
		}
		files = append(files, reportFile{f.Name, f.What})
	}
	return pageTables(&rec, ""), files, nil
}
