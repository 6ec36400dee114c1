package segmenthcl

import (
	"math/big"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
)

// walkFile decodes a parsed file into fileBody the way gohcl.DecodeBody
// does for valid input, by walking the syntax tree directly. It declines
// (ok false) on anything it does not handle exactly as gohcl would: an
// unknown or missing attribute or block, a value of another type than the
// field (gohcl would convert 6 to "6"), a wrong number of labels, a
// repeated single block. The caller then decodes with gohcl, so every
// error and every conversion stays gohcl's. TestChunkedParseMatchesWhole
// and FuzzParse hold the two to the same result.
func walkFile(b *hclsyntax.Body) (*fileBody, bool) {
	out := &fileBody{}
	if !only(b, []string{"local_networks"}, []string{"zone", "controller", "profile", "device", "conduit"}) {
		return nil, false
	}
	if a := b.Attributes["local_networks"]; a != nil {
		out.LocalNetworks = a.Expr
	}
	for _, blk := range b.Blocks {
		if len(blk.Labels) != 1 {
			return nil, false
		}
		def := blk.DefRange()
		var ok bool
		switch blk.Type {
		case "zone":
			z := zoneBlock{Name: blk.Labels[0], Def: def}
			if z.CIDRs, ok = optExpr(blk.Body, "cidrs"); !ok || !only(blk.Body, []string{"cidrs"}, []string{"spike"}) {
				return nil, false
			}
			for _, sb := range blk.Body.Blocks {
				if z.Spike != nil || len(sb.Labels) != 0 {
					return nil, false
				}
				if z.Spike, ok = walkSpike(sb); !ok {
					return nil, false
				}
			}
			out.Zones = append(out.Zones, z)
		case "controller":
			c := controllerBlock{Class: blk.Labels[0], Def: def}
			a := blk.Body.Attributes["addresses"]
			if a == nil || !only(blk.Body, []string{"addresses"}, nil) {
				return nil, false
			}
			if c.Addrs, ok = strListAttr(a); !ok {
				return nil, false
			}
			c.AddrsRange = a.Expr.Range()
			out.Controllers = append(out.Controllers, c)
		case "profile":
			p := profileBlock{Name: blk.Labels[0], Def: def}
			if !only(blk.Body, []string{"manufacturer", "model"}, []string{"allow"}) ||
				!optStr(blk.Body, "manufacturer", &p.Manufacturer, nil) || !optStr(blk.Body, "model", &p.Model, nil) {
				return nil, false
			}
			if p.Rules, ok = walkRules(blk.Body); !ok {
				return nil, false
			}
			out.Profiles = append(out.Profiles, p)
		case "device":
			d := deviceBlock{Name: blk.Labels[0], Def: def}
			if !only(blk.Body, []string{"address", "zone", "type", "manufacturer", "model", "profile"}, []string{"allow"}) ||
				!reqStr(blk.Body, "address", &d.Address, &d.AddressRange) || !reqStr(blk.Body, "zone", &d.Zone, &d.ZoneRange) ||
				!optStr(blk.Body, "type", &d.Type, nil) || !optStr(blk.Body, "manufacturer", &d.Manufacturer, nil) ||
				!optStr(blk.Body, "model", &d.Model, nil) || !optStr(blk.Body, "profile", &d.Profile, &d.ProfileRange) {
				return nil, false
			}
			if d.Rules, ok = walkRules(blk.Body); !ok {
				return nil, false
			}
			out.Devices = append(out.Devices, d)
		case "conduit":
			c := conduitBlock{Name: blk.Labels[0], Def: def}
			if !only(blk.Body, []string{"from", "to", "proto", "ports", "monitoring"}, nil) ||
				!reqStr(blk.Body, "from", &c.From, &c.FromRange) || !reqStr(blk.Body, "to", &c.To, &c.ToRange) ||
				!optStr(blk.Body, "proto", &c.Proto, &c.ProtoRange) || !optBool(blk.Body, "monitoring", &c.Monitoring) {
				return nil, false
			}
			if c.Ports, ok = optExpr(blk.Body, "ports"); !ok {
				return nil, false
			}
			out.Conduits = append(out.Conduits, c)
		default:
			return nil, false
		}
	}
	return out, true
}

func walkSpike(b *hclsyntax.Block) (*spikeBlock, bool) {
	s := &spikeBlock{Def: b.DefRange()}
	ok := only(b.Body, []string{"window", "device_limit", "zone_limit", "learn", "factor", "calm", "quarantine_segment"}, nil) &&
		reqStr(b.Body, "window", &s.Window, &s.WindowRange) && optUint(b.Body, "device_limit", &s.DeviceLimit) &&
		optUint(b.Body, "zone_limit", &s.ZoneLimit) && optBool(b.Body, "learn", &s.Learn) && optFloat(b.Body, "factor", &s.Factor) &&
		optStr(b.Body, "calm", &s.Calm, &s.CalmRange) && optBool(b.Body, "quarantine_segment", &s.Segment)
	return s, ok
}

func walkRules(b *hclsyntax.Body) ([]ruleBlock, bool) {
	var out []ruleBlock
	for _, blk := range b.Blocks {
		if blk.Type != "allow" || len(blk.Labels) != 1 {
			return nil, false
		}
		r := ruleBlock{Name: blk.Labels[0], Def: blk.DefRange()}
		body := blk.Body
		ok := only(body, []string{"direction", "peer", "proto", "ports", "src_ports", "initiator", "family"}, nil) &&
			reqStr(body, "direction", &r.Direction, &r.DirectionRange) && reqStr(body, "peer", &r.Peer, &r.PeerRange) &&
			optStr(body, "proto", &r.Proto, &r.ProtoRange) && optStr(body, "initiator", &r.Initiator, &r.InitRange) &&
			optStr(body, "family", &r.Family, &r.FamilyRange)
		if !ok {
			return nil, false
		}
		if r.Ports, ok = optExpr(body, "ports"); !ok {
			return nil, false
		}
		if r.SrcPorts, ok = optExpr(body, "src_ports"); !ok {
			return nil, false
		}
		out = append(out, r)
	}
	return out, true
}

// only reports whether b has no attributes and blocks but the named ones.
func only(b *hclsyntax.Body, attrs, blocks []string) bool {
	for name := range b.Attributes {
		if !contains(attrs, name) {
			return false
		}
	}
	for _, blk := range b.Blocks {
		if !contains(blocks, blk.Type) {
			return false
		}
	}
	return true
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// value evaluates an attribute without variables; ok is false on errors
// and on null or unknown values.
func value(a *hclsyntax.Attribute) (cty.Value, bool) {
	v, diags := a.Expr.Value(nil)
	if diags.HasErrors() || v.IsNull() || !v.IsWhollyKnown() || v.IsMarked() {
		return cty.NilVal, false
	}
	return v, true
}

// optExpr returns an optional attribute's expression, or the null
// expression gohcl puts in place of a missing one.
func optExpr(b *hclsyntax.Body, name string) (hcl.Expression, bool) {
	if a := b.Attributes[name]; a != nil {
		return a.Expr, true
	}
	return hcl.StaticExpr(cty.NullVal(cty.DynamicPseudoType), b.MissingItemRange()), true
}

func optStr(b *hclsyntax.Body, name string, dst *string, rng *hcl.Range) bool {
	a := b.Attributes[name]
	if a == nil {
		return true
	}
	v, ok := value(a)
	if !ok || v.Type() != cty.String {
		return false
	}
	*dst = v.AsString()
	if rng != nil {
		*rng = a.Expr.Range()
	}
	return true
}

func reqStr(b *hclsyntax.Body, name string, dst *string, rng *hcl.Range) bool {
	return b.Attributes[name] != nil && optStr(b, name, dst, rng)
}

func optBool(b *hclsyntax.Body, name string, dst *bool) bool {
	a := b.Attributes[name]
	if a == nil {
		return true
	}
	v, ok := value(a)
	if !ok || v.Type() != cty.Bool {
		return false
	}
	*dst = v.True()
	return true
}

func optUint(b *hclsyntax.Body, name string, dst *uint64) bool {
	a := b.Attributes[name]
	if a == nil {
		return true
	}
	v, ok := value(a)
	if !ok || v.Type() != cty.Number {
		return false
	}
	u, acc := v.AsBigFloat().Uint64()
	if acc != big.Exact {
		return false
	}
	*dst = u
	return true
}

func optFloat(b *hclsyntax.Body, name string, dst *float64) bool {
	a := b.Attributes[name]
	if a == nil {
		return true
	}
	v, ok := value(a)
	if !ok || v.Type() != cty.Number {
		return false
	}
	f, acc := v.AsBigFloat().Float64()
	if acc != big.Exact {
		return false
	}
	*dst = f
	return true
}

// strListAttr reads a list of strings (gohcl's []string).
func strListAttr(a *hclsyntax.Attribute) ([]string, bool) {
	v, ok := value(a)
	if !ok || !(v.Type().IsTupleType() || v.Type().IsListType()) {
		return nil, false
	}
	out := []string{}
	for it := v.ElementIterator(); it.Next(); {
		_, e := it.Element()
		if e.IsNull() || e.Type() != cty.String {
			return nil, false
		}
		out = append(out, e.AsString())
	}
	return out, true
}
