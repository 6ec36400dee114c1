package overlayfs

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"slices"
	"strings"
	"time"
)

// FS is base with top mounted at the directory Mount: top's file a/b.hcl
// is Mount/a/b.hcl. Base must not have an entry named Mount itself (New
// checks), so nothing of base is hidden.
type FS struct {
	base  fs.FS
	mount string
	top   fs.FS
}

// ErrMountTaken is returned by New when base already has the mount name.
var ErrMountTaken = errors.New("overlay mount point already exists in the base tree")

// New mounts top at mount (a single path element) over base.
func New(base fs.FS, mount string, top fs.FS) (*FS, error) {
	if !fs.ValidPath(mount) || mount == "." || strings.Contains(mount, "/") {
		return nil, fmt.Errorf("overlay mount %q: not a single path element", mount)
	}
	if _, err := fs.Stat(base, mount); err == nil {
		return nil, fmt.Errorf("%w: %q", ErrMountTaken, mount)
	}
	return &FS{base: base, mount: mount, top: top}, nil
}

// route says which tree serves name, and under which name.
func (o *FS) route(name string) (fs.FS, string, bool) {
	switch {
	case name == o.mount:
		return o.top, ".", true
	case strings.HasPrefix(name, o.mount+"/"):
		return o.top, name[len(o.mount)+1:], true
	}
	return o.base, name, false
}

// Open opens name in the tree that holds it; the root lists both.
func (o *FS) Open(name string) (fs.File, error) {
	if !fs.ValidPath(name) {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrInvalid}
	}
	if name == "." {
		f, err := o.base.Open(".")
		if err != nil {
			return nil, err
		}
		return &root{File: f, o: o}, nil
	}
	t, n, mounted := o.route(name)
	f, err := t.Open(n)
	if err != nil {
		return nil, rename(err, name)
	}
	if mounted && n == "." {
		return &mountDir{File: f, name: o.mount}, nil
	}
	return f, nil
}

// ReadDir lists a directory; the root has the mount point too.
func (o *FS) ReadDir(name string) ([]fs.DirEntry, error) {
	if !fs.ValidPath(name) {
		return nil, &fs.PathError{Op: "readdir", Path: name, Err: fs.ErrInvalid}
	}
	if name == "." {
		return o.rootEntries()
	}
	t, n, _ := o.route(name)
	es, err := fs.ReadDir(t, n)
	return es, rename(err, name)
}

// Stat describes name.
func (o *FS) Stat(name string) (fs.FileInfo, error) {
	if !fs.ValidPath(name) {
		return nil, &fs.PathError{Op: "stat", Path: name, Err: fs.ErrInvalid}
	}
	t, n, mounted := o.route(name)
	fi, err := fs.Stat(t, n)
	if err != nil {
		return nil, rename(err, name)
	}
	if mounted && n == "." {
		return mountInfo{fi, o.mount}, nil
	}
	return fi, nil
}

func (o *FS) rootEntries() ([]fs.DirEntry, error) {
	es, err := fs.ReadDir(o.base, ".")
	if err != nil {
		return nil, err
	}
	fi, err := fs.Stat(o.top, ".")
	if err != nil {
		return nil, rename(err, o.mount)
	}
	es = append(slices.Clip(es), fs.FileInfoToDirEntry(mountInfo{fi, o.mount}))
	slices.SortFunc(es, func(a, b fs.DirEntry) int { return strings.Compare(a.Name(), b.Name()) })
	return es, nil
}

// rename makes an error name the path as the overlay knows it.
func rename(err error, name string) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return &fs.PathError{Op: pe.Op, Path: name, Err: pe.Err}
	}
	return err
}

// mountInfo is top's root as an entry of the overlay's root.
type mountInfo struct {
	fs.FileInfo
	name string
}

func (m mountInfo) Name() string       { return m.name }
func (m mountInfo) IsDir() bool        { return true }
func (m mountInfo) Mode() fs.FileMode  { return m.FileInfo.Mode() | fs.ModeDir }
func (m mountInfo) ModTime() time.Time { return m.FileInfo.ModTime() }

// mountDir is top's root opened through the overlay: it is named after
// the mount point.
type mountDir struct {
	fs.File
	name string
}

func (m *mountDir) Stat() (fs.FileInfo, error) {
	fi, err := m.File.Stat()
	if err != nil {
		return nil, err
	}
	return mountInfo{fi, m.name}, nil
}

func (m *mountDir) ReadDir(n int) ([]fs.DirEntry, error) {
	d, ok := m.File.(fs.ReadDirFile)
	if !ok {
		return nil, &fs.PathError{Op: "readdir", Path: m.name, Err: errors.New("not implemented")}
	}
	return d.ReadDir(n)
}

// root is the overlay's root directory opened as a file.
type root struct {
	fs.File
	o       *FS
	entries []fs.DirEntry
	read    bool
}

func (r *root) ReadDir(n int) ([]fs.DirEntry, error) {
	if !r.read {
		es, err := r.o.rootEntries()
		if err != nil {
			return nil, err
		}
		r.entries, r.read = es, true
	}
	if n <= 0 {
		out := r.entries
		r.entries = nil
		return out, nil
	}
	if len(r.entries) == 0 {
		return nil, io.EOF
	}
	n = min(n, len(r.entries))
	out := r.entries[:n]
	r.entries = r.entries[n:]
	return out, nil
}

// Overlapping returns the files (not directories) of top whose path is
// also a file of base: a copy of the base tree mounted as an overlay would
// otherwise define everything twice.
func Overlapping(base, top fs.FS) ([]string, error) {
	var out []string
	err := fs.WalkDir(top, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		if fi, err := fs.Stat(base, p); err == nil && !fi.IsDir() {
			out = append(out, path.Clean(p))
		}
		return nil
	})
	return out, err
}
