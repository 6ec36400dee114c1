package evidence

import (
	"io"

	"github.com/wardsec/ward/pkg/oscal"
)

// OSCALRefProblem is a reference in an OSCAL document that does not
// resolve, or an identifier defined twice (oscal.RefProblem).
type OSCALRefProblem = oscal.RefProblem

// CheckOSCALReferences reads an OSCAL JSON document and reports every
// cross-reference its JSON schema cannot check (oscal.CheckReferences).
func CheckOSCALReferences(r io.Reader) ([]OSCALRefProblem, error) {
	return oscal.CheckReferences(r)
}

// bundleRef returns the bundle path a relative href refers to; ok is false
// for absolute URLs, fragments and absolute paths.
func bundleRef(href string) (string, bool) { return oscal.RelativePath(href) }
