package evidence

import (
	"bytes"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"
)

// fuzzBundle is the vector bundle in memory, without manifest.json and
// manifest.sig, which the fuzzer supplies.
func fuzzBundle(tb testing.TB) (fstest.MapFS, []byte, []byte) {
	tb.Helper()
	dir := filepath.Join(vectorsDir, "bundle")
	m := fstest.MapFS{}
	var manifest, sig []byte
	for _, f := range bundleFilesOnDisk(tb, dir) {
		data, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(f)))
		if err != nil {
			tb.Fatal(err)
		}
		switch f {
		case ManifestFile:
			manifest = data
		case SignatureFile:
			sig = data
		default:
			m[f] = &fstest.MapFile{Data: data, Mode: 0o644}
		}
	}
	return m, manifest, sig
}

// fuzzSeeds are the committed seeds of FuzzVerifyManifest
// (testdata/fuzz/FuzzVerifyManifest, rewritten by TestFuzzSeeds -update).
func fuzzSeeds(tb testing.TB) map[string][2][]byte {
	_, manifest, sig := fuzzBundle(tb)
	signed := func(m string) [2][]byte {
		return [2][]byte{[]byte(m), encodeSignature(ed25519.Sign(vectorKey(), signedMessage([]byte(m))))}
	}
	validPrefix := strings.SplitN(string(manifest), `"files": [`, 2)[0]
	fp := Fingerprint(trustedKey())
	return map[string][2][]byte{
		"valid":             {manifest, sig},
		"edited":            {[]byte(strings.Replace(string(manifest), "vector-run-1", "vector-run-X", 1)), sig},
		"empty":             {nil, nil},
		"empty-object":      signed("{}"),
		"null":              signed("null"),
		"files-null":        signed(`{"format":"ward-evidence/1","files":null}`),
		"dotdot-signed":     signed(validPrefix + `"files":[{"path":"../../etc/passwd","sha256":"` + strings.Repeat("0", 64) + `","size":1}],"key_fingerprint":"` + fp + `"}`),
		"absolute-signed":   signed(`{"format":"ward-evidence/1","files":[{"path":"/etc/passwd","sha256":"` + strings.Repeat("0", 64) + `","size":1}]}`),
		"dir-as-file":       signed(`{"format":"ward-evidence/1","files":[{"path":"artifacts","sha256":"` + strings.Repeat("0", 64) + `","size":0}],"key_fingerprint":"` + fp + `"}`),
		"huge-size":         signed(`{"format":"ward-evidence/1","files":[{"path":"junit.xml","sha256":"` + strings.Repeat("0", 64) + `","size":9223372036854775807}]}`),
		"unknown-field":     signed(`{"format":"ward-evidence/1","files":[],"x":1}`),
		"truncated":         {manifest[:len(manifest)/2], sig},
		"sig-not-base64":    {manifest, []byte("!!!\n")},
		"sig-short":         {manifest, []byte("AAAA\n")},
		"duplicate-path":    signed(`{"format":"ward-evidence/1","files":[{"path":"a","sha256":"` + strings.Repeat("0", 64) + `","size":0},{"path":"A","sha256":"` + strings.Repeat("0", 64) + `","size":0}]}`),
		"control-char-path": signed(`{"format":"ward-evidence/1","files":[{"path":"a\nb","sha256":"` + strings.Repeat("0", 64) + `","size":0}]}`),
	}
}

func TestFuzzSeeds(t *testing.T) {
	dir := filepath.Join("testdata", "fuzz", "FuzzVerifyManifest")
	for name, s := range fuzzSeeds(t) {
		want := "go test fuzz v1\n[]byte(" + strconv.Quote(string(s[0])) + ")\n[]byte(" + strconv.Quote(string(s[1])) + ")\n"
		p := filepath.Join(dir, name)
		if *update {
			os.MkdirAll(dir, 0o755)
			if err := os.WriteFile(p, []byte(want), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		got, err := os.ReadFile(p)
		if err != nil || string(got) != want {
			t.Errorf("%s: stale or missing seed (run with -update): %v", p, err)
		}
	}
}

func FuzzVerifyManifest(f *testing.F) {
	base, _, _ := fuzzBundle(f)
	f.Fuzz(func(t *testing.T, manifest, sig []byte) {
		fsys := fstest.MapFS{}
		for k, v := range base {
			fsys[k] = v
		}
		fsys[ManifestFile] = &fstest.MapFile{Data: manifest, Mode: 0o644}
		fsys[SignatureFile] = &fstest.MapFile{Data: sig, Mode: 0o644}
		for _, trusted := range []ed25519.PublicKey{nil, trustedKey()} {
			m, err := verifyFS(t.Context(), fsys, trusted)
			if err == nil {
				// Only a manifest really signed by the key, describing these
				// files, may verify.
				s, derr := decodeSignature(sig)
				if derr != nil || !ed25519.Verify(trustedKey(), signedMessage(manifest), s) {
					t.Fatalf("verified without a valid signature")
				}
				if m == nil || len(m.Files) != len(base)-1 { // base also holds manifest.pub
					t.Fatalf("verified manifest %+v does not describe the bundle", m)
				}
				continue
			}
			var ve *VerifyError
			if !errors.As(err, &ve) || !errors.Is(err, ErrAltered) {
				t.Fatalf("error %v (%T) is not a *VerifyError", err, err)
			}
			if len(ve.Problems) == 0 {
				t.Fatal("VerifyError without problems")
			}
			if got := strings.Count(err.Error(), "\n") + 1; got != len(ve.Problems) {
				t.Fatalf("%d problems printed on %d lines:\n%s", len(ve.Problems), got, err)
			}
			if m != nil {
				t.Fatal("manifest returned with an error")
			}
		}
		// Whatever parses re-encodes to something that parses to the same.
		if pm, err := parseManifest(manifest); err == nil {
			again, err := marshalJSON(pm)
			if err != nil {
				t.Fatal(err)
			}
			pm2, err := parseManifest(again)
			if err != nil {
				t.Fatalf("re-encoded manifest does not parse: %v\n%s", err, again)
			}
			if a, b := string(again), string(mustJSON(t, pm2)); a != b {
				t.Fatalf("round trip differs:\n%s\n%s", a, b)
			}
		}
	})
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := marshalJSON(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// FuzzScanRun: the streaming reader of results.json that merge uses
// agrees with json.Unmarshal of the whole run: whatever it accepts
// unmarshals too, to the same header and the same number of targets, and
// it never panics.
func FuzzScanRun(f *testing.F) {
	whole, err := json.Marshal(sampleRun())
	if err != nil {
		f.Fatal(err)
	}
	f.Add(whole)
	f.Add([]byte(`{"id":"x","targets":[]}`))
	f.Add([]byte(`{"targets":[{"uri":"a"},{"uri":"b"}],"id":"late"}`))
	f.Add([]byte(`{"targets":null}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		n := 0
		head, err := scanRun(t.Context(), bytes.NewReader(data), func(raw json.RawMessage) error {
			var tg Target
			n++
			return json.Unmarshal(raw, &tg)
		})
		if err != nil {
			return
		}
		var run Run
		if err := json.Unmarshal(data, &run); err != nil {
			t.Fatalf("scanRun accepted what json.Unmarshal refuses: %v", err)
		}
		if n != len(run.Targets) {
			t.Fatalf("scanRun saw %d targets, json.Unmarshal %d", n, len(run.Targets))
		}
		run.Targets = nil
		if diff := cmp.Diff(&run, head); diff != "" {
			t.Fatalf("headers differ (-unmarshal +scan):\n%s", diff)
		}
	})
}
