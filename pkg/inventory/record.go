package inventory

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// PHI is how a device handles protected health information.
type PHI string

// PHI handling, from most to least exposure.
const (
	PHIStores        PHI = "stores"         // keeps ePHI at rest
	PHIProcesses     PHI = "processes"      // handles ePHI in memory, keeps none
	PHITransmitsOnly PHI = "transmits-only" // passes ePHI on without using it
	PHINone          PHI = "none"
)

// PHIValues lists the valid PHI values.
var PHIValues = []PHI{PHIStores, PHIProcesses, PHITransmitsOnly, PHINone}

// handlesPHI reports stores or processes: the device holds ePHI in the clear
// at some point.
func (p PHI) handlesPHI() bool { return p == PHIStores || p == PHIProcesses }

// Date is a calendar day (YYYY-MM-DD), in UTC. The zero Date means unknown.
type Date struct{ time.Time }

// DateLayout is how dates are written in every format.
const DateLayout = "2006-01-02"

// ParseDate reads YYYY-MM-DD; the empty string is the zero Date.
func ParseDate(s string) (Date, error) {
	if s == "" {
		return Date{}, nil
	}
	t, err := time.Parse(DateLayout, s)
	if err != nil {
		return Date{}, fmt.Errorf("%q is not a date (YYYY-MM-DD)", s)
	}
	return Date{t}, nil
}

// DateOf is the day t falls on, in UTC.
func DateOf(t time.Time) Date {
	y, m, d := t.UTC().Date()
	return Date{time.Date(y, m, d, 0, 0, 0, 0, time.UTC)}
}

func (d Date) String() string {
	if d.IsZero() {
		return ""
	}
	return d.Format(DateLayout)
}

// MarshalJSON writes "YYYY-MM-DD" (it shadows time.Time's RFC 3339 form).
func (d Date) MarshalJSON() ([]byte, error) { return json.Marshal(d.String()) }

// UnmarshalJSON reads "YYYY-MM-DD".
func (d *Date) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("a date must be a string \"YYYY-MM-DD\"")
	}
	return d.UnmarshalText([]byte(s))
}

// MarshalText implements encoding.TextMarshaler.
func (d Date) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (d *Date) UnmarshalText(b []byte) error {
	v, err := ParseDate(string(b))
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// Record is one inventoried asset.
type Record struct {
	// AssetID is the hospital's (or maker's) unique tag for the unit.
	AssetID      string `json:"asset_id"`
	Manufacturer string `json:"manufacturer"`
	Model        string `json:"model"`
	Serial       string `json:"serial"`
	// UDI is the FDA Unique Device Identifier, when the device has one.
	UDI  string `json:"udi,omitempty"`
	Type string `json:"type"` // "infusion pump", "patient monitor"
	// Zone is the network segment (pkg/segment zone name).
	Zone     string `json:"zone"`
	Location string `json:"location"`
	// Owner is the party responsible for the device's security posture.
	Owner    string `json:"owner"`
	PHI      PHI    `json:"phi"`
	Firmware string `json:"firmware"`
	// Software lists other software on the device, "name version".
	Software []string `json:"software,omitempty"`
	// SBOM references the device's software bill of materials (URL or
	// path of a CycloneDX document).
	SBOM         string `json:"sbom,omitempty"`
	EndOfSupport Date   `json:"end_of_support,omitzero"`
	LastScan     Date   `json:"last_scan,omitzero"`
	LastPenTest  Date   `json:"last_pentest,omitzero"`
	// Patches are the ids of the released patches installed.
	Patches []string `json:"patches,omitempty"`
	// LastSeen is when a check last found the device on the network.
	LastSeen time.Time `json:"last_seen,omitzero"`
	// SeenFirmware is the firmware the device reported when last seen,
	// when it differs from Firmware.
	SeenFirmware string `json:"seen_firmware,omitempty"`
}

// Criticality of a patch.
type Criticality string

// Criticalities, most urgent first.
const (
	Critical Criticality = "critical"
	High     Criticality = "high"
	Medium   Criticality = "medium"
	Low      Criticality = "low"
)

// Criticalities lists the valid values, most urgent first.
var Criticalities = []Criticality{Critical, High, Medium, Low}

// Patch is a patch the manufacturer released for a model.
type Patch struct {
	ID           string      `json:"id"`
	Manufacturer string      `json:"manufacturer"`
	Model        string      `json:"model"`
	Released     Date        `json:"released"`
	Criticality  Criticality `json:"criticality"`
	Title        string      `json:"title,omitempty"`
}

// Inventory is the set of records and the patches released for them.
type Inventory struct {
	Records []Record `json:"records"`
	Patches []Patch  `json:"patches,omitempty"`
}

// ErrInvalid reports a record, patch or file that breaks the format's
// rules. Import errors wrap it with the line and column.
var ErrInvalid = errors.New("invalid inventory")

// validate checks one record on its own.
func (r *Record) validate() error {
	if strings.TrimSpace(r.AssetID) == "" {
		return fieldErr("asset_id", "is required")
	}
	if r.PHI == "" {
		return fieldErr("phi", "is required (one of %s)", phiList())
	}
	if !slices.Contains(PHIValues, r.PHI) {
		return fieldErr("phi", "%q is not one of %s", r.PHI, phiList())
	}
	for i, list := range [2][]string{r.Patches, r.Software} {
		col := [2]string{"patches", "software"}[i]
		for _, v := range list {
			// Lists are ";"-separated in CSV: an entry must survive that.
			if v == "" || v != strings.TrimSpace(v) || strings.Contains(v, ";") {
				return fieldErr(col, "entry %q is empty, padded or holds a \";\"", v)
			}
		}
	}
	return nil
}

func (p *Patch) validate() error {
	switch {
	case strings.TrimSpace(p.ID) == "":
		return fieldErr("id", "is required")
	case p.Model == "":
		return fieldErr("model", "is required")
	case p.Released.IsZero():
		return fieldErr("released", "is required")
	case !slices.Contains(Criticalities, p.Criticality):
		return fieldErr("criticality", "%q is not one of critical, high, medium, low", p.Criticality)
	}
	return nil
}

func phiList() string {
	s := make([]string, len(PHIValues))
	for i, v := range PHIValues {
		s[i] = string(v)
	}
	return strings.Join(s, ", ")
}

// FieldError names the field (CSV column, JSON key) an error is about.
type FieldError struct {
	Field string
	Msg   string
}

func (e *FieldError) Error() string { return fmt.Sprintf("%s %s", e.Field, e.Msg) }

// Is makes every FieldError match ErrInvalid.
func (e *FieldError) Is(t error) bool { return t == ErrInvalid }

func fieldErr(field, format string, args ...any) error {
	return &FieldError{Field: field, Msg: fmt.Sprintf(format, args...)}
}

// Validate checks every record and patch, and that asset ids and patch ids
// are unique.
func (inv *Inventory) Validate() error {
	seen := map[string]int{}
	for i := range inv.Records {
		r := &inv.Records[i]
		if err := r.validate(); err != nil {
			return fmt.Errorf("record %d (%s): %w", i+1, r.AssetID, err)
		}
		if j, dup := seen[r.AssetID]; dup {
			return fmt.Errorf("record %d: %w", i+1, fieldErr("asset_id", "%q repeats record %d", r.AssetID, j))
		}
		seen[r.AssetID] = i + 1
	}
	pseen := map[string]bool{}
	for i := range inv.Patches {
		p := &inv.Patches[i]
		if err := p.validate(); err != nil {
			return fmt.Errorf("patch %d (%s): %w", i+1, p.ID, err)
		}
		k := p.Manufacturer + "\x00" + p.Model + "\x00" + p.ID
		if pseen[k] {
			return fmt.Errorf("patch %d: %w", i+1, fieldErr("id", "%q is listed twice for %s", p.ID, p.Model))
		}
		pseen[k] = true
	}
	return nil
}

// Record returns the record with the asset id.
func (inv *Inventory) Record(assetID string) (*Record, bool) {
	for i := range inv.Records {
		if inv.Records[i].AssetID == assetID {
			return &inv.Records[i], true
		}
	}
	return nil, false
}
