package update_test

// Attacks from the TUF specification's threat list (section 1.5.2), one
// test each, against a real repository served over HTTP on loopback. Each
// asserts the refusal reason (a sentinel error), that the running image
// is unchanged, and that the refusal was audited.

import (
	"bytes"
	"crypto"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/sigstore/sigstore/pkg/signature"
	"github.com/theupdateframework/go-tuf/v2/metadata"

	"github.com/wardsec/ward/pkg/update"
	"github.com/wardsec/ward/pkg/update/repo"
)

// signAs re-signs a timestamp document (as a JSON map) with keys.
func signAs(t *testing.T, m map[string]any, keys []ed25519.PrivateKey) []byte {
	t.Helper()
	b, _ := json.Marshal(m)
	md, err := metadata.Timestamp().FromBytes(b)
	if err != nil {
		t.Fatal(err)
	}
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
	out, err := md.ToBytes(false)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestAttackArbitraryInstallation: an attacker without the keys serves
// their own repository (own root, own keys) or swaps a file on the
// mirror. Neither installs.
func TestAttackArbitraryInstallation(t *testing.T) {
	e := newEnv(t)
	d := e.device()
	img, ver := d.running(t)

	evil, err := repo.New(repo.WithClock(clock))
	if err != nil {
		t.Fatal(err)
	}
	if err := evil.AddImage(repo.Image{Name: fwName(9), Data: []byte("malware"), Version: 9, Hardware: []string{hw}, SBOM: sbom(t, 9)}); err != nil {
		t.Fatal(err)
	}
	if err := evil.Publish(); err != nil {
		t.Fatal(err)
	}
	e.srv.Config.Handler = evil.Handler() // the device's update server now answers with the attacker's repository
	_, err = d.Update(t.Context(), update.Request{Target: fwName(9)})
	d.refused(t, err, update.ErrUntrusted, img, ver)

	// Unsigned: the attacker strips every signature.
	e.srv.Config.Handler = e.repo.Handler()
	name := fwName(2)
	if err := e.repo.AddImage(repo.Image{Name: name, Data: []byte("malware"), Version: 2, Hardware: []string{hw}, SBOM: sbom(t, 2)}); err != nil {
		t.Fatal(err)
	}
	none := []ed25519.PrivateKey{}
	if err := e.repo.PublishWith(repo.PublishOptions{Signers: map[string][]ed25519.PrivateKey{
		repo.Targets: none, repo.Snapshot: none, repo.Timestamp: none}}); err != nil {
		t.Fatal(err)
	}
	_, err = d.Update(t.Context(), update.Request{Target: name})
	d.refused(t, err, update.ErrUntrusted, img, ver)
}

// endless answers path with body followed by an endless stream.
func endless(next http.Handler, path string, body []byte) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != path {
			next.ServeHTTP(w, r)
			return
		}
		w.Write(body)
		chunk := bytes.Repeat([]byte{'A'}, 32<<10)
		for i := 0; i < 1<<20; i++ { // 32 GiB: "endless" for any test
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
	})
}

// TestAttackEndlessData: a server that never stops sending is cut off at
// the length TUF expects, for metadata and for the image.
func TestAttackEndlessData(t *testing.T) {
	e := newEnv(t)
	d := e.device()
	img, ver := d.running(t)
	name := addImage(t, e.repo, 2)

	e.srv.Config.Handler = endless(e.repo.Handler(), "/metadata/timestamp.json", e.repo.File("metadata/timestamp.json"))
	_, err := d.Update(t.Context(), update.Request{Target: name})
	d.refused(t, err, update.ErrLength, img, ver)

	p, _ := e.repo.TargetPath(name)
	e.srv.Config.Handler = endless(e.repo.Handler(), "/"+p, e.repo.File(p))
	_, err = d.Update(t.Context(), update.Request{Target: name})
	d.refused(t, err, update.ErrLength, img, ver)
}

// TestAttackSlowRetrieval: a server that stalls mid-transfer is cut off by
// the fetcher's stall timeout.
func TestAttackSlowRetrieval(t *testing.T) {
	e := newEnv(t)
	name := addImage(t, e.repo, 2)
	p, _ := e.repo.TargetPath(name)
	release := make(chan struct{})
	defer close(release)
	next := e.repo.Handler()
	e.srv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/"+p {
			next.ServeHTTP(w, r)
			return
		}
		w.Write(e.repo.File(p)[:100])
		w.(http.Flusher).Flush()
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})
	d := e.device() // provisioned through an ordinary fetcher
	f := update.NewHTTPFetcher(e.srv.Client())
	f.StallTimeout = 500 * time.Millisecond
	in, err := update.NewInstaller(e.client(update.WithFetcher(f)), d.slots, e.state, update.WithHardware(hw), update.WithAuditor(d.audit))
	if err != nil {
		t.Fatal(err)
	}
	d.Installer = in
	img, ver := d.running(t)
	start := time.Now()
	_, err = d.Update(t.Context(), update.Request{Target: name})
	d.refused(t, err, update.ErrFetch, img, ver)
	if el := time.Since(start); el > 10*time.Second {
		t.Fatalf("a stalled server held the update for %s", el)
	}
}

// editTargets rewrites the served targets metadata (without re-signing:
// the attacker has no key).
func editTargets(t *testing.T, r *repo.Repo, edit func(map[string]any)) {
	t.Helper()
	p := fmt.Sprintf("metadata/%d.targets.json", r.Versions()[repo.Targets])
	var m map[string]any
	if err := json.Unmarshal(r.File(p), &m); err != nil {
		t.Fatal(err)
	}
	edit(m)
	b, _ := json.Marshal(m)
	r.SetFile(p, b)
}

// TestAttackExtraneousDependencies: the attacker tries to make the device
// fetch and install something besides the image it asked for. Added
// dependencies in unsigned metadata are refused, and Ward installs nothing
// its signed custom metadata does not define.
func TestAttackExtraneousDependencies(t *testing.T) {
	e := newEnv(t)
	d := e.device()
	img, ver := d.running(t)
	name := addImage(t, e.repo, 2)
	if err := e.repo.AddTarget("tools/backdoor.bin", []byte("backdoor"), nil); err != nil {
		t.Fatal(err)
	}
	if err := e.repo.Publish(); err != nil {
		t.Fatal(err)
	}
	editTargets(t, e.repo, func(m map[string]any) {
		tg := m["signed"].(map[string]any)["targets"].(map[string]any)[name].(map[string]any)
		tg["custom"].(map[string]any)["ward"].(map[string]any)["sbom"] = "tools/backdoor.bin"
	})
	_, err := d.Update(t.Context(), update.Request{Target: name})
	d.refused(t, err, update.ErrInconsistent, img, ver)

	// Even signed, a dependency field Ward does not define is refused
	// rather than ignored or followed.
	e2 := newEnv(t)
	d2 := e2.device()
	img2, ver2 := d2.running(t)
	custom := json.RawMessage(`{"ward":{"version":2,"hardware":["` + hw + `"],"sbom":"x.cdx.json","requires":["tools/backdoor.bin"]}}`)
	if err := e2.repo.AddTarget("pump/fw-2.bin", image(2, 100), custom); err != nil {
		t.Fatal(err)
	}
	if err := e2.repo.Publish(); err != nil {
		t.Fatal(err)
	}
	_, err = d2.Update(t.Context(), update.Request{Target: "pump/fw-2.bin"})
	d2.refused(t, err, update.ErrMetadata, img2, ver2)
}

// TestAttackFastForward: without the timestamp key, pushing the version
// forward is a signature failure; with a stolen timestamp key the device
// is frozen at an absurd version until the maker rotates that key, after
// which it recovers (TUF 5.3.11).
func TestAttackFastForward(t *testing.T) {
	e := newEnv(t)
	d := e.device()
	img, ver := d.running(t)
	name := addImage(t, e.repo, 2)

	var ts map[string]any
	json.Unmarshal(e.repo.File("metadata/timestamp.json"), &ts)
	ts["signed"].(map[string]any)["version"] = 1 << 40
	forged, _ := json.Marshal(ts)
	good := e.repo.File("metadata/timestamp.json")
	e.repo.SetFile("metadata/timestamp.json", forged)
	_, err := d.Update(t.Context(), update.Request{Target: name})
	d.refused(t, err, update.ErrUntrusted, img, ver)
	e.repo.SetFile("metadata/timestamp.json", good)

	// A stolen timestamp key signs version 2^40.
	var m map[string]any
	json.Unmarshal(good, &m)
	m["signed"].(map[string]any)["version"] = 1 << 40
	m["signed"].(map[string]any)["meta"].(map[string]any)["snapshot.json"].(map[string]any)["version"] = 1 << 40
	ffwd := signAs(t, m, e.repo.Keys(repo.Timestamp))
	e.repo.SetFile("metadata/timestamp.json", ffwd)
	_, err = d.Update(t.Context(), update.Request{Target: name})
	d.refused(t, err, update.ErrNotFound, img, ver) // no such snapshot: the device is stuck, not compromised
	e.repo.SetFile("metadata/timestamp.json", good)
	_, err = d.Update(t.Context(), update.Request{Target: name})
	d.refused(t, err, update.ErrRollback, img, ver) // the device now trusts version 2^40

	// Recovery: the maker rotates the timestamp key.
	if err := e.repo.RotateRoot(repo.Timestamp); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Update(t.Context(), update.Request{Target: name}); err != nil {
		t.Fatalf("after rotating the timestamp key: %v", err)
	}
}

// TestAttackIndefiniteFreeze: a mirror keeps serving old, validly signed
// metadata. Once it expires on the device's clock, the device refuses it
// and reports it cannot update.
func TestAttackIndefiniteFreeze(t *testing.T) {
	e := newEnv(t)
	d := e.device()
	img, ver := d.running(t)
	name := addImage(t, e.repo, 2)
	later := func() time.Time { return t0.Add(25 * time.Hour) } // timestamp is valid 24 h
	c := e.client(update.WithClock(later))
	in, err := update.NewInstaller(c, d.slots, e.state, update.WithHardware(hw), update.WithAuditor(d.audit))
	if err != nil {
		t.Fatal(err)
	}
	d.Installer = in
	_, err = d.Update(t.Context(), update.Request{Target: name})
	d.refused(t, err, update.ErrExpired, img, ver)
	// Fresh metadata (the real server, not the frozen mirror) works.
	if err := e.repo.PublishWith(repo.PublishOptions{Expires: map[string]time.Time{repo.Timestamp: later().Add(time.Hour)}}); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Update(t.Context(), update.Request{Target: name}); err != nil {
		t.Fatalf("with fresh metadata: %v", err)
	}
}

// TestAttackMaliciousMirrors: a mirror serves a different image, another
// signed image, or a truncated one under a signed name.
func TestAttackMaliciousMirrors(t *testing.T) {
	e := newEnv(t)
	d := e.device()
	img, ver := d.running(t)
	name := addImage(t, e.repo, 2)
	addImage(t, e.repo, 3)
	p2, _ := e.repo.TargetPath(name)
	p3, _ := e.repo.TargetPath(fwName(3))
	orig := e.repo.File(p2)
	for _, tc := range []struct {
		what string
		data []byte
		want error
	}{
		{"tampered (one bit)", func() []byte { b := bytes.Clone(orig); b[len(b)/2] ^= 1; return b }(), update.ErrHashMismatch},
		{"another signed image", e.repo.File(p3)[:len(orig)], update.ErrHashMismatch},
		{"truncated", orig[:len(orig)-1], update.ErrLength},
		{"extended", append(bytes.Clone(orig), 'X'), update.ErrLength},
	} {
		t.Run(tc.what, func(t *testing.T) {
			e.repo.SetFile(p2, tc.data)
			_, err := d.Update(t.Context(), update.Request{Target: name})
			d.refused(t, err, tc.want, img, ver)
		})
	}
	// The SBOM is checked the same way.
	e.repo.SetFile(p2, orig)
	sp, _ := e.repo.TargetPath(repo.SBOMName(name))
	s := e.repo.File(sp)
	e.repo.SetFile(sp, bytes.Replace(s, []byte("3.0.13"), []byte("3.0.99"), 1))
	_, err := d.Update(t.Context(), update.Request{Target: name})
	d.refused(t, err, update.ErrHashMismatch, img, ver)
	if !errors.Is(err, update.ErrNoSBOM) {
		t.Fatalf("a tampered SBOM should also match ErrNoSBOM: %v", err)
	}
}

// TestAttackMixAndMatch: current timestamp and snapshot with targets
// metadata from an earlier release.
func TestAttackMixAndMatch(t *testing.T) {
	e := newEnv(t)
	d := e.device()
	img, ver := d.running(t)
	old := e.repo.File(fmt.Sprintf("metadata/%d.targets.json", e.repo.Versions()[repo.Targets]))
	name := addImage(t, e.repo, 2)
	e.repo.SetFile(fmt.Sprintf("metadata/%d.targets.json", e.repo.Versions()[repo.Targets]), old)
	_, err := d.Update(t.Context(), update.Request{Target: name})
	d.refused(t, err, update.ErrInconsistent, img, ver)
}

// TestAttackRollback: an older validly signed image, and older validly
// signed metadata, are both refused.
func TestAttackRollback(t *testing.T) {
	e := newEnv(t)
	d := e.device()
	addImage(t, e.repo, 2)
	if _, err := d.Update(t.Context(), update.Request{Target: fwName(2)}); err != nil {
		t.Fatal(err)
	}
	img, ver := d.running(t)
	_, err := d.Update(t.Context(), update.Request{Target: fwName(1)})
	d.refused(t, err, update.ErrRollback, img, ver)

	// Metadata: replay the previous timestamp, still unexpired.
	prev := e.repo.File("metadata/timestamp.json")
	addImage(t, e.repo, 3)
	if _, err := d.Update(t.Context(), update.Request{Target: fwName(3)}); err != nil {
		t.Fatal(err)
	}
	img, ver = d.running(t)
	e.repo.SetFile("metadata/timestamp.json", prev)
	_, err = d.Update(t.Context(), update.Request{Target: fwName(2)})
	d.refused(t, err, update.ErrRollback, img, ver)
}

// TestAttackFewerThanThresholdKeys: targets need 2 of 2 signatures; an
// attacker holding one targets key (and the online snapshot and timestamp
// keys) cannot publish.
func TestAttackFewerThanThresholdKeys(t *testing.T) {
	e := newEnv(t, repo.WithThreshold(repo.Targets, 2))
	d := e.device()
	img, ver := d.running(t)
	name := fwName(2)
	if err := e.repo.AddImage(repo.Image{Name: name, Data: []byte("malware"), Version: 2, Hardware: []string{hw}, SBOM: sbom(t, 2)}); err != nil {
		t.Fatal(err)
	}
	one := e.repo.Keys(repo.Targets)[:1]
	if err := e.repo.PublishWith(repo.PublishOptions{Signers: map[string][]ed25519.PrivateKey{repo.Targets: one}}); err != nil {
		t.Fatal(err)
	}
	_, err := d.Update(t.Context(), update.Request{Target: name})
	d.refused(t, err, update.ErrUntrusted, img, ver)
	// The same key twice is still one key.
	twice := []ed25519.PrivateKey{one[0], one[0]}
	if err := e.repo.PublishWith(repo.PublishOptions{Signers: map[string][]ed25519.PrivateKey{repo.Targets: twice}}); err != nil {
		t.Fatal(err)
	}
	_, err = d.Update(t.Context(), update.Request{Target: name})
	if err == nil {
		t.Fatal("accepted one key signing twice")
	}
	// Both keys: accepted.
	if err := e.repo.Publish(); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Update(t.Context(), update.Request{Target: name}); err != nil {
		t.Fatalf("with the threshold met: %v", err)
	}
}

// TestAttackWrongSoftware: a validly signed image for other hardware.
func TestAttackWrongSoftware(t *testing.T) {
	e := newEnv(t)
	d := e.device()
	img, ver := d.running(t)
	name := "monitor/fw-2.bin"
	if err := e.repo.AddImage(repo.Image{Name: name, Data: []byte("patient monitor firmware"), Version: 2,
		Hardware: []string{"SIM-PM-200"}, SBOM: sbom(t, 2)}); err != nil {
		t.Fatal(err)
	}
	if err := e.repo.Publish(); err != nil {
		t.Fatal(err)
	}
	_, err := d.Update(t.Context(), update.Request{Target: name})
	d.refused(t, err, update.ErrHardware, img, ver)
	if !strings.Contains(err.Error(), "SIM-PM-200") {
		t.Fatalf("reason should name the image's hardware: %v", err)
	}
}
