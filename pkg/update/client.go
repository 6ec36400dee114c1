package update

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/theupdateframework/go-tuf/v2/metadata"
	"github.com/theupdateframework/go-tuf/v2/metadata/config"
	"github.com/theupdateframework/go-tuf/v2/metadata/updater"
)

// Option configures a Client.
type Option func(*Client) error

// WithTargetsURL sets where target files are fetched from (default
// METADATA_URL/targets, go-tuf's convention).
func WithTargetsURL(u string) Option {
	return func(c *Client) error { c.targetsURL = u; return nil }
}

// WithFetcher sets how files are fetched (default: HTTP with
// NewHTTPFetcher(nil)).
func WithFetcher(f Fetcher) Option {
	return func(c *Client) error {
		if f == nil {
			return errors.New("update: nil fetcher")
		}
		c.fetcher = f
		return nil
	}
}

// WithStateDir keeps trusted metadata in dir/metadata between runs, so root
// rotations are remembered and the repository cannot serve metadata older
// than what the device already trusts. Without it, only the trusted root
// given to NewClient is known at each refresh.
func WithStateDir(dir string) Option {
	return func(c *Client) error { c.stateDir = dir; return nil }
}

// WithClock sets the device clock that metadata expiry is checked against
// (default time.Now). Devices whose clock may be wrong should feed a
// trusted time source here.
func WithClock(now func() time.Time) Option {
	return func(c *Client) error { c.now = now; return nil }
}

// Client verifies update metadata and targets against a trusted root with
// go-tuf's client workflow (root rotation, thresholds, expiry, snapshot and
// timestamp consistency, metadata rollback protection), fetching through a
// context-aware Fetcher. It is safe for concurrent use; refreshes are
// serialized.
type Client struct {
	root        []byte
	metadataURL string
	targetsURL  string
	fetcher     Fetcher
	stateDir    string
	now         func() time.Time

	mu sync.Mutex
}

// NewClient returns a Client that trusts root (a TUF root.json) and reads
// metadata from metadataURL.
func NewClient(root []byte, metadataURL string, opts ...Option) (*Client, error) {
	if len(root) == 0 {
		return nil, fmt.Errorf("%w: empty trusted root", ErrMetadata)
	}
	if _, err := metadata.Root().FromBytes(root); err != nil {
		return nil, fmt.Errorf("%w: trusted root: %w", ErrMetadata, err)
	}
	if metadataURL == "" {
		return nil, errors.New("update: empty metadata URL")
	}
	c := &Client{root: root, metadataURL: metadataURL, now: time.Now}
	for _, o := range opts {
		if err := o(c); err != nil {
			return nil, err
		}
	}
	if c.fetcher == nil {
		c.fetcher = NewHTTPFetcher(nil)
	}
	if c.targetsURL == "" {
		u, err := url.JoinPath(metadataURL, "targets")
		if err != nil {
			return nil, fmt.Errorf("update: metadata URL: %w", err)
		}
		c.targetsURL = u
	}
	return c, nil
}

// Fetcher returns the client's fetcher.
func (c *Client) Fetcher() Fetcher { return c.fetcher }

// Verified is the outcome of one refresh: top-level metadata verified at
// one moment. Targets looked up through it come from that metadata. It is
// not safe for concurrent use (go-tuf's updater is not).
type Verified struct {
	c       *Client
	u       *updater.Updater
	adapter *tufFetcher
	consist bool
}

// Refresh runs the TUF client workflow (root, timestamp, snapshot,
// targets). Errors match the package's sentinels (ErrUntrusted,
// ErrExpired, ErrRollback, ErrInconsistent, ErrLength, ErrFetch, ...).
func (c *Client) Refresh(ctx context.Context) (*Verified, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	root, err := c.trustedRoot()
	if err != nil {
		return nil, err
	}
	cfg, err := config.New(c.metadataURL, root)
	if err != nil {
		return nil, fmt.Errorf("update: config: %w", err)
	}
	cfg.RemoteTargetsURL = c.targetsURL
	if c.stateDir == "" {
		cfg.DisableLocalCache = true
	} else {
		cfg.LocalMetadataDir = filepath.Join(c.stateDir, "metadata")
		// Targets are streamed by Ward, never cached by go-tuf; the
		// directory must exist for go-tuf's checks only.
		cfg.LocalTargetsDir = filepath.Join(c.stateDir, "metadata")
	}
	// Before go-tuf replaces any of it: the versions trusted now.
	ad := &tufFetcher{f: c.fetcher, log: newVersionLog(c.metadataURL, cfg.LocalMetadataDir)}
	ad.set(ctx)
	cfg.Fetcher = ad
	u, err := updater.New(cfg)
	if err != nil {
		return nil, tufError(err, ad.log)
	}
	// The device's clock, not the host's: go-tuf names this "unsafe" only
	// because a wrong clock weakens freeze protection.
	u.UnsafeSetRefTime(c.now().UTC())
	if err := u.Refresh(); err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("%w: %w", ErrFetch, context.Cause(ctx))
		}
		return nil, tufError(err, ad.log)
	}
	ad.log.reset()
	ts := u.GetTrustedMetadataSet()
	return &Verified{c: c, u: u, adapter: ad, consist: ts.Root.Signed.ConsistentSnapshot}, nil
}

// trustedRoot is the newest root the device trusts: the one go-tuf
// persisted after the last rotation, if newer than the configured one.
func (c *Client) trustedRoot() ([]byte, error) {
	if c.stateDir == "" {
		return c.root, nil
	}
	b, err := os.ReadFile(filepath.Join(c.stateDir, "metadata", "root.json"))
	if errors.Is(err, fs.ErrNotExist) {
		return c.root, nil
	}
	if err != nil {
		return nil, fmt.Errorf("update: state: %w", err)
	}
	cached, err := metadata.Root().FromBytes(b)
	if err != nil {
		return nil, fmt.Errorf("%w: cached root.json: %w", ErrState, err)
	}
	given, _ := metadata.Root().FromBytes(c.root)
	if cached.Signed.Version >= given.Signed.Version {
		return b, nil
	}
	return c.root, nil
}

// RootVersion is the version of the root the refresh ended with.
func (v *Verified) RootVersion() int64 {
	ts := v.u.GetTrustedMetadataSet()
	return ts.Root.Signed.Version
}

// Target looks name up in the verified targets metadata (following
// delegations). Ward's custom fields, when present, are parsed strictly.
func (v *Verified) Target(ctx context.Context, name string) (Target, error) {
	v.adapter.set(ctx)
	tf, err := v.u.GetTargetInfo(name)
	if err != nil {
		return Target{}, tufError(err, v.adapter.log)
	}
	t := Target{Name: name, Length: tf.Length, Hashes: map[string][]byte{}}
	for a, h := range tf.Hashes {
		t.Hashes[a] = h
	}
	if tf.Custom != nil {
		var probe map[string]any
		if err := json.Unmarshal(*tf.Custom, &probe); err == nil {
			if _, ok := probe["ward"]; ok {
				cu, err := ParseCustom(*tf.Custom)
				if err != nil {
					return Target{}, fmt.Errorf("target %s: %w", name, err)
				}
				t.Custom = &cu
			}
		}
	}
	return t, nil
}

// Open fetches target t's file. The stream is not verified: copy it through
// VerifyStream (Download does both).
func (v *Verified) Open(ctx context.Context, t Target) (io.ReadCloser, error) {
	u, err := v.targetURL(t)
	if err != nil {
		return nil, err
	}
	return v.c.fetcher.Fetch(ctx, u, t.Length)
}

// Download streams target t into w and verifies its length and hashes
// (VerifyStream). w receives unverified bytes until it returns nil.
func (v *Verified) Download(ctx context.Context, t Target, w io.Writer) error {
	rc, err := v.Open(ctx, t)
	if err != nil {
		return err
	}
	defer rc.Close()
	return VerifyStream(rc, w, t)
}

// targetURL is where t lives: with consistent snapshots, its directory and
// "<sha256>.<base name>" (TUF spec 5.7.3), else its path.
func (v *Verified) targetURL(t Target) (string, error) {
	p := t.Name
	if v.consist {
		d := t.Hashes["sha256"]
		if d == nil {
			for _, h := range t.Hashes {
				d = h
				break
			}
		}
		dir, base := path.Split(p)
		p = dir + hex.EncodeToString(d) + "." + base
	}
	esc := make([]string, 0, 4)
	for _, s := range strings.Split(p, "/") {
		esc = append(esc, url.PathEscape(s))
	}
	return strings.TrimSuffix(v.c.targetsURL, "/") + "/" + strings.Join(esc, "/"), nil
}
