package update_test

// Metadata rollback, one form per TUF role, against a real repository over
// HTTP: the attacker holds the online keys (timestamp, snapshot) or only
// replays old files signed by the maker. Each form must be refused with
// ErrRollback and audited with reason "rollback" (docs/update.md), while
// files that merely disagree with their parent stay "inconsistent".

import (
	"crypto"
	"crypto/ed25519"
	"crypto/sha256"
	"fmt"
	"testing"
	"time"

	"github.com/sigstore/sigstore/pkg/signature"
	"github.com/theupdateframework/go-tuf/v2/metadata"

	"github.com/wardsec/ward/pkg/update"
	"github.com/wardsec/ward/pkg/update/repo"
)

// sign clears md's signatures, signs it with keys and encodes it.
func sign[T metadata.Roles](t *testing.T, md *metadata.Metadata[T], keys []ed25519.PrivateKey) []byte {
	t.Helper()
	md.ClearSignatures()
	for _, k := range keys {
		s, err := signature.LoadSigner(k, crypto.Hash(0))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := md.Sign(s); err != nil {
			t.Fatal(err)
		}
	}
	b, err := md.ToBytes(true)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// metaFile describes b as version v in a parent's meta, with length and
// SHA-256 (or bare, as a repository without hashes would list it).
func metaFile(v int64, b []byte, withHashes bool) *metadata.MetaFiles {
	mf := metadata.MetaFile(v)
	if withHashes {
		s := sha256.Sum256(b)
		mf.Length = int64(len(b))
		mf.Hashes = metadata.Hashes{"sha256": s[:]}
	}
	return mf
}

// forgeTimestamp signs, with the (online, stolen) timestamp key, a
// timestamp newer than the repository's that points at snapshot version
// v described by snap.
func forgeTimestamp(t *testing.T, r *repo.Repo, v int64, snap []byte, withHashes bool) {
	t.Helper()
	ts, err := metadata.Timestamp().FromBytes(r.File("metadata/timestamp.json"))
	if err != nil {
		t.Fatal(err)
	}
	ts.Signed.Version++
	ts.Signed.Expires = t0.Add(24 * time.Hour)
	ts.Signed.Meta["snapshot.json"] = metaFile(v, snap, withHashes)
	r.SetFile("metadata/timestamp.json", sign(t, ts, r.Keys(repo.Timestamp)))
}

// TestAttackRollbackEachRole: every role's rollback is refused as a
// rollback; version disagreements that roll nothing back are not.
func TestAttackRollbackEachRole(t *testing.T) {
	for _, tc := range []struct {
		name string
		// attack gets the repository and the timestamp the device
		// trusted before its last update.
		attack func(t *testing.T, e *env, prevTimestamp []byte)
		want   error
	}{
		{"timestamp: an older timestamp replayed", func(t *testing.T, e *env, prev []byte) {
			addImage(t, e.repo, 3)
			e.repo.SetFile("metadata/timestamp.json", prev)
		}, update.ErrRollback},
		{"snapshot: a fresh timestamp names an older snapshot", func(t *testing.T, e *env, prev []byte) {
			v := e.repo.Versions()[repo.Snapshot]
			old := e.repo.File(fmt.Sprintf("metadata/%d.snapshot.json", v-1))
			forgeTimestamp(t, e.repo, v-1, old, true)
		}, update.ErrRollback},
		{"targets: a fresh snapshot and timestamp name older targets", func(t *testing.T, e *env, prev []byte) {
			vs := e.repo.Versions()
			oldTargets := e.repo.File(fmt.Sprintf("metadata/%d.targets.json", vs[repo.Targets]-1))
			snap, err := metadata.Snapshot().FromBytes(e.repo.File(fmt.Sprintf("metadata/%d.snapshot.json", vs[repo.Snapshot])))
			if err != nil {
				t.Fatal(err)
			}
			snap.Signed.Version++
			snap.Signed.Meta["targets.json"] = metaFile(vs[repo.Targets]-1, oldTargets, true)
			sb := sign(t, snap, e.repo.Keys(repo.Snapshot))
			e.repo.SetFile(fmt.Sprintf("metadata/%d.snapshot.json", snap.Signed.Version), sb)
			forgeTimestamp(t, e.repo, snap.Signed.Version, sb, true)
		}, update.ErrRollback},
		{"root: an older root served as the next one", func(t *testing.T, e *env, prev []byte) {
			// The device trusts root 2 (timestamp key rotated, same
			// root keys); root 1, still signed by those keys, comes
			// back as 3.root.json.
			rotate(t, e)
			e.repo.SetFile("metadata/3.root.json", e.repo.File("metadata/1.root.json"))
		}, update.ErrRollback},
		{"root: a version skipped (not a rollback)", func(t *testing.T, e *env, prev []byte) {
			rotate(t, e)
			r, err := metadata.Root().FromBytes(e.repo.File("metadata/2.root.json"))
			if err != nil {
				t.Fatal(err)
			}
			r.Signed.Version = 4
			e.repo.SetFile("metadata/3.root.json", sign(t, r, e.repo.Keys(repo.Root)))
		}, update.ErrInconsistent},
		{"snapshot: disagrees with the timestamp (not a rollback)", func(t *testing.T, e *env, prev []byte) {
			v := e.repo.Versions()[repo.Snapshot]
			cur := e.repo.File(fmt.Sprintf("metadata/%d.snapshot.json", v))
			e.repo.SetFile(fmt.Sprintf("metadata/%d.snapshot.json", v+5), cur)
			forgeTimestamp(t, e.repo, v+5, cur, false)
		}, update.ErrInconsistent},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			d := e.device()
			prev := e.repo.File("metadata/timestamp.json")
			// The device trusts targets, snapshot and timestamp newer
			// than version 1 of each, so each has an older version to
			// roll back to.
			if _, err := d.Update(t.Context(), update.Request{Target: addImage(t, e.repo, 2)}); err != nil {
				t.Fatal(err)
			}
			img, ver := d.running(t)
			tc.attack(t, e, prev)
			_, err := d.Update(t.Context(), update.Request{Target: fwName(3)})
			d.refused(t, err, tc.want, img, ver)
			if got := update.Reason(err); got != update.Reason(tc.want) {
				t.Fatalf("Reason = %q, want %q", got, update.Reason(tc.want))
			}
		})
	}
}

// rotate rotates the timestamp key (root 1 -> 2, root keys unchanged),
// publishes image 3 and lets the device learn root 2.
func rotate(t *testing.T, e *env) {
	t.Helper()
	if err := e.repo.RotateRoot(repo.Timestamp); err != nil {
		t.Fatal(err)
	}
	c := e.client()
	v, err := c.Refresh(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if v.RootVersion() != 2 {
		t.Fatalf("device root version %d, want 2", v.RootVersion())
	}
	addImage(t, e.repo, 3)
}
