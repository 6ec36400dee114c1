package evidence

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/wardsec/ward/pkg/device"
)

// Format is the value of Manifest.Format for this version of the bundle.
const Format = "ward-evidence/1"

// SignaturePrefix is prepended to the exact bytes of manifest.json to form
// the message that manifest.sig signs (plain Ed25519, RFC 8032). It keeps a
// bundle signature from being valid for anything else a Ward key signs.
const SignaturePrefix = "ward-evidence/1 manifest.json\n"

// Manifest is the signed table of contents of a bundle (manifest.json).
type Manifest struct {
	// Format is always "ward-evidence/1".
	Format    string           `json:"format"`
	RunID     string           `json:"run_id"`
	Tool      Tool             `json:"tool"`
	Catalogue Catalogue        `json:"catalogue"`
	Started   time.Time        `json:"started"`
	Finished  time.Time        `json:"finished"`
	Targets   []ManifestTarget `json:"targets"`
	// Files lists every file in the bundle except manifest.json,
	// manifest.sig and manifest.pub, sorted by Path (byte order).
	Files []FileEntry `json:"files"`
	// KeyFingerprint is Fingerprint of the signing key.
	KeyFingerprint string `json:"key_fingerprint"`
	// MergedFrom is Run.MergedFrom: the input bundles of a merge and
	// who signed each, under this manifest's signature.
	MergedFrom []MergedBundle `json:"merged_from,omitempty"`
}

// ManifestTarget records which device and firmware a run tested.
type ManifestTarget struct {
	URI      string          `json:"uri"`
	Identity device.Identity `json:"identity"`
	Error    string          `json:"error,omitempty"`
}

// FileEntry is one file of the bundle.
type FileEntry struct {
	// Path is slash-separated and relative to the bundle root.
	Path string `json:"path"`
	// SHA256 is the lowercase hex SHA-256 of the file's content.
	SHA256 string `json:"sha256"`
	Size   int64  `json:"size"`
}

// ed25519SPKIPrefix is the DER of an Ed25519 SubjectPublicKeyInfo (RFC 8410)
// up to the 32 key bytes.
const ed25519SPKIPrefix = "\x30\x2a\x30\x05\x06\x03\x2b\x65\x70\x03\x21\x00"

// Fingerprint identifies an Ed25519 public key: "SHA256:" followed by the
// lowercase hex SHA-256 of its PKIX (SubjectPublicKeyInfo) DER encoding.
func Fingerprint(pub ed25519.PublicKey) string {
	h := sha256.New()
	h.Write([]byte(ed25519SPKIPrefix))
	h.Write(pub)
	return "SHA256:" + hex.EncodeToString(h.Sum(nil))
}

// signedMessage returns SignaturePrefix || manifest.
func signedMessage(manifest []byte) []byte {
	msg := make([]byte, 0, len(SignaturePrefix)+len(manifest))
	msg = append(msg, SignaturePrefix...)
	return append(msg, manifest...)
}

// encodeSignature is the content of manifest.sig.
func encodeSignature(sig []byte) []byte {
	return []byte(base64.StdEncoding.EncodeToString(sig) + "\n")
}

// decodeSignature parses manifest.sig. Only the exact form encodeSignature
// writes is accepted, so that every byte of the file matters.
func decodeSignature(data []byte) ([]byte, error) {
	text, ok := bytes.CutSuffix(data, []byte("\n"))
	if !ok {
		return nil, errors.New("does not end in a newline")
	}
	sig, err := base64.StdEncoding.Strict().DecodeString(string(text))
	if err != nil {
		return nil, fmt.Errorf("not base64: %w", err)
	}
	if len(sig) != ed25519.SignatureSize {
		return nil, fmt.Errorf("signature is %d bytes, want %d", len(sig), ed25519.SignatureSize)
	}
	if !bytes.Equal(encodeSignature(sig), data) {
		return nil, errors.New("not in canonical form")
	}
	return sig, nil
}

// marshalJSON is indented JSON with a final newline and without HTML escaping.
// It encodes compactly and then indents into a buffer sized up front, which
// for the tens of megabytes of a fleet's OSCAL documents allocates a third
// of what an indenting Encoder does.
func marshalJSON(v any) ([]byte, error) {
	var compact bytes.Buffer
	enc := json.NewEncoder(&compact)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	out := bytes.NewBuffer(make([]byte, 0, 2*compact.Len()))
	if err := json.Indent(out, compact.Bytes(), "", "  "); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}

// encodeManifest is marshalJSON(m), built without the intermediate copies
// marshalJSON makes: a fleet's manifest lists tens of thousands of files,
// and it is the one run-wide file that has to be in memory whole (it is
// signed).
func encodeManifest(m *Manifest) ([]byte, error) {
	head := *m
	head.Files = []FileEntry{}
	enc, err := marshalJSON(&head)
	if err != nil {
		return nil, err
	}
	const key = "\n  \"files\": []"
	before, after, ok := bytes.Cut(enc, []byte(key))
	if !ok || len(m.Files) == 0 {
		return marshalJSON(m)
	}
	var out bytes.Buffer
	out.Grow(len(enc) + len(m.Files)*(len(`    {      "path": "",      "sha256": "",      "size":     },`)+12*2+2*sha256.Size+80))
	out.Write(before)
	out.WriteString("\n  \"files\": [")
	var str bytes.Buffer
	e := json.NewEncoder(&str)
	e.SetEscapeHTML(false)
	for i, f := range m.Files {
		if i > 0 {
			out.WriteByte(',')
		}
		str.Reset()
		if err := e.Encode(f.Path); err != nil {
			return nil, err
		}
		out.WriteString("\n    {\n      \"path\": ")
		out.Write(bytes.TrimSuffix(str.Bytes(), []byte("\n")))
		str.Reset()
		if err := e.Encode(f.SHA256); err != nil {
			return nil, err
		}
		out.WriteString(",\n      \"sha256\": ")
		out.Write(bytes.TrimSuffix(str.Bytes(), []byte("\n")))
		out.WriteString(",\n      \"size\": ")
		out.WriteString(strconv.FormatInt(f.Size, 10))
		out.WriteString("\n    }")
	}
	out.WriteString("\n  ]")
	out.Write(after)
	return out.Bytes(), nil
}

// parseManifest decodes manifest.json strictly (no unknown fields, no
// trailing data) and checks it is well formed: known format, safe and unique
// paths, hex digests, non-negative sizes.
func parseManifest(data []byte) (*Manifest, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var m Manifest
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("not valid JSON: %w", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, errors.New("trailing data after the JSON object")
	}
	if m.Format != Format {
		return nil, fmt.Errorf("format %q, want %q", m.Format, Format)
	}
	if m.Files == nil {
		return nil, errors.New(`no "files" list`)
	}
	seen := make(map[string]bool, len(m.Files))
	for _, f := range m.Files {
		if err := checkBundlePath(f.Path); err != nil {
			return nil, fmt.Errorf("file %s: %w", quotePath(f.Path), err)
		}
		if isSignatureFile(f.Path) {
			return nil, fmt.Errorf("file %s: lists a signature file", f.Path)
		}
		lower := strings.ToLower(f.Path)
		if seen[lower] {
			return nil, fmt.Errorf("file %s: listed twice (names are compared ignoring case)", f.Path)
		}
		seen[lower] = true
		if len(f.SHA256) != 2*sha256.Size || strings.ToLower(f.SHA256) != f.SHA256 {
			return nil, fmt.Errorf("file %s: sha256 %q is not 64 lowercase hex digits", f.Path, f.SHA256)
		}
		if _, err := hex.DecodeString(f.SHA256); err != nil {
			return nil, fmt.Errorf("file %s: sha256 %q is not 64 lowercase hex digits", f.Path, f.SHA256)
		}
		if f.Size < 0 {
			return nil, fmt.Errorf("file %s: negative size %d", f.Path, f.Size)
		}
		// A content-addressed object is named by its digest; a manifest that
		// lists one under another name misdescribes it.
		if strings.HasPrefix(f.Path, ObjectsDir+"/") && f.Path != objectPath(f.SHA256) {
			return nil, fmt.Errorf("file %s: an object must be at %s, the path of its sha256", f.Path, objectPath(f.SHA256))
		}
	}
	return &m, nil
}

func sha256hex(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}
