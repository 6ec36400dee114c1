package segmenthcl

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/gohcl"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"

	"github.com/wardsec/ward/internal/inputlimit"
	"github.com/wardsec/ward/pkg/segment"
)

type fileBody struct {
	LocalNetworks hcl.Expression    `hcl:"local_networks,optional"`
	Zones         []zoneBlock       `hcl:"zone,block"`
	Controllers   []controllerBlock `hcl:"controller,block"`
	Profiles      []profileBlock    `hcl:"profile,block"`
	Devices       []deviceBlock     `hcl:"device,block"`
	Conduits      []conduitBlock    `hcl:"conduit,block"`
}

type zoneBlock struct {
	Name  string         `hcl:"name,label"`
	CIDRs hcl.Expression `hcl:"cidrs,optional"`
	Spike *spikeBlock    `hcl:"spike,block"`
	Def   hcl.Range      `hcl:",def_range"`
}

type spikeBlock struct {
	Window      string    `hcl:"window"`
	WindowRange hcl.Range `hcl:"window,attr_value_range"`
	DeviceLimit uint64    `hcl:"device_limit,optional"`
	ZoneLimit   uint64    `hcl:"zone_limit,optional"`
	Learn       bool      `hcl:"learn,optional"`
	Factor      float64   `hcl:"factor,optional"`
	Calm        string    `hcl:"calm,optional"`
	CalmRange   hcl.Range `hcl:"calm,attr_value_range"`
	Segment     bool      `hcl:"quarantine_segment,optional"`
	Def         hcl.Range `hcl:",def_range"`
}

type controllerBlock struct {
	Class      string    `hcl:"class,label"`
	Addrs      []string  `hcl:"addresses"`
	AddrsRange hcl.Range `hcl:"addresses,attr_value_range"`
	Def        hcl.Range `hcl:",def_range"`
}

type profileBlock struct {
	Name         string      `hcl:"name,label"`
	Manufacturer string      `hcl:"manufacturer,optional"`
	Model        string      `hcl:"model,optional"`
	Rules        []ruleBlock `hcl:"allow,block"`
	Def          hcl.Range   `hcl:",def_range"`
}

type deviceBlock struct {
	Name         string      `hcl:"name,label"`
	Address      string      `hcl:"address"`
	AddressRange hcl.Range   `hcl:"address,attr_value_range"`
	Zone         string      `hcl:"zone"`
	ZoneRange    hcl.Range   `hcl:"zone,attr_value_range"`
	Type         string      `hcl:"type,optional"`
	Manufacturer string      `hcl:"manufacturer,optional"`
	Model        string      `hcl:"model,optional"`
	Profile      string      `hcl:"profile,optional"`
	ProfileRange hcl.Range   `hcl:"profile,attr_value_range"`
	Rules        []ruleBlock `hcl:"allow,block"`
	Def          hcl.Range   `hcl:",def_range"`
}

type ruleBlock struct {
	Name           string         `hcl:"name,label"`
	Direction      string         `hcl:"direction"`
	DirectionRange hcl.Range      `hcl:"direction,attr_value_range"`
	Peer           string         `hcl:"peer"`
	PeerRange      hcl.Range      `hcl:"peer,attr_value_range"`
	Proto          string         `hcl:"proto,optional"`
	ProtoRange     hcl.Range      `hcl:"proto,attr_value_range"`
	Ports          hcl.Expression `hcl:"ports,optional"`
	SrcPorts       hcl.Expression `hcl:"src_ports,optional"`
	Initiator      string         `hcl:"initiator,optional"`
	InitRange      hcl.Range      `hcl:"initiator,attr_value_range"`
	Family         string         `hcl:"family,optional"`
	FamilyRange    hcl.Range      `hcl:"family,attr_value_range"`
	Def            hcl.Range      `hcl:",def_range"`
}

type conduitBlock struct {
	Name       string         `hcl:"name,label"`
	From       string         `hcl:"from"`
	FromRange  hcl.Range      `hcl:"from,attr_value_range"`
	To         string         `hcl:"to"`
	ToRange    hcl.Range      `hcl:"to,attr_value_range"`
	Proto      string         `hcl:"proto,optional"`
	ProtoRange hcl.Range      `hcl:"proto,attr_value_range"`
	Ports      hcl.Expression `hcl:"ports,optional"`
	Monitoring bool           `hcl:"monitoring,optional"`
	Def        hcl.Range      `hcl:",def_range"`
}

// Loc turns an HCL range into a segment.Location.
func Loc(r hcl.Range) segment.Location {
	return segment.Location{File: r.Filename, Line: r.Start.Line, Column: r.Start.Column, Byte: r.Start.Byte}
}

// Range turns a segment.Location back into a (one-character) HCL range for
// diagnostics; nil when the location is unknown or not from HCL.
func Range(l segment.Location) *hcl.Range {
	if l.Line == 0 {
		return nil
	}
	p := hcl.Pos{Line: l.Line, Column: l.Column, Byte: l.Byte}
	end := p
	end.Column++
	end.Byte++
	return &hcl.Range{Filename: l.File, Start: p, End: end}
}

type decoder struct{ diags hcl.Diagnostics }

func (d *decoder) errf(r hcl.Range, summary, format string, args ...any) {
	rr := r
	d.diags = append(d.diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: summary, Detail: fmt.Sprintf(format, args...), Subject: &rr})
}

type item struct {
	s string
	r hcl.Range
}

// strings reads a list of strings element by element, so an error points
// at the element, not the list.
func (d *decoder) strings(expr hcl.Expression, what string) []item {
	if expr == nil {
		return nil
	}
	if l, ok := expr.(*strListExpr); ok {
		return l.items // from fastParse: already strings
	}
	if v, diags := expr.Value(nil); !diags.HasErrors() && v.IsNull() {
		return nil // attribute absent
	}
	elems, diags := hcl.ExprList(expr)
	if diags.HasErrors() {
		d.diags = append(d.diags, diags...)
		return nil
	}
	var out []item
	for _, e := range elems {
		v, diags := e.Value(nil)
		if diags.HasErrors() {
			d.diags = append(d.diags, diags...)
			continue
		}
		if v.IsNull() || !v.IsKnown() || v.Type() != cty.String {
			d.errf(e.Range(), "Invalid value", "%s: want a string", what)
			continue
		}
		out = append(out, item{v.AsString(), e.Range()})
	}
	return out
}

func (d *decoder) prefixes(expr hcl.Expression, what string) []netip.Prefix {
	var out []netip.Prefix
	for _, it := range d.strings(expr, what) {
		p, err := segment.ParsePrefix(it.s)
		if err != nil {
			d.errf(it.r, "Invalid CIDR", "%s: %v", what, err)
			continue
		}
		out = append(out, p)
	}
	return out
}

func (d *decoder) ports(expr hcl.Expression, what string) []segment.PortRange {
	var out []segment.PortRange
	for _, it := range d.strings(expr, what) {
		pr, err := segment.ParsePortRange(it.s)
		if err != nil {
			d.errf(it.r, "Invalid port", "%s: %v", what, err)
			continue
		}
		out = append(out, pr)
	}
	return out
}

func (d *decoder) proto(s string, r hcl.Range, what string) segment.Proto {
	p, err := segment.ParseProto(s)
	if err != nil {
		d.errf(r, "Invalid protocol", "%s: %v", what, err)
	}
	return p
}

func (d *decoder) duration(s string, r hcl.Range, what string) time.Duration {
	if s == "" {
		return 0
	}
	v, err := time.ParseDuration(s)
	if err != nil || v < 0 {
		d.errf(r, "Invalid duration", "%s: %q: want e.g. \"10s\" or \"5m\"", what, s)
	}
	return v
}

func (d *decoder) rules(bs []ruleBlock, owner string) []segment.Rule {
	var out []segment.Rule
	for _, b := range bs {
		what := fmt.Sprintf("%s rule %q", owner, b.Name)
		r := segment.Rule{Name: b.Name, Loc: Loc(b.Def)}
		var err error
		if r.Direction, err = segment.ParseDirection(b.Direction); err != nil {
			d.errf(b.DirectionRange, "Invalid direction", "%s: %v", what, err)
		}
		if r.Peer, err = segment.ParsePeer(b.Peer); err != nil {
			d.errf(b.PeerRange, "Invalid peer", "%s: %v", what, err)
		}
		r.Proto = d.proto(b.Proto, b.ProtoRange, what)
		r.DstPorts = d.ports(b.Ports, what)
		r.SrcPorts = d.ports(b.SrcPorts, what)
		if r.Initiator, err = segment.ParseInitiator(b.Initiator); err != nil {
			d.errf(b.InitRange, "Invalid initiator", "%s: %v", what, err)
		}
		if r.Family, err = segment.ParseFamily(b.Family); err != nil {
			d.errf(b.FamilyRange, "Invalid family", "%s: %v", what, err)
		}
		r.PeerLoc = Loc(b.PeerRange)
		out = append(out, r)
	}
	return out
}

// Parse decodes one policy file. It returns the HCL file (for rendering
// diagnostics with source snippets) and every syntax and value error with
// its location. It does not run segment.Validate; Check does both.
func Parse(filename string, src []byte) (*segment.Policy, *hcl.File, hcl.Diagnostics) {
	p, f, diags, _ := ParseContext(context.Background(), filename, src)
	return p, f, diags
}

// ParseContext is Parse that stops early, with ctx's error, when ctx ends.
// Large files are parsed in pieces of whole top-level blocks, on every
// core, so that neither the time nor the memory of one huge syntax tree is
// paid (a 50 MB policy took 92 s and 6.5 GB when parsed whole); a file the
// splitter is unsure of, or one with errors, is parsed whole, so the
// result and the diagnostics are exactly those of a whole-file parse.
func ParseContext(ctx context.Context, filename string, src []byte) (*segment.Policy, *hcl.File, hcl.Diagnostics, error) {
	if diags := checkBounds(filename, src); diags != nil {
		return nil, &hcl.File{Body: hcl.EmptyBody()}, diags, nil
	}
	chunks := splitTopLevel(src, chunkSize)
	if len(chunks) == 0 {
		chunks = []chunk{{hcl.InitialPos, len(src)}} // small, or one huge block
	}
	{
		p, ok, err := parseChunks(ctx, filename, src, chunks)
		if err != nil {
			return nil, nil, nil, err
		}
		if ok {
			return p, &hcl.File{Bytes: src}, nil, nil
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, nil, nil, err
	}
	p, f, diags, _ := parseWhole(filename, src, hcl.InitialPos)
	return p, f, diags, ctx.Err()
}

// parseChunks parses each piece on its own; ok is false when some piece
// has an error or the pieces do not add up to one file (the caller then
// parses the file whole).
func parseChunks(ctx context.Context, filename string, src []byte, chunks []chunk) (*segment.Policy, bool, error) {
	parts := make([]*segment.Policy, len(chunks))
	failed := make([]bool, len(chunks))
	hasLocal := make([]bool, len(chunks))
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), len(chunks)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= len(chunks) || ctx.Err() != nil {
					return
				}
				c := chunks[i]
				p, local, ok := parseChunk(filename, src, c)
				parts[i], failed[i], hasLocal[i] = p, !ok, local
			}
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, false, err
	}
	out := &segment.Policy{}
	locals := 0
	for i, p := range parts {
		if failed[i] || p == nil {
			return nil, false, nil
		}
		if hasLocal[i] {
			if locals++; locals > 1 {
				return nil, false, nil // defined twice: let the whole parse say so
			}
			out.LocalNetworks = p.LocalNetworks
		}
		out.Zones = append(out.Zones, p.Zones...)
		out.Controllers = append(out.Controllers, p.Controllers...)
		out.Profiles = append(out.Profiles, p.Profiles...)
		out.Devices = append(out.Devices, p.Devices...)
		out.Conduits = append(out.Conduits, p.Conduits...)
	}
	return out, true, nil
}

// parseWhole parses src, which starts at start in the file, decoding it
// with gohcl; local reports whether it sets local_networks.
func parseWhole(filename string, src []byte, start hcl.Pos) (p *segment.Policy, f *hcl.File, diags hcl.Diagnostics, local bool) {
	f, diags = hclsyntax.ParseConfig(src, filename, start)
	if diags.HasErrors() {
		return nil, f, diags, false
	}
	var body fileBody
	if diags = gohcl.DecodeBody(f.Body, nil, &body); diags.HasErrors() {
		return nil, f, diags, false
	}
	p, diags, local = convert(&body)
	return p, f, diags, local
}

// parseChunk parses one chunk: with fastParse where it can, item by item
// where fastParse declines the chunk (hclsyntax for the items it declines).
func parseChunk(filename string, src []byte, c chunk) (*segment.Policy, bool, bool) {
	text := src[c.start.Byte:c.end]
	if body, ok := fastParse(filename, text, c.start); ok {
		return decodeWalked(body)
	}
	items := []chunk{c}
	if sub := splitTopLevel(text, 1); len(sub) > 1 {
		items = items[:0]
		for _, it := range sub {
			// splitTopLevel counted from the chunk's start.
			items = append(items, chunk{hcl.Pos{Line: c.start.Line + it.start.Line - 1, Column: 1, Byte: c.start.Byte + it.start.Byte}, c.start.Byte + it.end})
		}
	}
	out := &segment.Policy{}
	local := false
	for _, it := range items {
		var p *segment.Policy
		var l, ok bool
		if body, fast := fastParse(filename, src[it.start.Byte:it.end], it.start); fast {
			p, l, ok = decodeWalked(body)
		} else {
			p, l, ok = parseFast(filename, src[it.start.Byte:it.end], it.start)
		}
		if !ok || l && local {
			return nil, false, false
		}
		if l {
			local = true
			out.LocalNetworks = p.LocalNetworks
		}
		out.Zones = append(out.Zones, p.Zones...)
		out.Controllers = append(out.Controllers, p.Controllers...)
		out.Profiles = append(out.Profiles, p.Profiles...)
		out.Devices = append(out.Devices, p.Devices...)
		out.Conduits = append(out.Conduits, p.Conduits...)
	}
	return out, local, true
}

func decodeWalked(body *hclsyntax.Body) (*segment.Policy, bool, bool) {
	fb, ok := walkFile(body)
	if !ok {
		return nil, false, false
	}
	p, diags, local := convert(fb)
	return p, local, !diags.HasErrors()
}

// parseFast parses a chunk and decodes it with walkFile instead of gohcl
// (gohcl's reflection was a third of the time of a big policy); ok is
// false when walkFile declined or anything failed.
func parseFast(filename string, src []byte, start hcl.Pos) (p *segment.Policy, local, ok bool) {
	f, diags := hclsyntax.ParseConfig(src, filename, start)
	if diags.HasErrors() {
		return nil, false, false
	}
	body, ok := walkFile(f.Body.(*hclsyntax.Body))
	if !ok {
		return nil, false, false
	}
	p, diags, local = convert(body)
	return p, local, !diags.HasErrors()
}

// convert turns a decoded file body into a policy; local reports whether
// the body sets local_networks.
func convert(body *fileBody) (p *segment.Policy, diags hcl.Diagnostics, local bool) {
	if body.LocalNetworks != nil {
		v, vd := body.LocalNetworks.Value(nil)
		local = vd.HasErrors() || !v.IsNull()
	}
	d := &decoder{}
	p = &segment.Policy{LocalNetworks: d.prefixes(body.LocalNetworks, "local_networks")}
	for _, z := range body.Zones {
		zone := segment.Zone{Name: z.Name, CIDRs: d.prefixes(z.CIDRs, "zone "+z.Name), Loc: Loc(z.Def)}
		if s := z.Spike; s != nil {
			zone.Spike = &segment.SpikePolicy{
				Window: d.duration(s.Window, s.WindowRange, "spike window"), DeviceLimit: s.DeviceLimit, ZoneLimit: s.ZoneLimit,
				Learn: s.Learn, Factor: s.Factor, Calm: d.duration(s.Calm, s.CalmRange, "spike calm"), Segment: s.Segment, Loc: Loc(s.Def),
			}
		}
		p.Zones = append(p.Zones, zone)
	}
	for _, c := range body.Controllers {
		ctl := segment.Controller{Class: c.Class, Loc: Loc(c.Def)}
		for _, s := range c.Addrs {
			a, err := netip.ParseAddr(s)
			if err != nil {
				d.errf(c.AddrsRange, "Invalid address", "controller %q: %q is not an IP address", c.Class, s)
				continue
			}
			ctl.Addrs = append(ctl.Addrs, a.Unmap())
		}
		p.Controllers = append(p.Controllers, ctl)
	}
	for _, pr := range body.Profiles {
		p.Profiles = append(p.Profiles, segment.Profile{Name: pr.Name, Manufacturer: pr.Manufacturer, Model: pr.Model,
			Rules: d.rules(pr.Rules, "profile "+pr.Name), Loc: Loc(pr.Def)})
	}
	for _, dv := range body.Devices {
		dev := segment.Device{Name: dv.Name, Zone: dv.Zone, Type: dv.Type, Manufacturer: dv.Manufacturer, Model: dv.Model,
			Profile: dv.Profile, Rules: d.rules(dv.Rules, "device "+dv.Name), Loc: Loc(dv.Def),
			ZoneLoc: Loc(dv.ZoneRange), ProfileLoc: Loc(dv.ProfileRange)}
		a, err := netip.ParseAddr(dv.Address)
		if err != nil || a.Zone() != "" {
			d.errf(dv.AddressRange, "Invalid address", "device %q: %q is not an IP address", dv.Name, dv.Address)
		}
		dev.Addr = a.Unmap()
		p.Devices = append(p.Devices, dev)
	}
	for _, c := range body.Conduits {
		what := fmt.Sprintf("conduit %q", c.Name)
		p.Conduits = append(p.Conduits, segment.Conduit{Name: c.Name, From: c.From, To: c.To, Proto: d.proto(c.Proto, c.ProtoRange, what),
			DstPorts: d.ports(c.Ports, what), Monitoring: c.Monitoring, Loc: Loc(c.Def), FromLoc: Loc(c.FromRange), ToLoc: Loc(c.ToRange)})
	}
	if d.diags.HasErrors() {
		return nil, d.diags, local
	}
	return p, nil, local
}

// IssueDiagnostics turns segment.Validate's issues into HCL diagnostics
// pointing into the policy file.
func IssueDiagnostics(issues []segment.Issue) hcl.Diagnostics {
	var out hcl.Diagnostics
	for _, i := range issues {
		sev := hcl.DiagError
		summary := "Policy error"
		if i.Severity == segment.Warning {
			sev, summary = hcl.DiagWarning, "Policy warning"
		}
		detail := i.Msg
		if !i.Related.IsZero() {
			detail += " (see " + i.Related.String() + ")"
		}
		out = append(out, &hcl.Diagnostic{Severity: sev, Summary: summary, Detail: detail, Subject: Range(i.Loc)})
	}
	return out
}

// Load parses a policy file and validates it: the policy, its warnings as
// diagnostics, and the file for rendering them. Errors (syntax, values or
// Validate's) come back as diagnostics with a nil policy.
func Load(filename string, src []byte) (*segment.Policy, *hcl.File, hcl.Diagnostics) {
	p, f, diags, _ := LoadContext(context.Background(), filename, src)
	return p, f, diags
}

// LoadContext is Load that stops early, with ctx's error, when ctx ends.
func LoadContext(ctx context.Context, filename string, src []byte) (*segment.Policy, *hcl.File, hcl.Diagnostics, error) {
	p, f, diags, err := ParseContext(ctx, filename, src)
	if err != nil || diags.HasErrors() {
		return nil, f, diags, err
	}
	issues, err := segment.ValidateContext(ctx, p)
	if err != nil {
		return nil, f, nil, err
	}
	vd := IssueDiagnostics(issues)
	if vd.HasErrors() {
		return nil, f, vd, nil
	}
	return p, f, vd, nil
}

// WriteDiagnostics renders diags as Ward prints HCL diagnostics: a first
// line "file:line:column: Severity: summary", the source snippet, then
// the detail.
func WriteDiagnostics(w io.Writer, f *hcl.File, diags hcl.Diagnostics) error {
	files := map[string]*hcl.File{}
	if f != nil {
		for _, d := range diags {
			if d.Subject != nil {
				files[d.Subject.Filename] = f
			}
		}
	}
	var buf bytes.Buffer
	tw := hcl.NewDiagnosticTextWriter(&buf, files, 0, false)
	for _, d := range diags {
		buf.Reset()
		if d.Subject != nil {
			fmt.Fprintf(&buf, "%s:%d:%d: ", d.Subject.Filename, d.Subject.Start.Line, d.Subject.Start.Column)
		}
		if err := tw.WriteDiagnostic(d); err != nil {
			return err
		}
		if _, err := w.Write(buf.Bytes()); err != nil {
			return err
		}
	}
	return nil
}

// checkBounds refuses a file over inputlimit.MaxPolicyFile or nested
// deeper than inputlimit.MaxNesting before the recursive parser sees it.
func checkBounds(filename string, src []byte) hcl.Diagnostics {
	if len(src) > inputlimit.MaxPolicyFile {
		return hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "File too large",
			Detail: fmt.Sprintf("%s: more than %d bytes", filename, inputlimit.MaxPolicyFile)}}
	}
	var de *inputlimit.DepthError
	if errors.As(inputlimit.CheckHCLNesting(src, inputlimit.MaxNesting), &de) {
		pos := hcl.Pos{Line: de.Line, Column: de.Column, Byte: de.Offset}
		return hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Nested too deeply",
			Detail:  fmt.Sprintf("more than %d brackets, parentheses, braces or templates are open here; the file is not parsed", de.Limit),
			Subject: &hcl.Range{Filename: filename, Start: pos, End: hcl.Pos{Line: pos.Line, Column: pos.Column + 1, Byte: pos.Byte + 1}}}}
	}
	return nil
}
