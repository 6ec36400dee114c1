package update_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/wardsec/ward/pkg/update"
	"github.com/wardsec/ward/pkg/update/repo"
)

// TestRootRotation: a device that trusted root v1 follows two rotations
// (root keys, then targets keys) and still updates; the old targets key
// no longer works afterwards.
func TestRootRotation(t *testing.T) {
	e := newEnv(t)
	d := e.device()
	oldTargets := e.repo.Keys(repo.Targets)
	if err := e.repo.RotateRoot(repo.Root); err != nil {
		t.Fatal(err)
	}
	if err := e.repo.RotateRoot(repo.Targets); err != nil {
		t.Fatal(err)
	}
	name := addImage(t, e.repo, 2)
	if _, err := d.Update(t.Context(), update.Request{Target: name}); err != nil {
		t.Fatalf("after rotations: %v", err)
	}
	v, err := e.client().Refresh(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if v.RootVersion() != 3 {
		t.Fatalf("root version %d, want 3", v.RootVersion())
	}
	// The retired targets key signs an image: refused.
	img, ver := d.running(t)
	if err := e.repo.AddImage(repo.Image{Name: fwName(3), Data: []byte("x"), Version: 3, Hardware: []string{hw}, SBOM: sbom(t, 3)}); err != nil {
		t.Fatal(err)
	}
	if err := e.repo.PublishWith(repo.PublishOptions{Signers: map[string][]ed25519Key{repo.Targets: oldTargets}}); err != nil {
		t.Fatal(err)
	}
	_, err = d.Update(t.Context(), update.Request{Target: fwName(3)})
	d.refused(t, err, update.ErrUntrusted, img, ver)
}

func TestSBOMRequired(t *testing.T) {
	e := newEnv(t)
	d := e.device()
	img, ver := d.running(t)
	if err := e.repo.AddImage(repo.Image{Name: fwName(2), Data: image(2, 50), Version: 2, Hardware: []string{hw}}); err != nil {
		t.Fatal(err)
	}
	if err := e.repo.Publish(); err != nil {
		t.Fatal(err)
	}
	_, err := d.Update(t.Context(), update.Request{Target: fwName(2)})
	d.refused(t, err, update.ErrNoSBOM, img, ver)

	// Named but not listed in the signed targets.
	custom, _ := update.Custom{Version: 3, Hardware: []string{hw}, SBOM: "missing.cdx.json"}.Marshal()
	if err := e.repo.AddTarget(fwName(3), image(3, 50), custom); err != nil {
		t.Fatal(err)
	}
	if err := e.repo.Publish(); err != nil {
		t.Fatal(err)
	}
	_, err = d.Update(t.Context(), update.Request{Target: fwName(3)})
	d.refused(t, err, update.ErrNoSBOM, img, ver)

	// Listed and signed, but not CycloneDX.
	if err := e.repo.AddTarget("bad.cdx.json", []byte(`{"spdxVersion":"SPDX-2.3"}`), nil); err != nil {
		t.Fatal(err)
	}
	custom, _ = update.Custom{Version: 4, Hardware: []string{hw}, SBOM: "bad.cdx.json"}.Marshal()
	if err := e.repo.AddTarget(fwName(4), image(4, 50), custom); err != nil {
		t.Fatal(err)
	}
	if err := e.repo.Publish(); err != nil {
		t.Fatal(err)
	}
	_, err = d.Update(t.Context(), update.Request{Target: fwName(4)})
	d.refused(t, err, update.ErrNoSBOM, img, ver)

	// SBOMOptional (an explicit policy choice) installs it.
	d2 := &device{slots: d.slots, audit: d.audit}
	d2.Installer = mustInstaller(t, e, d.slots, update.WithSBOMOptional())
	if _, err := d2.Update(t.Context(), update.Request{Target: fwName(2)}); err != nil {
		t.Fatal(err)
	}
}

func TestClientFetchVerifiesAndReportsSBOM(t *testing.T) {
	e := newEnv(t)
	var buf bytes.Buffer
	ch, err := e.client().Fetch(t.Context(), fwName(1), &buf, update.Policy{Hardware: hw})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(buf.Bytes(), image(1, 4097)) || ch.Target.Custom.Version != 1 {
		t.Fatal("fetched bytes or version differ")
	}
	if ch.BOM == nil || ch.BOM.Metadata.Component.Name != "pump-fw" {
		t.Fatalf("SBOM not decoded: %+v", ch.BOM)
	}
	if _, err := e.client().Fetch(t.Context(), "nope.bin", &buf, update.Policy{}); !errors.Is(err, update.ErrNotFound) {
		t.Fatalf("missing target: %v", err)
	}
}

func TestMalformedMetadataRefused(t *testing.T) {
	for _, tc := range []struct {
		name string
		data []byte
	}{
		{"not json", []byte("{")},
		{"empty", []byte{}},
		{"wrong type", []byte(`{"signed":{"_type":"root"},"signatures":[]}`)},
		{"null", []byte("null")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			d := e.device()
			img, ver := d.running(t)
			e.repo.SetFile("metadata/timestamp.json", tc.data)
			_, err := d.Update(t.Context(), update.Request{Target: fwName(1)})
			if err == nil {
				t.Fatal("accepted malformed metadata")
			}
			if r := update.Reason(err); r != "malformed" && r != "untrusted" {
				t.Fatalf("reason %q for %v", r, err)
			}
			if i2, v2 := d.running(t); v2 != ver || !bytes.Equal(i2, img) {
				t.Fatal("running image changed")
			}
		})
	}
	if _, err := update.NewClient([]byte("{}"), "http://127.0.0.1:1/metadata"); !errors.Is(err, update.ErrMetadata) {
		t.Fatalf("bad trusted root: %v", err)
	}
}

// TestDirFetcher updates from a directory, as from a USB stick, and
// cannot be walked out of it.
func TestDirFetcher(t *testing.T) {
	e := newEnv(t)
	dir := t.TempDir()
	if err := e.repo.Save(dir); err != nil {
		t.Fatal(err)
	}
	os.RemoveAll(filepath.Join(dir, "keys")) // a USB stick carries no keys
	f := update.DirFetcher{Dir: dir, Base: "file:///usb"}
	c, err := update.NewClient(e.root, "file:///usb/metadata", update.WithFetcher(f), update.WithClock(clock),
		update.WithTargetsURL("file:///usb/targets"))
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if _, err := c.Fetch(t.Context(), fwName(1), &buf, update.Policy{Hardware: hw}); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(buf.Bytes(), image(1, 4097)) {
		t.Fatal("wrong bytes")
	}
	outside := filepath.Join(filepath.Dir(dir), "secret")
	os.WriteFile(outside, []byte("secret"), 0o600)
	for _, u := range []string{"file:///usb/../secret", "file:///usb/%2e%2e/secret", "file:///usb/metadata/../../secret"} {
		rc, err := f.Fetch(context.Background(), u, 100)
		if err == nil {
			rc.Close()
			t.Fatalf("%s escaped the directory", u)
		}
	}
	if _, err := f.Fetch(context.Background(), "file:///usb/metadata/nope.json", 10); !errors.Is(err, update.ErrNotFound) {
		t.Fatalf("missing file: %v", err)
	}
}

func TestReason(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want string
	}{
		{update.ErrExpired, "expired"},
		{errors.Join(errors.New("x"), update.ErrRollback), "rollback"},
		{update.ErrUntrusted, "untrusted"},
		{update.ErrHashMismatch, "hash-mismatch"},
		{update.ErrHardware, "hardware"},
		{update.ErrNoSBOM, "no-sbom"},
		{context.Canceled, "interrupted"},
		{errors.New("disk on fire"), "error"},
	} {
		if got := update.Reason(tc.err); got != tc.want {
			t.Errorf("Reason(%v) = %q, want %q", tc.err, got, tc.want)
		}
	}
}
