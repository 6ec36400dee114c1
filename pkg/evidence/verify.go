package evidence

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/wardsec/ward/pkg/oscal"
)

// ErrAltered is matched (errors.Is) by the *VerifyError Verify returns when a
// bundle differs from what was signed.
var ErrAltered = errors.New("evidence bundle altered")

// ErrNotBundle is returned by Verify for a directory that holds no
// manifest.json (and no other sign of having been a bundle).
var ErrNotBundle = errors.New("not an evidence bundle")

// ProblemKind classifies a difference Verify found.
type ProblemKind string

// The kinds of problem Verify reports.
const (
	// Changed: a listed file's hash or size differs, or it is no longer a
	// regular file.
	Changed ProblemKind = "changed"
	// Added: a file, symlink or directory the manifest does not list.
	Added ProblemKind = "added"
	// Removed: a listed file (or manifest.sig, or manifest.pub when it is the
	// only key) is missing.
	Removed ProblemKind = "removed"
	// BadSignature: manifest.json or manifest.sig was edited, or the bundle
	// was signed by a key other than the trusted one.
	BadSignature ProblemKind = "bad-signature"
	// Malformed: manifest.json, manifest.sig or manifest.pub cannot be parsed,
	// or the manifest lists an unsafe path; or, in a bundle whose files are
	// otherwise intact, an OSCAL file (assessment-results.json, poam.json)
	// is not valid JSON or has a reference that does not resolve (Detail
	// starts with "malformed: oscal:" and names the dangling value).
	Malformed ProblemKind = "malformed"
)

// Problem is one difference between a bundle and its manifest.
type Problem struct {
	Kind ProblemKind
	// Path is the slash-separated path in the bundle the problem is about.
	Path string
	// Detail is a short human explanation, starting with the kind for file
	// problems ("changed (sha256 ...)").
	Detail string
}

func (p Problem) String() string { return quotePath(p.Path) + ": " + p.Detail }

// VerifyError lists every problem Verify found in a bundle. It matches
// ErrAltered with errors.Is.
type VerifyError struct {
	Problems []Problem
}

// Error returns one line per problem, such as
// "manifest.json: signature does not verify (key SHA256:...)" or
// "junit.xml: changed (sha256 ..., manifest says ...)".
func (e *VerifyError) Error() string {
	lines := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		lines[i] = p.String()
	}
	return strings.Join(lines, "\n")
}

// Is makes errors.Is(err, ErrAltered) true.
func (e *VerifyError) Is(target error) bool { return target == ErrAltered }

// ErrTooLarge reports a bundle Write refuses because Verify would refuse
// it: the writer and the verifier share their limits.
var ErrTooLarge = errors.New("evidence: over a bundle size limit")

// Size limits on the signature files, so a hostile bundle cannot make Verify
// read a huge manifest into memory. Write keeps to them too.
const (
	maxManifest = 64 << 20
	maxSigFile  = 4 << 10
)

// Verify checks the evidence bundle in dir and returns its manifest if
// nothing was altered.
//
// With a non-nil trusted key, manifest.sig must verify under trusted, and
// manifest.pub, if present, must be that key: this proves who made the
// bundle. With a nil trusted key Verify uses manifest.pub and proves
// integrity only: anyone who edits a bundle can re-sign it with a key of
// their own and replace manifest.pub, and it will still verify. Pass the
// signer's key (`ward evidence verify --pubkey FILE`) whenever authenticity
// matters.
//
// Verify walks dir without following symbolic links, re-hashes every file
// with constant memory, and reports all problems at once in a *VerifyError
// matching ErrAltered: files changed, added (including symlinks and unlisted
// directories) or removed, a bad signature, a malformed manifest. If nothing
// else is wrong it checks the cross-references of assessment-results.json
// and poam.json (CheckOSCALReferences, plus hrefs to and digests of bundle
// files), each problem Malformed on that file. Other
// errors (dir missing, not a bundle (ErrNotBundle), unreadable files, ctx
// cancelled) do not match ErrAltered.
func Verify(ctx context.Context, dir string, trusted ed25519.PublicKey) (*Manifest, error) {
	if trusted != nil && len(trusted) != ed25519.PublicKeySize {
		return nil, fmt.Errorf("evidence: trusted key is %d bytes, want %d", len(trusted), ed25519.PublicKeySize)
	}
	info, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("evidence: %w", err)
	}
	if !info.IsDir() {
		return nil, fmt.Errorf("evidence: %s: %w (not a directory)", dir, ErrNotBundle)
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, fmt.Errorf("evidence: %w", err)
	}
	defer root.Close()
	m, err := verifyFS(ctx, root.FS(), trusted)
	if err != nil {
		var ve *VerifyError
		if errors.As(err, &ve) {
			return nil, err
		}
		return nil, fmt.Errorf("evidence: %s: %w", dir, err)
	}
	return m, nil
}

// verifier holds the state of one verification.
type verifier struct {
	fsys     fs.FS
	problems []Problem
	ioErr    error // first I/O error reading a signature file
}

func (v *verifier) err() error { return v.ioErr }

func (v *verifier) add(kind ProblemKind, p, format string, args ...any) {
	v.problems = append(v.problems, Problem{Kind: kind, Path: p, Detail: fmt.Sprintf(format, args...)})
}

// verifyFS is Verify on a file system; it does not follow symlinks found
// by its walk.
func verifyFS(ctx context.Context, fsys fs.FS, trusted ed25519.PublicKey) (*Manifest, error) {
	// Inventory: every entry's type, from directory listings (lstat).
	types := make(map[string]fs.FileMode)
	var order []string
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if p == "." {
			return nil
		}
		types[p] = d.Type()
		order = append(order, p)
		return nil
	})
	if err != nil {
		return nil, err
	}

	v := &verifier{fsys: fsys}
	manifestData, manifestOK := v.readSignatureFile(types, ManifestFile, maxManifest)
	if _, present := types[ManifestFile]; !present {
		_, hasSig := types[SignatureFile]
		_, hasResults := types[ResultsFile]
		if !hasSig && !hasResults {
			return nil, fmt.Errorf("%w (no %s)", ErrNotBundle, ManifestFile)
		}
		v.add(Removed, ManifestFile, "removed (nothing in the bundle can be checked)")
		return nil, v.result()
	}
	if v.err() != nil {
		return nil, v.err()
	}
	sigData, sigOK := v.readSignatureFile(types, SignatureFile, maxSigFile)
	pubData, pubOK := v.readSignatureFile(types, PublicKeyFile, maxSigFile)
	if v.err() != nil {
		return nil, v.err()
	}

	// The key to check the signature with.
	var key ed25519.PublicKey
	var bundled ed25519.PublicKey
	if pubOK {
		k, err := parseCanonicalPublicKey(pubData)
		if err != nil {
			v.add(Malformed, PublicKeyFile, "malformed: %v", err)
		} else {
			bundled = k
		}
	}
	if trusted != nil {
		key = trusted
		if bundled != nil && !bundled.Equal(trusted) {
			v.add(BadSignature, PublicKeyFile, "key %s is not the trusted key %s", Fingerprint(bundled), Fingerprint(trusted))
		}
	} else {
		key = bundled
		if _, present := types[PublicKeyFile]; !present {
			v.add(Removed, PublicKeyFile, "removed (no key to check the signature with; supply the signer's public key)")
		}
	}

	if sigOK {
		sig, err := decodeSignature(sigData)
		switch {
		case err != nil:
			v.add(Malformed, SignatureFile, "malformed: %v", err)
		case key != nil && manifestOK && !ed25519.Verify(key, signedMessage(manifestData), sig):
			v.add(BadSignature, ManifestFile, "signature does not verify (key %s)", Fingerprint(key))
		}
	} else if _, present := types[SignatureFile]; !present {
		v.add(Removed, SignatureFile, "removed (the manifest is unsigned)")
	}

	if !manifestOK {
		return nil, v.result()
	}
	m, err := parseManifest(manifestData)
	if err != nil {
		v.add(Malformed, ManifestFile, "malformed: %v", err)
		return nil, v.result()
	}
	if key != nil && m.KeyFingerprint != Fingerprint(key) {
		if trusted != nil {
			v.add(BadSignature, ManifestFile, "key_fingerprint %q is not the trusted key %s", m.KeyFingerprint, Fingerprint(key))
		} else {
			v.add(BadSignature, PublicKeyFile, "key %s is not the signer %q named in the manifest", Fingerprint(key), m.KeyFingerprint)
		}
	}

	// Compare files.
	listed := make(map[string]FileEntry, len(m.Files))
	dirs := map[string]bool{}
	for _, f := range m.Files {
		listed[f.Path] = f
		for d := path.Dir(f.Path); d != "."; d = path.Dir(d) {
			dirs[d] = true
		}
	}
	var toHash []FileEntry
	for _, f := range m.Files {
		mode, present := types[f.Path]
		switch {
		case !present:
			v.add(Removed, f.Path, "removed (listed in the manifest, %d bytes)", f.Size)
		case !mode.IsRegular():
			v.add(Changed, f.Path, "changed (now a %s, not a regular file)", typeName(mode))
		default:
			toHash = append(toHash, f)
		}
	}
	// On a large bundle (a fleet's), the OSCAL cross-reference check reads
	// the OSCAL files while the workers hash everything, since it takes
	// about as long; on a small one it runs afterwards, and only if nothing
	// else was found.
	var (
		oscalProblems []Problem
		oscalErr      error
		oscalDone     chan struct{}
		total         int64
	)
	for _, f := range toHash {
		total += f.Size
	}
	if len(v.problems) == 0 && total >= concurrentOSCALCheck {
		oscalDone = make(chan struct{})
		go func() {
			defer close(oscalDone)
			oscalProblems, oscalErr = checkOSCALFiles(ctx, fsys, m, types)
		}()
	}
	found, err := hashAll(ctx, fsys, toHash)
	if oscalDone != nil {
		<-oscalDone
	}
	if err != nil {
		return nil, err
	}
	v.problems = append(v.problems, found...)
	for _, p := range order {
		if _, ok := listed[p]; ok || isSignatureFile(p) {
			continue
		}
		mode := types[p]
		switch {
		case mode.IsDir() && dirs[p]:
		case mode.IsDir():
			v.add(Added, p, "added (directory not in the manifest)")
		case mode.IsRegular():
			v.add(Added, p, "added (not in the manifest)")
		default:
			v.add(Added, p, "added (%s not in the manifest)", typeName(mode))
		}
	}
	if len(v.problems) == 0 {
		// Only for an otherwise intact bundle: the OSCAL files of an altered
		// one are already reported, and checking them would only add noise.
		if oscalDone == nil {
			oscalProblems, oscalErr = checkOSCALFiles(ctx, fsys, m, types)
		}
		if oscalErr != nil {
			return nil, oscalErr
		}
		v.problems = append(v.problems, oscalProblems...)
	}
	if len(v.problems) > 0 {
		return nil, v.result()
	}
	return m, nil
}

// oscalFiles are the bundle files whose cross-references Verify checks.
var oscalFiles = []string{AssessmentResultsFile, POAMFile}

// concurrentOSCALCheck is the bundle size from which Verify checks the OSCAL
// files while hashing rather than after.
var concurrentOSCALCheck int64 = 16 << 20

// maxOSCALProblems bounds how many cross-reference problems Verify reports
// per file.
const maxOSCALProblems = 20

// checkOSCALFiles checks the cross-references of the bundle's OSCAL files
// (CheckOSCALReferences), and that their references to bundle files name
// listed files with the listed SHA-256. Each problem is Malformed, on the
// file, with a detail starting "malformed: oscal:". Files that are missing
// or not regular files are left to the hash check to report.
func checkOSCALFiles(ctx context.Context, fsys fs.FS, m *Manifest, types map[string]fs.FileMode) ([]Problem, error) {
	digests := make(map[string]string, len(m.Files))
	for _, f := range m.Files {
		digests[f.Path] = f.SHA256
	}
	var problems []Problem
	add := func(name, format string, args ...any) {
		problems = append(problems, Problem{Kind: Malformed, Path: name, Detail: fmt.Sprintf(format, args...)})
	}
	for _, name := range oscalFiles {
		if _, listed := digests[name]; !listed || !types[name].IsRegular() {
			continue
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		f, err := fsys.Open(name)
		if err != nil {
			return nil, err
		}
		found, err := oscal.CheckReferencesAmong(&ctxReader{ctx, f}, oscal.Files{Digests: digests, Signed: isSignatureFile})
		f.Close()
		var fe *oscal.FormatError
		switch {
		case errors.As(err, &fe):
			add(name, "malformed: oscal: %v", err)
			continue
		case err != nil:
			return nil, err
		}
		for i, p := range found {
			if i == maxOSCALProblems {
				add(name, "malformed: oscal: %d more cross-reference problems", len(found)-i)
				break
			}
			add(name, "malformed: oscal: %s (at %s)", p.Detail, p.At())
		}
	}
	return problems, nil
}

// ctxReader fails reads once ctx is done.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (r *ctxReader) Read(p []byte) (int, error) {
	if err := r.ctx.Err(); err != nil {
		return 0, err
	}
	return r.r.Read(p)
}

// readSignatureFile reads one of manifest.json, manifest.sig and
// manifest.pub. ok is false if it is missing (not reported here) or unusable
// (reported). An I/O error is kept for err.
func (v *verifier) readSignatureFile(types map[string]fs.FileMode, name string, limit int64) (data []byte, ok bool) {
	mode, present := types[name]
	if !present {
		return nil, false
	}
	if !mode.IsRegular() {
		v.add(Malformed, name, "malformed: a %s, not a regular file", typeName(mode))
		return nil, false
	}
	f, err := v.fsys.Open(name)
	if err != nil {
		v.ioErr = err
		return nil, false
	}
	defer f.Close()
	data, err = io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		v.ioErr = err
		return nil, false
	}
	if int64(len(data)) > limit {
		v.add(Malformed, name, "malformed: larger than %d bytes", limit)
		return nil, false
	}
	return data, true
}

// hashWorkers bounds how many files Verify hashes at once; each worker holds
// one open file and one buffer, so memory stays constant.
const hashWorkers = 4

// hashAll checks files against their entries, a few at a time, and returns
// the problems found in the order of files.
func hashAll(ctx context.Context, fsys fs.FS, files []FileEntry) ([]Problem, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	results := make([]*Problem, len(files))
	var (
		next     atomic.Int64
		wg       sync.WaitGroup
		errOnce  sync.Once
		firstErr error
	)
	for range min(hashWorkers, runtime.GOMAXPROCS(0), len(files)) {
		wg.Go(func() {
			buf := make([]byte, 64<<10)
			for {
				i := int(next.Add(1) - 1)
				if i >= len(files) || ctx.Err() != nil {
					return
				}
				p, err := checkFile(ctx, fsys, buf, files[i])
				if err != nil {
					errOnce.Do(func() { firstErr = err; cancel() })
					return
				}
				results[i] = p
			}
		})
	}
	wg.Wait()
	if firstErr != nil {
		return nil, firstErr
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var problems []Problem
	for _, p := range results {
		if p != nil {
			problems = append(problems, *p)
		}
	}
	return problems, nil
}

// checkFile compares a regular file with its manifest entry and returns the
// problem, if any.
func checkFile(ctx context.Context, fsys fs.FS, buf []byte, want FileEntry) (*Problem, error) {
	changed := func(format string, args ...any) (*Problem, error) {
		return &Problem{Kind: Changed, Path: want.Path, Detail: fmt.Sprintf(format, args...)}, nil
	}
	f, err := fsys.Open(want.Path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !info.Mode().IsRegular() {
		return changed("changed (now a %s, not a regular file)", typeName(info.Mode()))
	}
	if info.Size() != want.Size {
		return changed("changed (size %d, manifest says %d)", info.Size(), want.Size)
	}
	h := sha256.New()
	n, err := copyCtx(ctx, h, f, buf)
	if err != nil {
		return nil, err
	}
	if n != want.Size {
		return changed("changed (size %d, manifest says %d)", n, want.Size)
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != want.SHA256 {
		return changed("changed (sha256 %s, manifest says %s)", got, want.SHA256)
	}
	return nil, nil
}

// copyCtx is io.CopyBuffer that checks ctx every few megabytes.
func copyCtx(ctx context.Context, dst io.Writer, src io.Reader, buf []byte) (int64, error) {
	var total int64
	for i := 0; ; i++ {
		if i%64 == 63 {
			if err := ctx.Err(); err != nil {
				return total, err
			}
		}
		n, err := src.Read(buf)
		if n > 0 {
			dst.Write(buf[:n])
			total += int64(n)
		}
		if errors.Is(err, io.EOF) {
			return total, nil
		}
		if err != nil {
			return total, err
		}
	}
}

// result returns the problems as a *VerifyError, those about the signature
// files first, then by path.
func (v *verifier) result() error {
	rank := func(p string) int {
		switch p {
		case ManifestFile:
			return 0
		case SignatureFile:
			return 1
		case PublicKeyFile:
			return 2
		}
		return 3
	}
	slices.SortStableFunc(v.problems, func(a, b Problem) int {
		if ra, rb := rank(a.Path), rank(b.Path); ra != rb {
			return ra - rb
		}
		return strings.Compare(a.Path, b.Path)
	})
	return &VerifyError{Problems: v.problems}
}

func typeName(m fs.FileMode) string {
	switch {
	case m&fs.ModeSymlink != 0:
		return "symlink"
	case m.IsDir():
		return "directory"
	case m&fs.ModeNamedPipe != 0:
		return "named pipe"
	case m&fs.ModeSocket != 0:
		return "socket"
	case m&fs.ModeDevice != 0:
		return "device"
	case m.IsRegular():
		return "file"
	}
	return "special file"
}
