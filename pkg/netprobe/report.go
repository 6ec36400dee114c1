package netprobe

import (
	"net/netip"
	"strconv"

	"github.com/wardsec/ward/pkg/device"
)

// Report turns what was learned about the TCP service at addr into the
// device package's report.
func (s Service) Report(addr netip.Addr) device.ServiceReport {
	r := device.ServiceReport{
		Address: netip.AddrPortFrom(addr, uint16(s.Port)).String(), Transport: "tcp", Protocol: s.Protocol,
		CredentialsTested: s.CredentialsTested, NoLogin: s.NoLogin, AccessTested: s.AccessTested,
		Checked: append([]string{}, s.Checked...), Findings: []device.ServiceFinding{},
	}
	if s.Banner != "" {
		r.Checked = append([]string{"banner: " + s.Banner}, r.Checked...)
	}
	if s.TLS != nil {
		r.Certificates = len(s.TLS.Chain)
	}
	for _, f := range s.Findings {
		r.Findings = append(r.Findings, device.ServiceFinding{Kind: f.Kind, Detail: f.Detail})
	}
	return r
}

// Report turns an SNMP probe result into the device package's report:
// community "public" answering is unauthenticated access.
func (r SNMPResult) Report(addr netip.Addr) device.ServiceReport {
	out := device.ServiceReport{
		Address: netip.AddrPortFrom(addr, uint16(r.Port)).String(), Transport: "udp", Protocol: "snmp", NoLogin: true,
		Checked: []string{"SNMP v1 and v2c GET sysDescr.0 with community \"public\""}, Findings: []device.ServiceFinding{},
	}
	if len(r.Answered) == 0 {
		// A silent UDP port: nothing can be concluded (closed, or an
		// agent that ignores "public").
		out.Protocol = "unknown"
		out.Checked = append(out.Checked, "no SNMP answer on UDP port "+strconv.Itoa(r.Port))
		return out
	}
	out.AccessTested = true
	for _, v := range r.Answered {
		out.Findings = append(out.Findings, device.ServiceFinding{Kind: KindUnauthenticated,
			Detail: "SNMP " + v + " answered community \"public\" (sysDescr " + strconv.Quote(r.SysDescr) + ")"})
	}
	return out
}
