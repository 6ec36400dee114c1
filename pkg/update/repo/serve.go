package repo

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/wardsec/ward/pkg/update"
)

func sum256(b []byte) []byte { s := sha256.Sum256(b); return s[:] }

// lookup finds a served file by URL path. The tree is metadata/ and
// targets/; metadata is also served at the top and targets also under
// metadata/targets/, so both a metadata URL of BASE/metadata (with
// targets URL BASE/targets) and one of BASE (targets default to
// BASE/targets, go-tuf's convention) work.
//
// The slice returned is shared, not copied: served files are replaced,
// never modified in place, so readers may hold it.
func (r *Repo) lookup(p string) []byte {
	get := func(name string) []byte {
		r.mu.Lock()
		defer r.mu.Unlock()
		return r.files[name]
	}
	if b := get(p); b != nil && (strings.HasPrefix(p, "metadata/") || strings.HasPrefix(p, "targets/")) {
		return b
	}
	if rest, ok := strings.CutPrefix(p, "metadata/targets/"); ok {
		return get("targets/" + rest)
	}
	if !strings.Contains(p, "/") {
		return get("metadata/" + p)
	}
	return nil
}

// Handler serves the repository: GET /metadata/<file> and /targets/<file>
// (see lookup for the aliases).
func (r *Repo) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if req.Method != http.MethodGet && req.Method != http.MethodHead {
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		b := r.lookup(strings.TrimPrefix(req.URL.Path, "/"))
		if b == nil {
			http.NotFound(w, req)
			return
		}
		w.Header().Set("Content-Type", "application/octet-stream")
		http.ServeContent(w, req, "", time.Time{}, bytes.NewReader(b))
	})
}

// Fetcher serves the repository in process for URLs under base (for
// example "mem://repo"): metadata at base/metadata, targets at
// base/targets. Simulators use it to update without sockets.
func (r *Repo) Fetcher(base string) update.Fetcher {
	base = strings.TrimSuffix(base, "/") + "/"
	return update.FetcherFunc(func(ctx context.Context, rawURL string, maxLength int64) (io.ReadCloser, error) {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("%w: %w", update.ErrFetch, err)
		}
		name, ok := strings.CutPrefix(rawURL, base)
		if !ok {
			return nil, fmt.Errorf("%w: %s", update.ErrNotFound, rawURL)
		}
		b := r.lookup(name)
		if b == nil {
			return nil, fmt.Errorf("%w: %s", update.ErrNotFound, rawURL)
		}
		return io.NopCloser(bytes.NewReader(b)), nil
	})
}

// Serve serves the repository on ln until ctx ends.
func (r *Repo) Serve(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{Handler: r.Handler(), ReadHeaderTimeout: 10 * time.Second}
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}()
	err := srv.Serve(ln)
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}

// DirHandler serves the repository saved in dir, as Handler does, and
// picks up what `ward update repo add|sign` (or Save) publishes there
// while it runs: before each request it checks the modification time of
// metadata/timestamp.json, which every publish rewrites, and reloads the
// directory when it changed. A reload that fails (a publish caught half
// way) keeps serving the previous state and is retried on the next
// request.
func DirHandler(dir string) (http.Handler, error) {
	stamp := filepath.Join(dir, "metadata", "timestamp.json")
	modTime := func() time.Time {
		if st, err := os.Stat(stamp); err == nil {
			return st.ModTime()
		}
		return time.Time{}
	}
	seen := modTime()
	r, err := Load(dir)
	if err != nil {
		return nil, err
	}
	var mu sync.Mutex
	current := r.Handler()
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		mu.Lock()
		if m := modTime(); !m.Equal(seen) {
			if nr, err := Load(dir); err == nil {
				current, seen = nr.Handler(), m
			}
		}
		h := current
		mu.Unlock()
		h.ServeHTTP(w, req)
	}), nil
}
