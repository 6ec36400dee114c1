package update

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path"
	"strings"
	"sync"
	"time"

	"github.com/theupdateframework/go-tuf/v2/metadata"
)

// Fetcher gets one file of an update repository. It is context-aware, so a
// device can cancel or bound an update; go-tuf's own fetcher is not.
//
// Fetch returns the file at rawURL as a stream. maxLength is the most the
// caller will read (the length TUF expects, or a configured maximum); a
// Fetcher may use it to refuse early. A missing file is an error matching
// ErrNotFound; any other failure one matching ErrFetch.
type Fetcher interface {
	Fetch(ctx context.Context, rawURL string, maxLength int64) (io.ReadCloser, error)
}

// FetcherFunc adapts a function to Fetcher.
type FetcherFunc func(ctx context.Context, rawURL string, maxLength int64) (io.ReadCloser, error)

// Fetch implements Fetcher.
func (f FetcherFunc) Fetch(ctx context.Context, rawURL string, maxLength int64) (io.ReadCloser, error) {
	return f(ctx, rawURL, maxLength)
}

// HTTPFetcher fetches over HTTP(S) with a given client. A server that stops
// sending for StallTimeout is cut off, so a slow-drip attacker cannot hold
// an update open forever; the caller's context bounds the whole transfer.
type HTTPFetcher struct {
	Client *http.Client
	// StallTimeout is the longest the server may send nothing (default 30 s).
	StallTimeout time.Duration
}

// NewHTTPFetcher returns an HTTPFetcher using client (nil: a client with
// no overall timeout, which the context supplies).
func NewHTTPFetcher(client *http.Client) *HTTPFetcher {
	if client == nil {
		client = &http.Client{}
	}
	return &HTTPFetcher{Client: client, StallTimeout: 30 * time.Second}
}

// Fetch implements Fetcher.
func (f *HTTPFetcher) Fetch(ctx context.Context, rawURL string, maxLength int64) (io.ReadCloser, error) {
	ctx, cancel := context.WithCancelCause(ctx)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		cancel(nil)
		return nil, fmt.Errorf("%w: %w", ErrFetch, err)
	}
	stall := f.StallTimeout
	if stall <= 0 {
		stall = 30 * time.Second
	}
	// The stall timer also covers the wait for response headers.
	timer := time.AfterFunc(stall, func() { cancel(errStalled) })
	res, err := f.Client.Do(req)
	if err != nil {
		timer.Stop()
		cause := context.Cause(ctx)
		cancel(nil)
		if errors.Is(cause, errStalled) {
			return nil, fmt.Errorf("%w: %s: %w", ErrFetch, rawURL, errStalled)
		}
		return nil, fmt.Errorf("%w: %w", ErrFetch, err)
	}
	switch {
	case res.StatusCode == http.StatusNotFound:
		timer.Stop()
		res.Body.Close()
		cancel(nil)
		return nil, fmt.Errorf("%w: %s", ErrNotFound, rawURL)
	case res.StatusCode != http.StatusOK:
		timer.Stop()
		res.Body.Close()
		cancel(nil)
		return nil, fmt.Errorf("%w: %s: HTTP %d", ErrFetch, rawURL, res.StatusCode)
	case maxLength >= 0 && res.ContentLength > maxLength:
		timer.Stop()
		res.Body.Close()
		cancel(nil)
		return nil, fmt.Errorf("%w: %s: server announces %d bytes, at most %d expected", ErrLength, rawURL, res.ContentLength, maxLength)
	}
	return &stallReader{r: res.Body, timer: timer, stall: stall, ctx: ctx, cancel: cancel, url: rawURL}, nil
}

var errStalled = errors.New("server stalled")

// stallReader re-arms the stall timer on every read that makes progress.
type stallReader struct {
	r      io.ReadCloser
	timer  *time.Timer
	stall  time.Duration
	ctx    context.Context
	cancel context.CancelCauseFunc
	url    string
}

func (s *stallReader) Read(p []byte) (int, error) {
	n, err := s.r.Read(p)
	if n > 0 {
		s.timer.Reset(s.stall)
	}
	if err != nil && err != io.EOF {
		if errors.Is(context.Cause(s.ctx), errStalled) {
			return n, fmt.Errorf("%w: %s: %w", ErrFetch, s.url, errStalled)
		}
		return n, fmt.Errorf("%w: %s: %w", ErrFetch, s.url, err)
	}
	return n, err
}

func (s *stallReader) Close() error {
	s.timer.Stop()
	err := s.r.Close()
	s.cancel(nil)
	return err
}

// DirFetcher serves a repository from a local directory (a USB stick, a
// mounted update partition). It maps a URL to a file by its path: with
// Base "file:///media/usb/repo", "file:///media/usb/repo/metadata/root.json"
// is Dir/metadata/root.json. Files are opened through os.Root, so no URL
// can reach outside Dir.
type DirFetcher struct {
	Dir  string
	Base string
}

// Fetch implements Fetcher.
func (f DirFetcher) Fetch(ctx context.Context, rawURL string, maxLength int64) (io.ReadCloser, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrFetch, err)
	}
	rel, ok := strings.CutPrefix(rawURL, strings.TrimSuffix(f.Base, "/")+"/")
	if !ok {
		return nil, fmt.Errorf("%w: %s is not under %s", ErrNotFound, rawURL, f.Base)
	}
	if u, err := url.PathUnescape(rel); err == nil {
		rel = u
	}
	// Cleaning under "/" clamps ".." at the top; os.Root enforces the rest
	// (symlinks out of Dir).
	rel = strings.TrimPrefix(path.Clean("/"+rel), "/")
	if rel == "" {
		rel = "."
	}
	root, err := os.OpenRoot(f.Dir)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrFetch, err)
	}
	defer root.Close()
	file, err := root.Open(rel)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w: %s", ErrNotFound, rawURL)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrFetch, err)
	}
	if st, err := file.Stat(); err == nil && maxLength >= 0 && st.Mode().IsRegular() && st.Size() > maxLength {
		file.Close()
		return nil, fmt.Errorf("%w: %s: %d bytes, at most %d expected", ErrLength, rawURL, st.Size(), maxLength)
	}
	return file, nil
}

// tufFetcher adapts a Fetcher to go-tuf's fetcher.Fetcher for one
// operation. go-tuf's interface has no context, so the adapter carries it.
type tufFetcher struct {
	mu  sync.Mutex
	ctx context.Context
	f   Fetcher
	log *versionLog // nil: nothing recorded
}

func (t *tufFetcher) set(ctx context.Context) {
	t.mu.Lock()
	t.ctx = ctx
	t.mu.Unlock()
}

// DownloadFile implements go-tuf's fetcher.Fetcher: it reads at most
// maxLength bytes, failing with ErrLength on more (endless data).
func (t *tufFetcher) DownloadFile(urlPath string, maxLength int64, _ time.Duration) ([]byte, error) {
	t.mu.Lock()
	ctx := t.ctx
	t.mu.Unlock()
	if ctx == nil {
		ctx = context.Background()
	}
	rc, err := t.f.Fetch(ctx, urlPath, maxLength)
	if errors.Is(err, ErrNotFound) {
		// go-tuf ends its root-rotation walk on a 404 and on nothing else.
		return nil, fmt.Errorf("%w: %w", err, &metadata.ErrDownloadHTTP{StatusCode: http.StatusNotFound, URL: urlPath})
	}
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	data, err := io.ReadAll(io.LimitReader(rc, maxLength+1))
	if err != nil {
		return nil, readErr(err)
	}
	if int64(len(data)) > maxLength {
		return nil, fmt.Errorf("%w: %s is longer than %d bytes", ErrLength, urlPath, maxLength)
	}
	if t.log != nil {
		t.log.record(urlPath, data)
	}
	return data, nil
}

// readErr makes sure a read failure carries ErrFetch.
func readErr(err error) error {
	if errors.Is(err, ErrFetch) || errors.Is(err, ErrLength) {
		return err
	}
	return fmt.Errorf("%w: %w", ErrFetch, err)
}
