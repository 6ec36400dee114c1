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
	"strings"
	"time"

	"github.com/wardsec/ward/pkg/update"
)

func sum256(b []byte) []byte { s := sha256.Sum256(b); return s[:] }

// Handler serves the repository: GET /metadata/<file> and /targets/<file>.
func (r *Repo) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if req.Method != http.MethodGet && req.Method != http.MethodHead {
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		b := r.File(strings.TrimPrefix(req.URL.Path, "/"))
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
		b := r.File(name)
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
