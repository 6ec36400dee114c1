package update

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
)

// Custom is Ward's part of a target's custom metadata in TUF targets.json:
//
//	"custom": {"ward": {"version": 7, "hardware": ["SIM-IP-100"], "sbom": "pump-fw-7.cdx.json"}}
//
// It is covered by the targets role's signatures like the length and hashes.
// docs/update.md specifies the fields; other keys beside "ward" are kept by
// TUF and ignored here.
type Custom struct {
	// Version is the image's anti-rollback version, 1 or more. The device
	// refuses an image whose version is below its counter.
	Version uint64 `json:"version"`
	// Hardware lists the hardware ids the image runs on; the device's id
	// must be one of them.
	Hardware []string `json:"hardware"`
	// SBOM names the target that holds the image's CycloneDX JSON SBOM.
	// Its length and hashes are in the same signed targets metadata.
	SBOM string `json:"sbom,omitempty"`
}

// Limits on custom fields, so a hostile repository cannot make the device
// hold a huge list.
const (
	maxHardware   = 64
	maxFieldBytes = 256
	maxCustom     = 64 << 10
)

// ParseCustom reads Ward's fields from a target's custom metadata. It is
// strict: unknown fields inside "ward", a version of 0, an empty or
// oversized hardware list, or names with control characters fail with
// ErrMetadata.
func ParseCustom(raw []byte) (Custom, error) {
	if len(raw) == 0 {
		return Custom{}, fmt.Errorf("%w: target has no custom metadata", ErrMetadata)
	}
	if len(raw) > maxCustom {
		return Custom{}, fmt.Errorf("%w: custom metadata of %d bytes", ErrMetadata, len(raw))
	}
	var outer struct {
		Ward json.RawMessage `json:"ward"`
	}
	if err := json.Unmarshal(raw, &outer); err != nil {
		return Custom{}, fmt.Errorf("%w: custom metadata: %w", ErrMetadata, err)
	}
	if len(outer.Ward) == 0 || string(outer.Ward) == "null" {
		return Custom{}, fmt.Errorf("%w: custom metadata has no \"ward\" object", ErrMetadata)
	}
	dec := json.NewDecoder(bytes.NewReader(outer.Ward))
	dec.DisallowUnknownFields()
	var c Custom
	if err := dec.Decode(&c); err != nil {
		return Custom{}, fmt.Errorf("%w: custom.ward: %w", ErrMetadata, err)
	}
	if dec.More() {
		return Custom{}, fmt.Errorf("%w: custom.ward: trailing data", ErrMetadata)
	}
	if err := c.Validate(); err != nil {
		return Custom{}, err
	}
	return c, nil
}

// Validate checks the fields as ParseCustom does.
func (c Custom) Validate() error {
	if c.Version == 0 {
		return fmt.Errorf("%w: custom.ward.version must be 1 or more", ErrMetadata)
	}
	if len(c.Hardware) == 0 || len(c.Hardware) > maxHardware {
		return fmt.Errorf("%w: custom.ward.hardware must list 1 to %d ids", ErrMetadata, maxHardware)
	}
	for _, h := range c.Hardware {
		if err := checkName("hardware id", h); err != nil {
			return err
		}
	}
	if c.SBOM != "" {
		if err := checkName("sbom", c.SBOM); err != nil {
			return err
		}
	}
	return nil
}

func checkName(what, s string) error {
	if s == "" || len(s) > maxFieldBytes || strings.TrimSpace(s) != s ||
		strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f || r == 0xfffd }) {
		return fmt.Errorf("%w: custom.ward: bad %s %q", ErrMetadata, what, s)
	}
	return nil
}

// Marshal returns the custom metadata object {"ward": c}.
func (c Custom) Marshal() (json.RawMessage, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return json.Marshal(struct {
		Ward Custom `json:"ward"`
	}{c})
}

// RunsOn reports whether the image is built for hardware id hw.
func (c Custom) RunsOn(hw string) bool { return slices.Contains(c.Hardware, hw) }
