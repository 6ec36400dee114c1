package harness

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"maps"
	"slices"
	"strings"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"
)

// encoded is one form of a secret to search for. fold makes the search
// ignore ASCII case (text forms: a device may store a name upper-cased, as
// DICOM and HL7 systems often do); base64 forms are case-sensitive.
type encoded struct {
	enc  []byte
	fold bool
}

// encodings are the forms a secret is searched for: a careless device
// stores or logs it plainly, hex-encoded or base64-encoded; clinical
// software also writes person names as DICOM/HL7 components ("Family^Given"),
// escapes HL7 delimiters (\F\ \S\ \T\ \R\ \E\), and Windows-built software
// stores UTF-16. Base64 inside a larger encoded blob (a JSON []byte field
// holding a whole record) depends on where the secret falls in a 3-byte
// group, so for each of the three alignments the characters that depend on
// the secret alone are searched too (long secrets only: a short core would
// match by chance). Binary secrets (keys) get only the byte-exact forms.
func encodings(secret []byte) map[string]encoded {
	out := map[string]encoded{
		"hex":        {[]byte(hex.EncodeToString(secret)), true},
		"base64":     {[]byte(base64.StdEncoding.EncodeToString(secret)), false},
		"base64url":  {[]byte(base64.RawURLEncoding.EncodeToString(secret)), false},
		"base64-raw": {[]byte(base64.RawStdEncoding.EncodeToString(secret)), false},
	}
	for k := range 3 {
		if core := base64Core(base64.RawStdEncoding, secret, k); len(core) >= 16 {
			out[fmt.Sprintf("base64, offset %d", k)] = encoded{core, false}
		}
		if core := base64Core(base64.RawURLEncoding, secret, k); len(core) >= 16 {
			out[fmt.Sprintf("base64url, offset %d", k)] = encoded{core, false}
		}
	}
	if !isText(secret) {
		out["plain"] = encoded{secret, false}
		return out
	}
	s := string(secret)
	text := map[string]string{"plain": s}
	if pn := personName(s); pn != "" {
		text["DICOM/HL7 person name"] = pn
		text["caret-separated"] = strings.Join(strings.Fields(s), "^")
	}
	for name, v := range maps.Clone(text) {
		if e := hl7Escape(v); e != v {
			text[name+", HL7-escaped"] = e
		}
	}
	for name, v := range text {
		out[name] = encoded{[]byte(v), true}
		out[name+", UTF-16LE"] = encoded{utf16Bytes(v, false), true}
		out[name+", UTF-16BE"] = encoded{utf16Bytes(v, true), true}
	}
	return out
}

// isText reports whether b is printable UTF-8 text (a name, a record
// number, a password), as opposed to a binary key.
func isText(b []byte) bool {
	if !utf8.Valid(b) {
		return false
	}
	for _, r := range string(b) {
		if !unicode.IsPrint(r) {
			return false
		}
	}
	return true
}

// personName writes "Given [Middle...] Family" the way DICOM PN and HL7 XPN
// do, family name first, components separated by "^":
// "Ada Testpatient" -> "Testpatient^Ada", "Ada May Testpatient" ->
// "Testpatient^Ada^May". A single word is no name to reorder ("").
func personName(s string) string {
	w := strings.Fields(s)
	if len(w) < 2 {
		return ""
	}
	parts := []string{w[len(w)-1], w[0]}
	if len(w) > 2 {
		parts = append(parts, strings.Join(w[1:len(w)-1], " "))
	}
	return strings.Join(parts, "^")
}

// hl7Escape applies HL7 v2 escape sequences for the default delimiters
// (section 2.7): | \F\, ^ \S\, & \T\, ~ \R\, \ \E\.
func hl7Escape(s string) string {
	r := strings.NewReplacer(`\`, `\E\`, "|", `\F\`, "^", `\S\`, "&", `\T\`, "~", `\R\`)
	return r.Replace(s)
}

// utf16Bytes encodes s as UTF-16, little- or big-endian, without a BOM.
func utf16Bytes(s string, big bool) []byte {
	u := utf16.Encode([]rune(s))
	b := make([]byte, 0, 2*len(u))
	for _, c := range u {
		if big {
			b = append(b, byte(c>>8), byte(c))
		} else {
			b = append(b, byte(c), byte(c>>8))
		}
	}
	return b
}

// foldASCII lower-cases ASCII letters only, byte for byte, so offsets in
// binary data and in UTF-16 text stay where they were.
func foldASCII(b []byte) []byte {
	out := make([]byte, len(b))
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		out[i] = c
	}
	return out
}

// base64Core returns the characters of the base64 encoding of data that
// has secret at offset k (mod 3) that depend on secret alone: whole 3-byte
// groups of it, without the group it shares with bytes before or after.
func base64Core(enc *base64.Encoding, secret []byte, k int) []byte {
	prefixed := append(make([]byte, k), secret...)
	s := enc.EncodeToString(prefixed)
	start, end := 0, len(prefixed)/3*4
	if k > 0 {
		start = 4
	}
	if end <= start {
		return nil
	}
	return []byte(s[start:end])
}

// secretAt is where a secret was found.
type secretAt struct {
	file, form string
	at, n      int // byte offset and length of the encoded form
}

func (l secretAt) String() string { return fmt.Sprintf("%q (%s)", l.file, l.form) }

// searcher searches files for secrets, folding each file's case once.
type searcher struct {
	files  map[string][]byte
	names  []string
	folded map[string][]byte
}

func newSearcher(files map[string][]byte) *searcher {
	return &searcher{files: files, names: slices.Sorted(maps.Keys(files)), folded: map[string][]byte{}}
}

func (s *searcher) fold(name string) []byte {
	f, ok := s.folded[name]
	if !ok {
		f = foldASCII(s.files[name])
		s.folded[name] = f
	}
	return f
}

// locate returns, for every file holding secret in some encoding, the
// first form found there (forms in sorted order), files in sorted order.
func (s *searcher) locate(secret []byte) []secretAt {
	if len(secret) == 0 {
		return nil
	}
	forms := encodings(secret)
	formNames := slices.Sorted(maps.Keys(forms))
	var out []secretAt
	for _, name := range s.names {
		for _, form := range formNames {
			e := forms[form]
			hay, needle := s.files[name], e.enc
			if e.fold {
				hay, needle = s.fold(name), foldASCII(needle)
			}
			if i := bytes.Index(hay, needle); i >= 0 {
				out = append(out, secretAt{file: name, form: form, at: i, n: len(needle)})
				break
			}
		}
	}
	return out
}

// locateSecret returns where secret first occurs in files, in any
// encoding, looking at the files in sorted order.
func locateSecret(files map[string][]byte, secret []byte) (secretAt, bool) {
	locs := newSearcher(files).locate(secret)
	if len(locs) == 0 {
		return secretAt{}, false
	}
	return locs[0], true
}

// findSecret returns where secret occurs in files, in any encoding: every
// file, with the form found in each.
func findSecret(files map[string][]byte, secret []byte) (string, bool) {
	locs := newSearcher(files).locate(secret)
	if len(locs) == 0 {
		return "", false
	}
	return joinLocs(locs, maxNamed), true
}

// maxNamed bounds how many files one finding names in a reason line; the
// full list goes into an artifact.
const maxNamed = 20

func joinLocs(locs []secretAt, max int) string {
	parts := make([]string, 0, min(len(locs), max)+1)
	for i, l := range locs {
		if i == max {
			parts = append(parts, fmt.Sprintf("and %d more files", len(locs)-max))
			break
		}
		parts = append(parts, l.String())
	}
	return strings.Join(parts, ", ")
}
