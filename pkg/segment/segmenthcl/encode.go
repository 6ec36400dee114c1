package segmenthcl

import (
	"github.com/hashicorp/hcl/v2/hclwrite"
	"github.com/zclconf/go-cty/cty"

	"github.com/wardsec/ward/pkg/segment"
)

func strList(ss []string) cty.Value {
	if len(ss) == 0 {
		return cty.ListValEmpty(cty.String)
	}
	vs := make([]cty.Value, len(ss))
	for i, s := range ss {
		vs[i] = cty.StringVal(s)
	}
	return cty.ListVal(vs)
}

func portList(rs []segment.PortRange) []string {
	var out []string
	for _, r := range rs {
		out = append(out, r.String())
	}
	return out
}

func setOpt(b *hclwrite.Body, name, v string) {
	if v != "" {
		b.SetAttributeValue(name, cty.StringVal(v))
	}
}

func writeRules(b *hclwrite.Body, rs []segment.Rule) {
	for _, r := range rs {
		b.AppendNewline()
		rb := b.AppendNewBlock("allow", []string{r.Name}).Body()
		rb.SetAttributeValue("direction", cty.StringVal(r.Direction.String()))
		rb.SetAttributeValue("peer", cty.StringVal(r.Peer.String()))
		if r.Proto != segment.ProtoAny {
			rb.SetAttributeValue("proto", cty.StringVal(r.Proto.String()))
		}
		if len(r.DstPorts) > 0 {
			rb.SetAttributeValue("ports", strList(portList(r.DstPorts)))
		}
		if len(r.SrcPorts) > 0 {
			rb.SetAttributeValue("src_ports", strList(portList(r.SrcPorts)))
		}
		if r.Initiator != segment.InitDefault {
			rb.SetAttributeValue("initiator", cty.StringVal(r.Initiator.String()))
		}
		if r.Family != segment.FamilyAny {
			rb.SetAttributeValue("family", cty.StringVal(r.Family.String()))
		}
	}
}

// Encode writes p in the policy language Parse reads. Parse(Encode(p))
// gives back p without its locations.
func Encode(p *segment.Policy) []byte {
	f := hclwrite.NewEmptyFile()
	b := f.Body()
	if len(p.LocalNetworks) > 0 {
		var ss []string
		for _, n := range p.LocalNetworks {
			ss = append(ss, n.String())
		}
		b.SetAttributeValue("local_networks", strList(ss))
	}
	for _, z := range p.Zones {
		b.AppendNewline()
		zb := b.AppendNewBlock("zone", []string{z.Name}).Body()
		var ss []string
		for _, c := range z.CIDRs {
			ss = append(ss, c.String())
		}
		if len(ss) > 0 {
			zb.SetAttributeValue("cidrs", strList(ss))
		}
		if s := z.Spike; s != nil {
			sb := zb.AppendNewBlock("spike", nil).Body()
			sb.SetAttributeValue("window", cty.StringVal(s.Window.String()))
			if s.DeviceLimit > 0 {
				sb.SetAttributeValue("device_limit", cty.NumberUIntVal(s.DeviceLimit))
			}
			if s.ZoneLimit > 0 {
				sb.SetAttributeValue("zone_limit", cty.NumberUIntVal(s.ZoneLimit))
			}
			if s.Learn {
				sb.SetAttributeValue("learn", cty.True)
			}
			if s.Factor != 0 {
				sb.SetAttributeValue("factor", cty.NumberFloatVal(s.Factor))
			}
			if s.Calm > 0 {
				sb.SetAttributeValue("calm", cty.StringVal(s.Calm.String()))
			}
			if s.Segment {
				sb.SetAttributeValue("quarantine_segment", cty.True)
			}
		}
	}
	for _, c := range p.Controllers {
		b.AppendNewline()
		cb := b.AppendNewBlock("controller", []string{c.Class}).Body()
		var ss []string
		for _, a := range c.Addrs {
			ss = append(ss, a.String())
		}
		cb.SetAttributeValue("addresses", strList(ss))
	}
	for _, pr := range p.Profiles {
		b.AppendNewline()
		pb := b.AppendNewBlock("profile", []string{pr.Name}).Body()
		setOpt(pb, "manufacturer", pr.Manufacturer)
		setOpt(pb, "model", pr.Model)
		writeRules(pb, pr.Rules)
	}
	for _, d := range p.Devices {
		b.AppendNewline()
		db := b.AppendNewBlock("device", []string{d.Name}).Body()
		db.SetAttributeValue("address", cty.StringVal(d.Addr.String()))
		db.SetAttributeValue("zone", cty.StringVal(d.Zone))
		setOpt(db, "type", d.Type)
		setOpt(db, "manufacturer", d.Manufacturer)
		setOpt(db, "model", d.Model)
		setOpt(db, "profile", d.Profile)
		writeRules(db, d.Rules)
	}
	for _, c := range p.Conduits {
		b.AppendNewline()
		cb := b.AppendNewBlock("conduit", []string{c.Name}).Body()
		cb.SetAttributeValue("from", cty.StringVal(c.From))
		cb.SetAttributeValue("to", cty.StringVal(c.To))
		if c.Proto != segment.ProtoAny {
			cb.SetAttributeValue("proto", cty.StringVal(c.Proto.String()))
		}
		if len(c.DstPorts) > 0 {
			cb.SetAttributeValue("ports", strList(portList(c.DstPorts)))
		}
		if c.Monitoring {
			cb.SetAttributeValue("monitoring", cty.True)
		}
	}
	return f.Bytes()
}
