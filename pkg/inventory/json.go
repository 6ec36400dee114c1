package inventory

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// FormatVersion is the version of the JSON inventory format
// (docs/inventory.md).
const FormatVersion = 1

const maxJSON = 64 << 20 // as maxCSV: 200,000 records

// file is the JSON document.
type file struct {
	Version int      `json:"version"`
	Records []Record `json:"records"`
	Patches []Patch  `json:"patches,omitempty"`
}

// ReadJSON reads an inventory in Ward's JSON format. Errors are
// *ImportError naming the line (of the offending record, or of the syntax
// error) and the key.
func ReadJSON(r io.Reader) (*Inventory, error) {
	b, err := io.ReadAll(io.LimitReader(r, maxJSON+1))
	if err != nil {
		return nil, err
	}
	if len(b) > maxJSON {
		return nil, &ImportError{Line: 1, Err: fmt.Errorf("%w: larger than %d bytes", ErrInvalid, maxJSON)}
	}
	p := &jsonParser{b: b, dec: json.NewDecoder(bytes.NewReader(b))}
	inv, err := p.parse()
	if err != nil {
		return nil, err
	}
	return inv, nil
}

type jsonParser struct {
	b   []byte
	dec *json.Decoder
	// The line count up to lineOff, so lineAt counts only what is new
	// (offsets mostly grow while parsing): linear, not quadratic, in the
	// size of a large file.
	lineOff int64
	lines   int
}

// lineAt is the line of the first byte at or after off that is not
// whitespace or a comma: where the next value starts.
func (p *jsonParser) lineAt(off int64) int {
	for off < int64(len(p.b)) && bytes.IndexByte([]byte(" \t\r\n,:"), p.b[off]) >= 0 {
		off++
	}
	off = max(0, min(off, int64(len(p.b))))
	if off < p.lineOff {
		return bytes.Count(p.b[:off], []byte("\n")) + 1
	}
	p.lines += bytes.Count(p.b[p.lineOff:off], []byte("\n"))
	p.lineOff = off
	return p.lines + 1
}

// fail turns a decoding error at base (the value's start) into an
// ImportError with the best line known.
func (p *jsonParser) fail(base int64, err error) error {
	var ie *ImportError
	if errors.As(err, &ie) {
		return err
	}
	line := p.lineAt(base)
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	var fe *FieldError
	switch {
	case errors.As(err, &se):
		return &ImportError{Line: bytes.Count(p.b[:max(0, min(se.Offset, int64(len(p.b))))], []byte("\n")) + 1, Err: fmt.Errorf("%w: %v", ErrInvalid, se)}
	case errors.As(err, &te):
		return &ImportError{Line: p.lineAt(base + te.Offset), Column: te.Field, Err: fmt.Errorf("%w: %v", ErrInvalid, err)}
	case errors.As(err, &fe):
		return &ImportError{Line: line, Column: fe.Field, Err: err}
	case err == io.EOF || errors.Is(err, io.ErrUnexpectedEOF):
		return &ImportError{Line: p.lineAt(int64(len(p.b))), Err: fmt.Errorf("%w: unexpected end of file", ErrInvalid)}
	}
	return &ImportError{Line: line, Err: fmt.Errorf("%w: %v", ErrInvalid, err)}
}

func (p *jsonParser) delim(want json.Delim) error {
	off := p.dec.InputOffset()
	t, err := p.dec.Token()
	if err != nil {
		return p.fail(off, err)
	}
	if d, ok := t.(json.Delim); !ok || d != want {
		return p.fail(off, fmt.Errorf("want %q, found %v", want, t))
	}
	return nil
}

func (p *jsonParser) parse() (*Inventory, error) {
	if err := p.delim('{'); err != nil {
		return nil, err
	}
	inv := &Inventory{}
	var version *int
	seenKey := map[string]bool{}
	for p.dec.More() {
		off := p.dec.InputOffset()
		t, err := p.dec.Token()
		if err != nil {
			return nil, p.fail(off, err)
		}
		key, _ := t.(string)
		if seenKey[key] {
			return nil, &ImportError{Line: p.lineAt(off), Column: key, Err: fmt.Errorf("%w: key appears twice", ErrInvalid)}
		}
		seenKey[key] = true
		switch key {
		case "version":
			off := p.dec.InputOffset()
			var v int
			if err := p.dec.Decode(&v); err != nil {
				return nil, p.fail(off, err)
			}
			if v != FormatVersion {
				return nil, &ImportError{Line: p.lineAt(off), Column: "version", Err: fmt.Errorf("%w: version %d not supported (want %d)", ErrInvalid, v, FormatVersion)}
			}
			version = &v
		case "records":
			ids := map[string]int{}
			err := decodeArray(p, func(line int, r *Record) error {
				if err := r.validate(); err != nil {
					return err
				}
				if first, dup := ids[r.AssetID]; dup {
					return fieldErr("asset_id", "%q repeats the record on line %d", r.AssetID, first)
				}
				ids[r.AssetID] = line
				inv.Records = append(inv.Records, *r)
				return nil
			})
			if err != nil {
				return nil, err
			}
		case "patches":
			err := decodeArray(p, func(_ int, pt *Patch) error {
				if err := pt.validate(); err != nil {
					return err
				}
				inv.Patches = append(inv.Patches, *pt)
				return nil
			})
			if err != nil {
				return nil, err
			}
		default:
			return nil, &ImportError{Line: p.lineAt(off), Column: key, Err: fmt.Errorf("%w: unknown key (known: version, records, patches)", ErrInvalid)}
		}
	}
	if err := p.delim('}'); err != nil {
		return nil, err
	}
	if off := p.dec.InputOffset(); len(bytes.TrimSpace(p.b[off:])) > 0 {
		return nil, &ImportError{Line: p.lineAt(off), Err: fmt.Errorf("%w: data after the inventory object", ErrInvalid)}
	}
	if version == nil {
		return nil, &ImportError{Line: 1, Column: "version", Err: fmt.Errorf("%w: version is required", ErrInvalid)}
	}
	if err := inv.Validate(); err != nil { // cross-record rules (patch ids)
		return nil, &ImportError{Line: 1, Err: err}
	}
	return inv, nil
}

// decodeArray decodes a JSON array of T element by element, so errors
// name the element's line, and rejects unknown keys.
func decodeArray[T any](p *jsonParser, each func(line int, v *T) error) error {
	if err := p.delim('['); err != nil {
		return err
	}
	for p.dec.More() {
		off := p.dec.InputOffset()
		var raw json.RawMessage
		if err := p.dec.Decode(&raw); err != nil {
			return p.fail(off, err)
		}
		line := p.lineAt(off)
		// raw starts at the element; keep offsets relative to the file.
		start := off + int64(bytes.Index(p.b[off:], raw[:1]))
		d := json.NewDecoder(bytes.NewReader(raw))
		d.DisallowUnknownFields()
		var v T
		if err := d.Decode(&v); err != nil {
			var te *json.UnmarshalTypeError
			if errors.As(err, &te) {
				return &ImportError{Line: p.lineAt(start + te.Offset), Column: te.Field, Err: fmt.Errorf("%w: %v", ErrInvalid, err)}
			}
			return &ImportError{Line: line, Err: fmt.Errorf("%w: %v", ErrInvalid, err)}
		}
		if err := each(line, &v); err != nil {
			return p.fail(off, err)
		}
	}
	return p.delim(']')
}

// WriteJSON writes inv in Ward's JSON format, indented.
func WriteJSON(w io.Writer, inv *Inventory) error {
	f := file{Version: FormatVersion, Records: inv.Records, Patches: inv.Patches}
	if f.Records == nil {
		f.Records = []Record{}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(f)
}
