package evidence

import (
	"errors"
	"fmt"
	"path"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Names the bundle reserves. Paths inside a bundle are slash-separated and
// relative to its root.
const (
	ManifestFile  = "manifest.json"
	SignatureFile = "manifest.sig"
	PublicKeyFile = "manifest.pub"
	ResultsFile   = "results.json"
	JUnitFile     = "junit.xml"
	// ArtifactsDir held artifacts/<scenario-id>/<artifact name> in bundles
	// written before artifacts were content-addressed (ObjectsDir); the name
	// stays reserved and Verify accepts such bundles.
	ArtifactsDir = "artifacts"
	// ObjectsDir holds every artifact once per distinct content, at
	// objects/sha256/<first 2 hex digits>/<other 62 hex digits> of its
	// SHA-256.
	ObjectsDir = "objects"
	// TargetsDir holds one directory per target of a multi-target run,
	// targets/<NNNN>/ (the target's 0-based index, zero-padded to 4 digits),
	// with the target's own report page.
	TargetsDir = "targets"
)

// objectPath is the bundle path of the content-addressed object whose
// SHA-256 is sum (lowercase hex).
func objectPath(sum string) string {
	return ObjectsDir + "/sha256/" + sum[:2] + "/" + sum[2:]
}

// targetDir is the bundle directory of the target at index i; it is built
// from the index alone, never from anything the device said.
func targetDir(i int) string {
	return fmt.Sprintf("%s/%04d", TargetsDir, i)
}

// MaxNameLen bounds a scenario id or artifact name: one path element of at
// most 255 bytes fits every common file system (NAME_MAX on Linux, macOS
// and Windows).
const MaxNameLen = 255

// CheckArtifactNames reports why t's scenarios and artifacts could not be
// stored in a bundle by Write (an id or name that is not one safe path
// element). A harness uses it to make such a target an error of its own
// instead of a bundle nobody gets.
func CheckArtifactNames(t *Target) error {
	for _, s := range t.Scenarios {
		if len(s.Artifacts) == 0 {
			continue
		}
		if err := checkElement(s.ID); err != nil {
			return fmt.Errorf("scenario id %s: %w", quotePath(s.ID), err)
		}
		for _, a := range s.Artifacts {
			if err := checkElement(a.Name); err != nil {
				return fmt.Errorf("scenario %s: artifact name %s: %w", quotePath(s.ID), quotePath(a.Name), err)
			}
		}
	}
	return nil
}

// partialPrefix starts the name of the hidden directory Write builds in.
const partialPrefix = ".ward-partial-"

// isSignatureFile reports whether p is one of the three files the manifest
// does not list because they make up the signature.
func isSignatureFile(p string) bool {
	return p == ManifestFile || p == SignatureFile || p == PublicKeyFile
}

// checkBundlePath reports why p cannot name a file in a bundle: it must be
// relative, slash-separated, clean, valid UTF-8, and free of "..", backslashes
// and control characters (which would break one-line reports and portability).
func checkBundlePath(p string) error {
	switch {
	case p == "":
		return errors.New("empty path")
	case !utf8.ValidString(p):
		return errors.New("path is not valid UTF-8")
	case strings.HasPrefix(p, "/"):
		return errors.New("path is absolute")
	case strings.ContainsRune(p, '\\'):
		return errors.New("path contains a backslash")
	}
	for _, r := range p {
		if unicode.IsControl(r) {
			return errors.New("path contains a control character")
		}
	}
	for _, elem := range strings.Split(p, "/") {
		switch elem {
		case "..":
			return errors.New(`path contains ".."`)
		case "", ".":
			return errors.New("path is not clean")
		}
	}
	return nil
}

// checkElement reports why s cannot be a single path element (a scenario id
// or an artifact name).
func checkElement(s string) error {
	if strings.ContainsRune(s, '/') {
		return errors.New("contains a slash")
	}
	if s == "." {
		return errors.New(`is "."`)
	}
	if len(s) > MaxNameLen {
		return fmt.Errorf("is %d bytes, over %d", len(s), MaxNameLen)
	}
	return checkBundlePath(s)
}

// cleanExtraPath validates and cleans a path given to WithFile.
func cleanExtraPath(p string) (string, error) {
	for _, elem := range strings.Split(p, "/") {
		if elem == ".." {
			return "", fmt.Errorf("%s: %w", quotePath(p), errors.New(`path contains ".."`))
		}
	}
	if strings.HasPrefix(p, "/") {
		return "", fmt.Errorf("%s: path is absolute", quotePath(p))
	}
	c := path.Clean(p)
	if err := checkBundlePath(c); err != nil {
		return "", fmt.Errorf("%s: %w", quotePath(p), err)
	}
	first, _, _ := strings.Cut(c, "/")
	for _, r := range []string{ManifestFile, SignatureFile, PublicKeyFile, ResultsFile, JUnitFile, AssessmentResultsFile, POAMFile, ReportFile, ArtifactsDir, ObjectsDir, TargetsDir} {
		if strings.EqualFold(first, r) {
			return "", fmt.Errorf("%s: name is reserved by the bundle", quotePath(p))
		}
	}
	return c, nil
}

// quotePath returns p as is when it is printable, and Go-quoted otherwise,
// so that a hostile file name cannot forge report lines.
func quotePath(p string) string {
	if checkBundlePath(p) == nil && !strings.ContainsAny(p, " \"") {
		return p
	}
	return strconv.Quote(p)
}
