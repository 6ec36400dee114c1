package update

import (
	"bytes"
	"context"
	"fmt"
	"io"

	cdx "github.com/CycloneDX/cyclonedx-go"
)

// Policy is what a device requires of an image beyond valid signatures.
type Policy struct {
	// Hardware is the device's hardware id; the image's custom.ward.hardware
	// must list it. Empty: not checked (a host tool verifying for others).
	Hardware string
	// Floor is the anti-rollback counter; images below it are refused.
	// Nil: not checked.
	Floor Counter
	// RequireCustom refuses targets without Ward's custom metadata (every
	// firmware image must carry a version).
	RequireCustom bool
	// SBOMOptional accepts an image whose custom metadata names no SBOM.
	// A named SBOM is always fetched and verified. Leave false: FD&C 524B
	// requires an SBOM for every cyber device.
	SBOMOptional bool
}

// MaxSBOMLength bounds the SBOM a device will hold in memory.
const MaxSBOMLength = 16 << 20

// Checked is an image that passed every check but the download itself.
type Checked struct {
	Target Target
	// SBOM is the verified CycloneDX JSON, nil when none is named.
	SBOM []byte
	// BOM is SBOM decoded.
	BOM *cdx.BOM
}

// Source is where an installer gets targets from: verified metadata and
// the files it lists. *Verified (TUF) is the one to use; another Source
// must verify its metadata itself (an Uptane director, a signed bundle).
type Source interface {
	// Target returns name's entry in verified metadata.
	Target(ctx context.Context, name string) (Target, error)
	// Open streams t's file, unverified (CheckTarget and the installer
	// verify it while copying).
	Open(ctx context.Context, t Target) (io.ReadCloser, error)
}

// Check is CheckTarget on v.
func (v *Verified) Check(ctx context.Context, name string, p Policy) (Checked, error) {
	return CheckTarget(ctx, v, name, p)
}

// CheckTarget looks the image up in src and applies p: custom fields,
// hardware, version floor, SBOM presence and integrity. Nothing is
// downloaded but the SBOM.
func CheckTarget(ctx context.Context, src Source, name string, p Policy) (Checked, error) {
	t, err := src.Target(ctx, name)
	if err != nil {
		return Checked{}, err
	}
	out := Checked{Target: t}
	if t.Custom == nil {
		if p.RequireCustom {
			return out, fmt.Errorf("%w: target %s has no custom.ward metadata (version, hardware, sbom)", ErrMetadata, name)
		}
		return out, nil
	}
	cu := t.Custom
	if p.Hardware != "" && !cu.RunsOn(p.Hardware) {
		return out, fmt.Errorf("%w: %s is for %v, this device is %q", ErrHardware, name, cu.Hardware, p.Hardware)
	}
	if p.Floor != nil {
		floor, err := p.Floor.Get(ctx)
		if err != nil {
			return out, err
		}
		if cu.Version < floor {
			return out, fmt.Errorf("%w: %s has version %d, the device's floor is %d", ErrRollback, name, cu.Version, floor)
		}
	}
	if cu.SBOM == "" {
		if p.SBOMOptional {
			return out, nil
		}
		return out, fmt.Errorf("%w: %s names no SBOM", ErrNoSBOM, name)
	}
	out.SBOM, out.BOM, err = fetchSBOM(ctx, src, cu.SBOM)
	if err != nil {
		return out, fmt.Errorf("%w: for %s: %w", ErrNoSBOM, name, err)
	}
	return out, nil
}

func fetchSBOM(ctx context.Context, src Source, name string) ([]byte, *cdx.BOM, error) {
	st, err := src.Target(ctx, name)
	if err != nil {
		return nil, nil, err
	}
	if st.Length > MaxSBOMLength {
		return nil, nil, fmt.Errorf("%w: SBOM %s is %d bytes, at most %d", ErrLength, name, st.Length, MaxSBOMLength)
	}
	var buf bytes.Buffer
	rc, err := src.Open(ctx, st)
	if err != nil {
		return nil, nil, err
	}
	defer rc.Close()
	if err := VerifyStream(rc, &buf, st); err != nil {
		return nil, nil, err
	}
	bom, err := ParseSBOM(buf.Bytes())
	if err != nil {
		return nil, nil, err
	}
	return buf.Bytes(), bom, nil
}

// ParseSBOM decodes a CycloneDX JSON SBOM and checks it is one.
func ParseSBOM(b []byte) (*cdx.BOM, error) {
	var bom cdx.BOM
	if err := cdx.NewBOMDecoder(bytes.NewReader(b), cdx.BOMFileFormatJSON).Decode(&bom); err != nil {
		return nil, fmt.Errorf("%w: SBOM is not CycloneDX JSON: %w", ErrNoSBOM, err)
	}
	if bom.BOMFormat != cdx.BOMFormat || bom.SpecVersion == 0 {
		return nil, fmt.Errorf("%w: SBOM has bomFormat %q, specVersion %v", ErrNoSBOM, bom.BOMFormat, bom.SpecVersion)
	}
	return &bom, nil
}

// Fetch is the whole host-side check: refresh, look up, apply p, stream the
// target into w verifying it. w holds unverified bytes on error; write to a
// temp file and rename only on success.
func (c *Client) Fetch(ctx context.Context, name string, w io.Writer, p Policy) (Checked, error) {
	v, err := c.Refresh(ctx)
	if err != nil {
		return Checked{}, err
	}
	ch, err := v.Check(ctx, name, p)
	if err != nil {
		return ch, err
	}
	if err := v.Download(ctx, ch.Target, w); err != nil {
		return ch, err
	}
	return ch, nil
}
