package repo_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/wardsec/ward/pkg/update"
	"github.com/wardsec/ward/pkg/update/repo"
)

func TestSaveLoadRoundTrip(t *testing.T) {
	r, err := repo.New(repo.WithThreshold(repo.Targets, 2))
	if err != nil {
		t.Fatal(err)
	}
	if err := r.AddTarget("a/b.bin", []byte("payload"), nil); err != nil {
		t.Fatal(err)
	}
	if err := r.Publish(); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := r.Save(dir); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(filepath.Join(dir, "keys", "targets-2.pem"))
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("key file: %v %v", st, err)
	}
	r2, err := repo.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := r2.Versions(), r.Versions(); got[repo.Targets] != want[repo.Targets] || got[repo.Timestamp] != want[repo.Timestamp] {
		t.Fatalf("versions %v after load, want %v", got, want)
	}
	if len(r2.Keys(repo.Targets)) != 2 || !r2.Keys(repo.Targets)[1].Equal(r.Keys(repo.Targets)[1]) {
		t.Fatal("targets keys not restored")
	}
	// Publishing after a load continues the version sequence.
	if err := r2.Publish(); err != nil {
		t.Fatal(err)
	}
	if r2.Versions()[repo.Targets] != r.Versions()[repo.Targets]+1 {
		t.Fatalf("targets version %d after publish", r2.Versions()[repo.Targets])
	}
	os.RemoveAll(filepath.Join(dir, "keys"))
	if _, err := repo.Load(dir); err == nil {
		t.Fatal("loaded a repository without keys")
	}
}

func TestBadTargetNames(t *testing.T) {
	r, err := repo.New()
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"", "/abs", "a/../b", "..", "a//b", "a/"} {
		if err := r.AddTarget(n, []byte("x"), nil); err == nil {
			t.Errorf("accepted target name %q", n)
		}
	}
}

func TestHandlerServesBothLayouts(t *testing.T) {
	r, err := repo.New()
	if err != nil {
		t.Fatal(err)
	}
	if err := r.AddTarget("fw.bin", []byte("firmware"), nil); err != nil {
		t.Fatal(err)
	}
	if err := r.Publish(); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(r.Handler())
	defer srv.Close()
	tp, _ := r.TargetPath("fw.bin")
	for _, tc := range []struct {
		path string
		want []byte
	}{
		{"/metadata/timestamp.json", r.File("metadata/timestamp.json")},
		{"/timestamp.json", r.File("metadata/timestamp.json")},
		{"/metadata/1.root.json", r.RootJSON()},
		{"/" + tp, []byte("firmware")},
		{"/metadata/" + tp, []byte("firmware")},
		{"/keys/root-1.pem", nil},
		{"/metadata/../keys/root-1.pem", nil},
	} {
		res, err := http.Get(srv.URL + tc.path)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if tc.want == nil {
			if res.StatusCode != http.StatusNotFound {
				t.Errorf("%s: status %d, want 404", tc.path, res.StatusCode)
			}
			continue
		}
		if res.StatusCode != http.StatusOK || !bytes.Equal(b, tc.want) {
			t.Errorf("%s: status %d, %d bytes", tc.path, res.StatusCode, len(b))
		}
	}
}

// A repository served from its directory serves what is published there
// after the server started (ward update repo serve, then repo add).
func TestDirHandlerServesLaterPublishes(t *testing.T) {
	r, err := repo.New()
	if err != nil {
		t.Fatal(err)
	}
	if err := r.AddTarget("fw-1.bin", []byte("one"), nil); err != nil {
		t.Fatal(err)
	}
	if err := r.Publish(); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := r.Save(dir); err != nil {
		t.Fatal(err)
	}
	h, err := repo.DirHandler(dir)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	get := func(p string) int {
		resp, err := http.Get(srv.URL + p)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	tp1, _ := r.TargetPath("fw-1.bin")
	if c := get("/" + tp1); c != 200 {
		t.Fatalf("fw-1.bin: %d", c)
	}
	if c := get(fmt.Sprintf("/metadata/%d.targets.json", r.Versions()[repo.Targets]+1)); c != 404 {
		t.Fatalf("the next targets version before it is published: %d", c)
	}
	// Another process publishes into the directory.
	r2, err := repo.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := r2.AddTarget("fw-2.bin", []byte("two"), nil); err != nil {
		t.Fatal(err)
	}
	if err := r2.Publish(); err != nil {
		t.Fatal(err)
	}
	if err := r2.Save(dir); err != nil {
		t.Fatal(err)
	}
	tp2, _ := r2.TargetPath("fw-2.bin")
	if c := get("/" + tp2); c != 200 {
		t.Fatalf("fw-2.bin after it was published: %d", c)
	}
	if _, err := repo.DirHandler(filepath.Join(dir, "missing")); err == nil {
		t.Fatal("served a directory with no repository")
	}
}

// TestCloneIsIndependent: a clone trusts the same keys (a device with the
// original's root verifies what the clone publishes), carries staged
// targets, and publishing to either never shows in the other.
func TestCloneIsIndependent(t *testing.T) {
	ctx := context.Background()
	r, err := repo.New()
	if err != nil {
		t.Fatal(err)
	}
	if err := r.AddTarget("fw-1.bin", []byte("one"), nil); err != nil {
		t.Fatal(err)
	}
	if err := r.Publish(); err != nil {
		t.Fatal(err)
	}
	if err := r.AddTarget("staged.bin", []byte("staged"), nil); err != nil {
		t.Fatal(err)
	}
	later := time.Now().Add(48 * time.Hour)
	c, err := r.Clone(repo.WithClock(func() time.Time { return later }))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(c.RootJSON(), r.RootJSON()) || !c.Keys(repo.Targets)[0].Equal(r.Keys(repo.Targets)[0]) {
		t.Fatal("the clone does not hold the original's root and keys")
	}
	before := r.Versions()
	if err := c.AddTarget("fw-2.bin", []byte("two"), nil); err != nil {
		t.Fatal(err)
	}
	if err := c.Publish(); err != nil {
		t.Fatal(err)
	}
	if got := r.Versions(); got[repo.Targets] != before[repo.Targets] || got[repo.Timestamp] != before[repo.Timestamp] {
		t.Fatalf("publishing to the clone moved the original to %v (was %v)", got, before)
	}
	if _, err := r.TargetPath("fw-2.bin"); err == nil {
		t.Fatal("the clone's target appeared in the original")
	}
	if c.Versions()[repo.Targets] != before[repo.Targets]+1 {
		t.Fatalf("clone targets version %d, want %d", c.Versions()[repo.Targets], before[repo.Targets]+1)
	}
	// A device trusting the original's root verifies the clone's release,
	// staged target included; the clone's clock set the expiry.
	cl, err := update.NewClient(r.RootJSON(), "mem://repo/metadata", update.WithTargetsURL("mem://repo/targets"),
		update.WithFetcher(c.Fetcher("mem://repo")), update.WithClock(func() time.Time { return later }))
	if err != nil {
		t.Fatal(err)
	}
	v, err := cl.Refresh(ctx)
	if err != nil {
		t.Fatalf("a device trusting the original refused the clone's metadata at the clone's clock: %v", err)
	}
	for _, name := range []string{"fw-1.bin", "fw-2.bin", "staged.bin"} {
		if _, err := v.Target(ctx, name); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	// The original did not publish after the clone's clock: its timestamp
	// (24 h) has expired at that time, the clone's has not.
	orig, err := update.NewClient(r.RootJSON(), "mem://repo/metadata", update.WithTargetsURL("mem://repo/targets"),
		update.WithFetcher(r.Fetcher("mem://repo")), update.WithClock(func() time.Time { return later }))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := orig.Refresh(ctx); !errors.Is(err, update.ErrExpired) {
		t.Fatalf("the original's metadata at the clone's clock: %v, want expired", err)
	}
	// And the other way: the original publishing leaves the clone alone.
	cv, cts := c.Versions(), c.File("metadata/timestamp.json")
	if err := r.Publish(); err != nil {
		t.Fatal(err)
	}
	if got := c.Versions(); got[repo.Targets] != cv[repo.Targets] || !bytes.Equal(c.File("metadata/timestamp.json"), cts) {
		t.Fatalf("publishing to the original moved the clone to %v (was %v)", got, cv)
	}
}

// TestCloneRotatesAlone: a root rotation in a clone leaves the original's
// root and keys alone (and the other way), and devices trusting the shared
// first root follow each repository's own rotation.
func TestCloneRotatesAlone(t *testing.T) {
	ctx := context.Background()
	r, err := repo.New()
	if err != nil {
		t.Fatal(err)
	}
	c, err := r.Clone()
	if err != nil {
		t.Fatal(err)
	}
	first := r.RootJSON()
	if err := c.RotateRoot(repo.Root); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(r.RootJSON(), first) || r.Versions()[repo.Root] != 1 || c.Versions()[repo.Root] != 2 {
		t.Fatalf("rotating the clone's root changed the original's: versions %v and %v", r.Versions(), c.Versions())
	}
	if c.Keys(repo.Root)[0].Equal(r.Keys(repo.Root)[0]) {
		t.Fatal("the clone's new root key is the original's")
	}
	clone2 := c.RootJSON()
	if err := r.RotateRoot(repo.Targets); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(c.RootJSON(), clone2) {
		t.Fatal("rotating the original changed the clone's root")
	}
	for name, src := range map[string]*repo.Repo{"original": r, "clone": c} {
		cl, err := update.NewClient(first, "mem://repo/metadata", update.WithTargetsURL("mem://repo/targets"), update.WithFetcher(src.Fetcher("mem://repo")))
		if err != nil {
			t.Fatal(err)
		}
		v, err := cl.Refresh(ctx)
		if err != nil {
			t.Fatalf("%s: a device trusting the first root: %v", name, err)
		}
		if v.RootVersion() != 2 {
			t.Fatalf("%s: root version %d after the refresh, want 2", name, v.RootVersion())
		}
	}
}
