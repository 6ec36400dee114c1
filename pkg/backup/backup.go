package backup

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/wardsec/ward/pkg/atrest"
)

// Magic opens every backup's plaintext.
const Magic = "ward-backup/1\n"

// Limits keep a hostile backup from exhausting memory before it fails.
const (
	MaxManifestSize = 16 << 20
	MaxFiles        = 1 << 20
	MaxTotalSize    = 4 << 30
)

var (
	// ErrCorrupt reports a backup that decrypted but whose archive is not
	// what its manifest says (or is not an archive at all).
	ErrCorrupt = errors.New("backup: corrupt archive")
	// ErrNoKey reports an attempt to write a backup without a key: backups
	// are always encrypted.
	ErrNoKey = errors.New("backup: no key to seal the backup with")
	// ErrBadName reports a file name that is not a clean relative path.
	ErrBadName = errors.New("backup: bad file name")
)

// File is one file of a data store.
type File struct {
	Name string
	Data []byte
}

// Entry describes one file in the manifest.
type Entry struct {
	Name   string `json:"name"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
}

// Manifest is the archive's table of contents.
type Manifest struct {
	Version int       `json:"version"`
	Created time.Time `json:"created"`
	// Source names what was backed up (device serial, directory).
	Source  string  `json:"source"`
	Entries []Entry `json:"entries"`
}

// Size is the total of the files' sizes.
func (m Manifest) Size() int64 {
	var n int64
	for _, e := range m.Entries {
		n += e.Size
	}
	return n
}

// checkName accepts clean, relative, slash-separated names.
func checkName(name string) error {
	if name == "" || path.IsAbs(name) || path.Clean(name) != name || name == "." || strings.HasPrefix(name, "../") || name == ".." || strings.ContainsAny(name, "\\\x00") {
		return fmt.Errorf("%w: %q", ErrBadName, name)
	}
	return nil
}

// Write seals files into dst as one backup under every wrapper (for example
// a site backup key and an offline recovery key). Names must be unique,
// clean relative paths; the manifest lists them in the order given.
func Write(ctx context.Context, dst io.Writer, source string, created time.Time, files []File, wrappers ...atrest.KeyWrapper) (Manifest, error) {
	if len(wrappers) == 0 {
		return Manifest{}, ErrNoKey
	}
	m := Manifest{Version: 1, Created: created.UTC(), Source: source, Entries: make([]Entry, 0, len(files))}
	seen := map[string]bool{}
	for _, f := range files {
		if err := checkName(f.Name); err != nil {
			return Manifest{}, err
		}
		if seen[f.Name] {
			return Manifest{}, fmt.Errorf("%w: %q twice", ErrBadName, f.Name)
		}
		seen[f.Name] = true
		sum := sha256.Sum256(f.Data)
		m.Entries = append(m.Entries, Entry{Name: f.Name, Size: int64(len(f.Data)), SHA256: hex.EncodeToString(sum[:])})
	}
	head, err := json.Marshal(m)
	if err != nil {
		return Manifest{}, err
	}
	aw, err := atrest.NewWriter(ctx, dst, nil, wrappers...)
	if err != nil {
		return Manifest{}, fmt.Errorf("backup: %w", err)
	}
	bw := bufio.NewWriterSize(aw, 64<<10)
	bw.WriteString(Magic)
	bw.Write(head)
	bw.WriteByte('\n')
	for _, f := range files {
		if err := ctx.Err(); err != nil {
			return Manifest{}, err
		}
		bw.Write(f.Data)
	}
	if err := bw.Flush(); err != nil {
		return Manifest{}, fmt.Errorf("backup: write: %w", err)
	}
	if err := aw.Close(); err != nil {
		return Manifest{}, fmt.Errorf("backup: seal: %w", err)
	}
	return m, nil
}

// Read opens and fully verifies a backup and returns its files. Nothing is
// returned unless every byte authenticated and every file matched the
// manifest.
func Read(ctx context.Context, src io.Reader, unwrappers ...atrest.KeyUnwrapper) (Manifest, []File, error) {
	var files []File
	m, err := walk(ctx, src, unwrappers, func(e Entry, r io.Reader) error {
		data := make([]byte, 0, min(e.Size, 1<<20))
		buf := bytes.NewBuffer(data)
		if _, err := io.Copy(buf, r); err != nil {
			return err
		}
		files = append(files, File{Name: e.Name, Data: buf.Bytes()})
		return nil
	})
	if err != nil {
		return Manifest{}, nil, err
	}
	return m, files, nil
}

// Verify checks a backup end to end, in constant memory, without keeping
// any of its content.
func Verify(ctx context.Context, src io.Reader, unwrappers ...atrest.KeyUnwrapper) (Manifest, error) {
	return walk(ctx, src, unwrappers, func(_ Entry, r io.Reader) error {
		_, err := io.Copy(io.Discard, r)
		return err
	})
}

// walk decrypts the backup and hands each file's content to visit, then
// checks hashes and that nothing follows the last file. Callers must drop
// what visit collected when walk fails.
func walk(ctx context.Context, src io.Reader, unwrappers []atrest.KeyUnwrapper, visit func(Entry, io.Reader) error) (Manifest, error) {
	ar, err := atrest.NewReader(ctx, src, nil, unwrappers...)
	if err != nil {
		return Manifest{}, fmt.Errorf("backup: %w", err)
	}
	br := bufio.NewReaderSize(ar, 64<<10)
	magic := make([]byte, len(Magic))
	if _, err := io.ReadFull(br, magic); err != nil {
		return Manifest{}, corrupt(err, "no archive header")
	}
	if string(magic) != Magic {
		return Manifest{}, fmt.Errorf("%w: not a ward backup (bad magic)", ErrCorrupt)
	}
	line, err := readLine(br, MaxManifestSize)
	if err != nil {
		return Manifest{}, corrupt(err, "manifest")
	}
	var m Manifest
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		return Manifest{}, fmt.Errorf("%w: manifest: %v", ErrCorrupt, err)
	}
	if err := checkManifest(m); err != nil {
		return Manifest{}, err
	}
	for _, e := range m.Entries {
		if err := ctx.Err(); err != nil {
			return Manifest{}, err
		}
		h := sha256.New()
		lr := io.LimitReader(br, e.Size)
		cr := &countingReader{r: io.TeeReader(lr, h)}
		if err := visit(e, cr); err != nil {
			return Manifest{}, corrupt(err, e.Name)
		}
		if cr.n != e.Size {
			return Manifest{}, fmt.Errorf("%w: %s: %d of %d bytes", ErrCorrupt, e.Name, cr.n, e.Size)
		}
		if hex.EncodeToString(h.Sum(nil)) != e.SHA256 {
			return Manifest{}, fmt.Errorf("%w: %s: content does not match its SHA-256", ErrCorrupt, e.Name)
		}
	}
	// Reading to EOF makes atrest check the final chunk: a truncated or
	// extended backup fails here even when every file looked complete.
	n, err := io.Copy(io.Discard, br)
	if err != nil {
		return Manifest{}, corrupt(err, "end of backup")
	}
	if n != 0 {
		return Manifest{}, fmt.Errorf("%w: %d bytes after the last file", ErrCorrupt, n)
	}
	return m, nil
}

func checkManifest(m Manifest) error {
	if m.Version != 1 {
		return fmt.Errorf("%w: manifest version %d (want 1)", ErrCorrupt, m.Version)
	}
	if len(m.Entries) > MaxFiles {
		return fmt.Errorf("%w: %d files (limit %d)", ErrCorrupt, len(m.Entries), MaxFiles)
	}
	var total int64
	seen := make(map[string]bool, len(m.Entries))
	for _, e := range m.Entries {
		if err := checkName(e.Name); err != nil {
			return fmt.Errorf("%w: %w", ErrCorrupt, err)
		}
		if seen[e.Name] {
			return fmt.Errorf("%w: %q listed twice", ErrCorrupt, e.Name)
		}
		seen[e.Name] = true
		if e.Size < 0 || e.Size > MaxTotalSize-total {
			return fmt.Errorf("%w: sizes exceed %d bytes", ErrCorrupt, int64(MaxTotalSize))
		}
		total += e.Size
		if b, err := hex.DecodeString(e.SHA256); err != nil || len(b) != sha256.Size {
			return fmt.Errorf("%w: %s: bad sha256", ErrCorrupt, e.Name)
		}
	}
	return nil
}

// corrupt keeps atrest's errors (authentication, wrong key) matchable and
// calls everything else a corrupt archive.
func corrupt(err error, where string) error {
	var target error = ErrCorrupt
	for _, known := range []error{atrest.ErrAuthentication, atrest.ErrNoMatchingKey, atrest.ErrWrongPassphrase, atrest.ErrMalformed, atrest.ErrUnsupportedVersion, context.Canceled, context.DeadlineExceeded} {
		if errors.Is(err, known) {
			target = nil
			break
		}
	}
	if target == nil {
		return fmt.Errorf("backup: %s: %w", where, err)
	}
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return fmt.Errorf("%w: %s: truncated", ErrCorrupt, where)
	}
	return fmt.Errorf("%w: %s: %v", ErrCorrupt, where, err)
}

func readLine(br *bufio.Reader, limit int) ([]byte, error) {
	var out []byte
	for {
		frag, err := br.ReadSlice('\n')
		out = append(out, frag...)
		if len(out) > limit {
			return nil, fmt.Errorf("%w: line longer than %d bytes", ErrCorrupt, limit)
		}
		switch {
		case err == nil:
			return out[:len(out)-1], nil
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		default:
			return nil, err
		}
	}
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

// sortedNames is used by the directory helpers for a stable archive order.
func sortedNames(files []File) []File {
	return slices.SortedFunc(slices.Values(files), func(a, b File) int { return strings.Compare(a.Name, b.Name) })
}
