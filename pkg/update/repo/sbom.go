package repo

import (
	"bytes"
	"fmt"

	cdx "github.com/CycloneDX/cyclonedx-go"
)

// Component is one entry of an SBOM MakeSBOM builds.
type Component struct {
	Name, Version string
	// PURL is the package URL, e.g. "pkg:generic/openssl@3.0.13".
	PURL string
}

// MakeSBOM builds a minimal CycloneDX 1.6 JSON SBOM for a firmware image
// and its components.
func MakeSBOM(firmware, version string, components ...Component) ([]byte, error) {
	bom := cdx.NewBOM()
	bom.Metadata = &cdx.Metadata{Component: &cdx.Component{Type: cdx.ComponentTypeFirmware, Name: firmware, Version: version,
		BOMRef: firmware + "@" + version}}
	var cs []cdx.Component
	for _, c := range components {
		cs = append(cs, cdx.Component{Type: cdx.ComponentTypeLibrary, Name: c.Name, Version: c.Version, PackageURL: c.PURL,
			BOMRef: c.Name + "@" + c.Version})
	}
	bom.Components = &cs
	// Built as 1.6 directly: EncodeVersion would deep-copy through gob to
	// convert, costing more than the rest of a simulated release.
	bom.SpecVersion = cdx.SpecVersion1_6
	bom.JSONSchema = "http://cyclonedx.org/schema/bom-1.6.schema.json"
	var buf bytes.Buffer
	enc := cdx.NewBOMEncoder(&buf, cdx.BOMFileFormatJSON)
	enc.SetPretty(true)
	if err := enc.Encode(bom); err != nil {
		return nil, fmt.Errorf("repo: sbom: %w", err)
	}
	return buf.Bytes(), nil
}
