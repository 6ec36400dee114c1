package repo

import (
	"bytes"
	"fmt"

	cdx "github.com/CycloneDX/cyclonedx-go"
)

// SupportEndProperty is the CycloneDX property that states a component's
// end of support (FD&C 524B asks makers to say how long they support
// each component), as a YYYY-MM-DD date. CycloneDX 1.6 has no field for
// it, so it is a property (docs/update.md).
const SupportEndProperty = "ward:support-end"

// Component is one entry of an SBOM MakeSBOM builds.
type Component struct {
	Name, Version string
	// PURL is the package URL, e.g. "pkg:generic/openssl@3.0.13".
	PURL string
	// SupportEnd is the end of support, YYYY-MM-DD ("" when unknown).
	SupportEnd string
}

func (c Component) properties() *[]cdx.Property {
	if c.SupportEnd == "" {
		return nil
	}
	return &[]cdx.Property{{Name: SupportEndProperty, Value: c.SupportEnd}}
}

// MakeSBOM builds a minimal CycloneDX 1.6 JSON SBOM for a firmware image
// (the metadata component) and its components.
func MakeSBOM(firmware Component, components ...Component) ([]byte, error) {
	bom := cdx.NewBOM()
	bom.Metadata = &cdx.Metadata{Component: &cdx.Component{Type: cdx.ComponentTypeFirmware, Name: firmware.Name,
		Version: firmware.Version, PackageURL: firmware.PURL, BOMRef: firmware.Name + "@" + firmware.Version,
		Properties: firmware.properties()}}
	var cs []cdx.Component
	for _, c := range components {
		cs = append(cs, cdx.Component{Type: cdx.ComponentTypeLibrary, Name: c.Name, Version: c.Version, PackageURL: c.PURL,
			BOMRef: c.Name + "@" + c.Version, Properties: c.properties()})
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
