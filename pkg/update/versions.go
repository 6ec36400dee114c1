package update

import (
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"

	"github.com/theupdateframework/go-tuf/v2/metadata"
)

// go-tuf reports two different things with one error type,
// *metadata.ErrBadVersionNumber: metadata older than the device already
// trusts (a rollback) and metadata whose version disagrees with what its
// parent lists (mix-and-match, a skipped root). Its message text is not
// an interface, so Ward tells them apart from the versions themselves: the
// versions the device trusted when the refresh began, and those of the
// metadata the repository served during it.

// versionView is the part of a metadata file this comparison reads.
type versionView struct {
	Signed struct {
		Version int64 `json:"version"`
		Meta    map[string]struct {
			Version int64 `json:"version"`
		} `json:"meta"`
	} `json:"signed"`
}

func parseVersions(b []byte) (versionView, bool) {
	var v versionView
	if err := json.Unmarshal(b, &v); err != nil || v.Signed.Version <= 0 {
		return versionView{}, false
	}
	return v, true
}

// servedFile is one metadata file the repository served.
type servedFile struct {
	requested int64 // the N of N.<role>.json, 0 without one
	data      []byte
}

// versionLog holds, for one refresh, the versions trusted at its start
// and the metadata served during it (the last file per role).
type versionLog struct {
	mu      sync.Mutex
	base    string // metadata URL, with a trailing slash
	dir     string // local metadata directory, "" without state
	trusted map[string]versionView
	served  map[string]servedFile
}

// maxTrustedRead bounds a local metadata read (go-tuf's largest maximum,
// targets, is 5 MB).
const maxTrustedRead = 5 << 20

func newVersionLog(metadataURL, dir string) *versionLog {
	l := &versionLog{base: strings.TrimSuffix(metadataURL, "/") + "/", dir: dir,
		trusted: map[string]versionView{}, served: map[string]servedFile{}}
	for _, role := range []string{metadata.ROOT, metadata.TIMESTAMP, metadata.SNAPSHOT, metadata.TARGETS} {
		l.loadTrusted(role)
	}
	return l
}

// loadTrusted reads role's locally trusted metadata, if any. Delegated
// roles are read when needed: go-tuf writes them only once verified.
func (l *versionLog) loadTrusted(role string) (versionView, bool) {
	if v, ok := l.trusted[role]; ok {
		return v, true
	}
	if l.dir == "" || role == "" || strings.ContainsAny(role, `/\`) || role == "." || role == ".." {
		return versionView{}, false
	}
	f, err := os.Open(filepath.Join(l.dir, role+".json"))
	if err != nil {
		return versionView{}, false
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxTrustedRead))
	if err != nil {
		return versionView{}, false
	}
	v, ok := parseVersions(b)
	if ok {
		l.trusted[role] = v
	}
	return v, ok
}

// record keeps a metadata file served from under the metadata URL. Roles
// are keyed as go-tuf names both the URL and the local file: by
// url.PathEscape of the role name.
func (l *versionLog) record(rawURL string, data []byte) {
	name, ok := strings.CutPrefix(rawURL, l.base)
	if !ok || strings.Contains(name, "/") {
		return
	}
	name, ok = strings.CutSuffix(name, ".json")
	if !ok {
		return
	}
	f := servedFile{data: data}
	if n, rest, ok := strings.Cut(name, "."); ok {
		if v, err := strconv.ParseInt(n, 10, 64); err == nil {
			f.requested, name = v, rest
		}
	}
	l.mu.Lock()
	l.served[name] = f
	l.mu.Unlock()
}

// rollback reports whether the repository served metadata older than what
// the device trusted when the refresh began: a root older than the one
// asked for, a timestamp or snapshot older than the trusted one, a
// timestamp naming an older snapshot, a snapshot naming an older (or no)
// version of a role the trusted snapshot lists, or a targets role older
// than the trusted one.
func (l *versionLog) rollback() bool {
	if l == nil {
		return false
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	for role, f := range l.served {
		s, ok := parseVersions(f.data)
		if !ok {
			continue
		}
		if role == metadata.ROOT {
			if f.requested > 0 && s.Signed.Version < f.requested {
				return true
			}
			continue
		}
		t, ok := l.loadTrusted(role)
		if !ok {
			continue
		}
		if s.Signed.Version < t.Signed.Version {
			return true
		}
		switch role {
		case metadata.TIMESTAMP, metadata.SNAPSHOT:
			for name, tm := range t.Signed.Meta {
				sm, ok := s.Signed.Meta[name]
				if !ok || sm.Version < tm.Version {
					return true
				}
			}
		}
	}
	return false
}

// reset forgets the served files (after a successful refresh: the bytes
// are not needed any more).
func (l *versionLog) reset() {
	if l == nil {
		return
	}
	l.mu.Lock()
	clear(l.served)
	l.mu.Unlock()
}

// versionError classifies a go-tuf version error: ErrRollback when the
// served metadata is older than the trusted, ErrInconsistent otherwise.
func versionError(l *versionLog) error {
	if l.rollback() {
		return ErrRollback
	}
	return ErrInconsistent
}
