package repo

import (
	"crypto"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"path"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/sigstore/sigstore/pkg/signature"
	"github.com/theupdateframework/go-tuf/v2/metadata"

	"github.com/wardsec/ward/pkg/update"
)

// Top-level role names.
const (
	Root      = metadata.ROOT
	Targets   = metadata.TARGETS
	Snapshot  = metadata.SNAPSHOT
	Timestamp = metadata.TIMESTAMP
)

var roles = []string{Root, Targets, Snapshot, Timestamp}

// Default validity of each role's metadata, counted from the repository
// clock at each publish. Timestamp is short: it is what stops a freeze.
var defaultValidity = map[string]time.Duration{
	Root:      365 * 24 * time.Hour,
	Targets:   90 * 24 * time.Hour,
	Snapshot:  7 * 24 * time.Hour,
	Timestamp: 24 * time.Hour,
}

// Option configures a new Repo.
type Option func(*Repo) error

// WithClock sets the clock expiry dates are computed from (default
// time.Now). Simulators pass the device's clock.
func WithClock(now func() time.Time) Option {
	return func(r *Repo) error { r.now = now; return nil }
}

// WithThreshold makes role need n signatures, generating n keys for it.
func WithThreshold(role string, n int) Option {
	return func(r *Repo) error {
		if !slices.Contains(roles, role) || n < 1 || n > 16 {
			return fmt.Errorf("repo: threshold %d for role %q", n, role)
		}
		r.threshold[role] = n
		return nil
	}
}

// WithValidity sets how long role's metadata stays valid after a publish.
func WithValidity(role string, d time.Duration) Option {
	return func(r *Repo) error {
		if !slices.Contains(roles, role) {
			return fmt.Errorf("repo: no role %q", role)
		}
		r.validity[role] = d
		return nil
	}
}

// Repo is a TUF repository held in memory: keys, metadata and target
// files, published with consistent snapshots. Save and Load keep it on
// disk; Handler serves it over HTTP; Fetcher serves it in process. It is
// safe for concurrent use.
type Repo struct {
	mu        sync.Mutex
	now       func() time.Time
	threshold map[string]int
	validity  map[string]time.Duration
	keys      map[string][]ed25519.PrivateKey

	root *metadata.Metadata[metadata.RootType]
	// rootShared: root is shared with a Clone (or its original) and must
	// be copied before it changes.
	rootShared bool
	targets    *metadata.Metadata[metadata.TargetsType]
	snapshot   *metadata.Metadata[metadata.SnapshotType]
	timestamp  *metadata.Metadata[metadata.TimestampType]

	// files is what the repository serves, by path: "metadata/..." and
	// "targets/...".
	files map[string][]byte
}

// New creates a repository with fresh Ed25519 keys for every role, signs
// version 1 of the root, and publishes empty targets.
func New(opts ...Option) (*Repo, error) {
	r := &Repo{now: time.Now, threshold: map[string]int{}, validity: maps.Clone(defaultValidity),
		keys: map[string][]ed25519.PrivateKey{}, files: map[string][]byte{}}
	for _, o := range opts {
		if err := o(r); err != nil {
			return nil, err
		}
	}
	r.root = metadata.Root(r.expiry(Root))
	for _, role := range roles {
		n := max(r.threshold[role], 1)
		for range n {
			if err := r.addKeyLocked(role); err != nil {
				return nil, err
			}
		}
		r.root.Signed.Roles[role].Threshold = n
	}
	r.targets = metadata.Targets(r.expiry(Targets))
	r.snapshot = metadata.Snapshot(r.expiry(Snapshot))
	r.timestamp = metadata.Timestamp(r.expiry(Timestamp))
	if err := r.signRootLocked(nil); err != nil {
		return nil, err
	}
	r.targets.Signed.Version = 0 // Publish makes it 1
	r.snapshot.Signed.Version = 0
	r.timestamp.Signed.Version = 0
	if err := r.publishLocked(PublishOptions{}); err != nil {
		return nil, err
	}
	return r, nil
}

func (r *Repo) expiry(role string) time.Time {
	return r.now().UTC().Add(r.validity[role]).Truncate(time.Second)
}

func (r *Repo) addKeyLocked(role string) error {
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return fmt.Errorf("repo: key: %w", err)
	}
	k, err := metadata.KeyFromPublicKey(priv.Public())
	if err != nil {
		return err
	}
	if err := r.root.Signed.AddKey(k, role); err != nil {
		return err
	}
	r.keys[role] = append(r.keys[role], priv)
	return nil
}

// RootJSON returns the current root metadata: what a device trusts.
func (r *Repo) RootJSON() []byte {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.files[fmt.Sprintf("metadata/%d.root.json", r.root.Signed.Version)])
}

// Keys returns a copy of role's private keys (tests play compromised keys).
func (r *Repo) Keys(role string) []ed25519.PrivateKey {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.keys[role])
}

// Image describes a firmware image to add.
type Image struct {
	Name     string // target path, e.g. "pump/fw-1.5.0.bin"
	Data     []byte
	Version  uint64
	Hardware []string
	// SBOM is the CycloneDX JSON; it is added as target Name+".cdx.json"
	// and named in the image's custom metadata. Nil adds no SBOM.
	SBOM []byte
}

// SBOMName is the target name AddImage gives an image's SBOM.
func SBOMName(image string) string { return image + ".cdx.json" }

// AddImage stages an image (and its SBOM) with Ward's custom metadata.
// Publish makes it visible.
func (r *Repo) AddImage(im Image) error {
	c := update.Custom{Version: im.Version, Hardware: im.Hardware}
	if im.SBOM != nil {
		c.SBOM = SBOMName(im.Name)
		if _, err := update.ParseSBOM(im.SBOM); err != nil {
			return err
		}
		if err := r.AddTarget(c.SBOM, im.SBOM, nil); err != nil {
			return err
		}
	}
	custom, err := c.Marshal()
	if err != nil {
		return err
	}
	return r.AddTarget(im.Name, im.Data, custom)
}

// AddTarget stages a file with optional custom metadata.
func (r *Repo) AddTarget(name string, data []byte, custom json.RawMessage) error {
	if name == "" || strings.HasPrefix(name, "/") || path.Clean(name) != name || strings.Contains(name, "..") {
		return fmt.Errorf("repo: bad target name %q", name)
	}
	tf, err := metadata.TargetFile().FromBytes(name, data, "sha256")
	if err != nil {
		return err
	}
	if custom != nil {
		c := slices.Clone(custom)
		raw := json.RawMessage(c)
		tf.Custom = &raw
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.targets.Signed.Targets[name] = tf
	dir, base := path.Split(name)
	r.files["targets/"+dir+hex.EncodeToString(tf.Hashes["sha256"])+"."+base] = slices.Clone(data)
	return nil
}

// RemoveTarget stages the removal of a target from the metadata.
func (r *Repo) RemoveTarget(name string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.targets.Signed.Targets, name)
}

// PublishOptions bend publishing for tests that play an attacker.
type PublishOptions struct {
	// Signers overrides, per role, the keys that sign it (an empty,
	// non-nil slice: unsigned). Missing roles use their own keys.
	Signers map[string][]ed25519.PrivateKey
	// Expires overrides, per role, the expiry date.
	Expires map[string]time.Time
}

// Publish bumps and re-signs targets, snapshot and timestamp with fresh
// expiry dates and makes the staged targets visible.
func (r *Repo) Publish() error { return r.PublishWith(PublishOptions{}) }

// PublishWith is Publish with overrides.
func (r *Repo) PublishWith(o PublishOptions) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.publishLocked(o)
}

// Refresh re-signs only the timestamp with a new expiry: what a timestamp
// service does every few hours.
func (r *Repo) Refresh() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.signTimestampLocked(PublishOptions{})
}

func (r *Repo) signersFor(role string, o PublishOptions) []ed25519.PrivateKey {
	if s, ok := o.Signers[role]; ok {
		return s
	}
	return r.keys[role]
}

func (r *Repo) expiresFor(role string, o PublishOptions) time.Time {
	if t, ok := o.Expires[role]; ok {
		return t.UTC()
	}
	return r.expiry(role)
}

func (r *Repo) publishLocked(o PublishOptions) error {
	r.targets.Signed.Version++
	r.targets.Signed.Expires = r.expiresFor(Targets, o)
	tb, err := signed(r.targets, r.signersFor(Targets, o))
	if err != nil {
		return err
	}
	r.files[fmt.Sprintf("metadata/%d.targets.json", r.targets.Signed.Version)] = tb
	mf := metadata.MetaFile(r.targets.Signed.Version)
	mf.Length = int64(len(tb))
	mf.Hashes = metadata.Hashes{"sha256": sum256(tb)}
	r.snapshot.Signed.Meta["targets.json"] = mf
	r.snapshot.Signed.Version++
	r.snapshot.Signed.Expires = r.expiresFor(Snapshot, o)
	sb, err := signed(r.snapshot, r.signersFor(Snapshot, o))
	if err != nil {
		return err
	}
	r.files[fmt.Sprintf("metadata/%d.snapshot.json", r.snapshot.Signed.Version)] = sb
	return r.signTimestampLocked(o)
}

func (r *Repo) signTimestampLocked(o PublishOptions) error {
	sb := r.files[fmt.Sprintf("metadata/%d.snapshot.json", r.snapshot.Signed.Version)]
	mf := metadata.MetaFile(r.snapshot.Signed.Version)
	mf.Length = int64(len(sb))
	mf.Hashes = metadata.Hashes{"sha256": sum256(sb)}
	r.timestamp.Signed.Meta["snapshot.json"] = mf
	r.timestamp.Signed.Version++
	r.timestamp.Signed.Expires = r.expiresFor(Timestamp, o)
	b, err := signed(r.timestamp, r.signersFor(Timestamp, o))
	if err != nil {
		return err
	}
	r.files["metadata/timestamp.json"] = b
	return nil
}

// RotateRoot replaces role's keys with fresh ones (root's own keys too
// when role is Root) in a new root version signed by both the old and the
// new root keys, as TUF requires, then re-publishes everything with the
// new keys.
func (r *Repo) RotateRoot(role string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !slices.Contains(roles, role) {
		return fmt.Errorf("repo: no role %q", role)
	}
	if err := r.ownRootLocked(); err != nil {
		return err
	}
	old := slices.Clone(r.keys[Root])
	for _, k := range r.keys[role] {
		id, err := keyID(k)
		if err != nil {
			return err
		}
		if err := r.root.Signed.RevokeKey(id, role); err != nil {
			return err
		}
	}
	n := len(r.keys[role])
	r.keys[role] = nil
	for range n {
		if err := r.addKeyLocked(role); err != nil {
			return err
		}
	}
	r.root.Signed.Version++
	r.root.Signed.Expires = r.expiry(Root)
	if err := r.signRootLocked(old); err != nil {
		return err
	}
	return r.publishLocked(PublishOptions{})
}

// signRootLocked signs the root with the current root keys plus extra
// (the previous root's keys during a rotation) and stores it.
func (r *Repo) signRootLocked(extra []ed25519.PrivateKey) error {
	keys := slices.Clone(r.keys[Root])
	for _, k := range extra {
		if !slices.ContainsFunc(keys, func(x ed25519.PrivateKey) bool { return x.Equal(k) }) {
			keys = append(keys, k)
		}
	}
	b, err := signed(r.root, keys)
	if err != nil {
		return err
	}
	r.files[fmt.Sprintf("metadata/%d.root.json", r.root.Signed.Version)] = b
	r.files["metadata/root.json"] = b
	return nil
}

func keyID(k ed25519.PrivateKey) (string, error) {
	key, err := metadata.KeyFromPublicKey(k.Public())
	if err != nil {
		return "", err
	}
	return key.ID()
}

// signed clears meta's signatures, signs it with keys, and encodes it.
func signed[T metadata.Roles](meta *metadata.Metadata[T], keys []ed25519.PrivateKey) ([]byte, error) {
	meta.ClearSignatures()
	for _, k := range keys {
		s, err := signature.LoadSigner(k, crypto.Hash(0))
		if err != nil {
			return nil, fmt.Errorf("repo: signer: %w", err)
		}
		if _, err := meta.Sign(s); err != nil {
			return nil, fmt.Errorf("repo: sign: %w", err)
		}
	}
	return meta.ToBytes(true)
}

// File returns a served file ("metadata/timestamp.json", "targets/..."),
// nil if absent.
func (r *Repo) File(name string) []byte {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.files[name])
}

// SetFile replaces or (with nil) removes a served file, bypassing
// signing: tests play a compromised mirror with it.
func (r *Repo) SetFile(name string, data []byte) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if data == nil {
		delete(r.files, name)
		return
	}
	r.files[name] = slices.Clone(data)
}

// TargetPath returns the served path of target name ("targets/<sha256>.<base>").
func (r *Repo) TargetPath(name string) (string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	tf, ok := r.targets.Signed.Targets[name]
	if !ok {
		return "", fmt.Errorf("repo: no target %q", name)
	}
	dir, base := path.Split(name)
	return "targets/" + dir + hex.EncodeToString(tf.Hashes["sha256"]) + "." + base, nil
}

// Versions reports the current version of each top-level role.
func (r *Repo) Versions() map[string]int64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return map[string]int64{Root: r.root.Signed.Version, Targets: r.targets.Signed.Version,
		Snapshot: r.snapshot.Signed.Version, Timestamp: r.timestamp.Signed.Version}
}

// Clone returns an independent copy of the repository: the same keys, the
// same metadata (staged, unpublished targets included) and the same served
// files. Publishing to one never changes the other. It is for test set-ups
// that need many repositories of one maker (a simulated fleet, whose units
// all trust the same keys) without generating and signing each from
// scratch; a repository that needs keys of its own comes from New. opts
// (WithClock, WithValidity) apply to the copy's later publishes; by
// default it keeps the original's.
func (r *Repo) Clone(opts ...Option) (*Repo, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	c := &Repo{now: r.now, threshold: maps.Clone(r.threshold), validity: maps.Clone(r.validity),
		keys: map[string][]ed25519.PrivateKey{},
		// Served bytes are never changed in place (every write stores a
		// new slice), so the copies may share them.
		files: maps.Clone(r.files)}
	for _, o := range opts {
		if err := o(c); err != nil {
			return nil, err
		}
	}
	for role, ks := range r.keys {
		for _, k := range ks {
			c.keys[role] = append(c.keys[role], slices.Clone(k))
		}
	}
	// Publishing changes the targets, snapshot and timestamp metadata only
	// by setting fields of its own copy and replacing map entries, never
	// by changing a TargetFiles or MetaFiles in place: copies of the
	// structs and their maps are independent. The root changes only in
	// RotateRoot, which first takes a deep copy of a shared one.
	c.root, c.rootShared, r.rootShared = r.root, true, true
	t := *r.targets
	t.Signed.Targets = maps.Clone(t.Signed.Targets)
	t.Signatures = slices.Clone(t.Signatures)
	c.targets = &t
	sn := *r.snapshot
	sn.Signed.Meta = maps.Clone(sn.Signed.Meta)
	sn.Signatures = slices.Clone(sn.Signatures)
	c.snapshot = &sn
	ts := *r.timestamp
	ts.Signed.Meta = maps.Clone(ts.Signed.Meta)
	ts.Signatures = slices.Clone(ts.Signatures)
	c.timestamp = &ts
	return c, nil
}

// ownRootLocked gives the repository a root of its own before it changes
// it, when a Clone shares it.
func (r *Repo) ownRootLocked() error {
	if !r.rootShared {
		return nil
	}
	b, err := r.root.ToBytes(false)
	if err != nil {
		return fmt.Errorf("repo: root: %w", err)
	}
	root, err := metadata.Root().FromBytes(b)
	if err != nil {
		return fmt.Errorf("repo: root: %w", err)
	}
	r.root, r.rootShared = root, false
	return nil
}
