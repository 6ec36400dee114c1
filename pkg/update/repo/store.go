package repo

import (
	"crypto/ed25519"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/theupdateframework/go-tuf/v2/metadata"

	"github.com/wardsec/ward/internal/atomicfile"
)

// Save writes the repository to dir: the served tree (metadata/, targets/)
// and the signing keys as PKCS#8 PEM files in keys/<role>-<n>.pem (mode
// 0600). A device maker keeps keys/ offline; only metadata/ and targets/
// go to the update server.
func (r *Repo) Save(dir string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	for name, data := range r.files {
		if err := writeFile(filepath.Join(dir, filepath.FromSlash(name)), data, 0o644); err != nil {
			return err
		}
	}
	for role, keys := range r.keys {
		for i, k := range keys {
			der, err := x509.MarshalPKCS8PrivateKey(k)
			if err != nil {
				return err
			}
			b := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
			if err := writeFile(filepath.Join(dir, "keys", fmt.Sprintf("%s-%d.pem", role, i+1)), b, 0o600); err != nil {
				return err
			}
		}
	}
	return nil
}

func writeFile(name string, data []byte, perm os.FileMode) error {
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		return err
	}
	return atomicfile.WriteBytes(name, data, perm)
}

// Load reads a repository Save wrote. Options set the clock and validity
// used by later publishes.
func Load(dir string, opts ...Option) (*Repo, error) {
	r := &Repo{now: time.Now, threshold: map[string]int{}, validity: maps.Clone(defaultValidity),
		keys: map[string][]ed25519.PrivateKey{}, files: map[string][]byte{}}
	for _, o := range opts {
		if err := o(r); err != nil {
			return nil, err
		}
	}
	for _, sub := range []string{"metadata", "targets"} {
		base := filepath.Join(dir, sub)
		err := filepath.WalkDir(base, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				if errors.Is(err, fs.ErrNotExist) && p == base {
					return nil
				}
				return err
			}
			if d.IsDir() || strings.HasSuffix(p, ".tmp") {
				return nil
			}
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			rel, _ := filepath.Rel(dir, p)
			r.files[filepath.ToSlash(rel)] = b
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("repo: load: %w", err)
		}
	}
	var err error
	if r.root, err = metadata.Root().FromBytes(r.files["metadata/root.json"]); err != nil {
		return nil, fmt.Errorf("repo: load root.json: %w", err)
	}
	if r.timestamp, err = metadata.Timestamp().FromBytes(r.files["metadata/timestamp.json"]); err != nil {
		return nil, fmt.Errorf("repo: load timestamp.json: %w", err)
	}
	sv := r.timestamp.Signed.Meta["snapshot.json"].Version
	if r.snapshot, err = metadata.Snapshot().FromBytes(r.files["metadata/"+strconv.FormatInt(sv, 10)+".snapshot.json"]); err != nil {
		return nil, fmt.Errorf("repo: load snapshot: %w", err)
	}
	tv := r.snapshot.Signed.Meta["targets.json"].Version
	if r.targets, err = metadata.Targets().FromBytes(r.files["metadata/"+strconv.FormatInt(tv, 10)+".targets.json"]); err != nil {
		return nil, fmt.Errorf("repo: load targets: %w", err)
	}
	entries, err := os.ReadDir(filepath.Join(dir, "keys"))
	if err != nil {
		return nil, fmt.Errorf("repo: load keys: %w", err)
	}
	for _, e := range entries {
		role, _, ok := strings.Cut(e.Name(), "-")
		if !ok || !slices.Contains(roles, role) || !strings.HasSuffix(e.Name(), ".pem") {
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, "keys", e.Name()))
		if err != nil {
			return nil, err
		}
		blk, _ := pem.Decode(b)
		if blk == nil {
			return nil, fmt.Errorf("repo: %s: not PEM", e.Name())
		}
		k, err := x509.ParsePKCS8PrivateKey(blk.Bytes)
		if err != nil {
			return nil, fmt.Errorf("repo: %s: %w", e.Name(), err)
		}
		ek, ok := k.(ed25519.PrivateKey)
		if !ok {
			return nil, fmt.Errorf("repo: %s: not an Ed25519 key", e.Name())
		}
		r.keys[role] = append(r.keys[role], ek)
	}
	for _, role := range roles {
		if len(r.keys[role]) == 0 {
			return nil, fmt.Errorf("repo: no %s key in %s", role, filepath.Join(dir, "keys"))
		}
	}
	return r, nil
}
