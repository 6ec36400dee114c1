package netdrv_test

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wardsec/ward/controls"
	"github.com/wardsec/ward/features"
	"github.com/wardsec/ward/internal/realsrv"
	"github.com/wardsec/ward/pkg/control"
	"github.com/wardsec/ward/pkg/device"
	"github.com/wardsec/ward/pkg/device/netdrv"
	"github.com/wardsec/ward/pkg/evidence"
	"github.com/wardsec/ward/pkg/harness"
)

// truth reads a boolean or string truth, false/"" when absent.
func truthB(tr realsrv.Truths, k string) bool { b, _ := tr[k].(bool); return b }
func truthS(tr realsrv.Truths, k string) string {
	s, _ := tr[k].(string)
	return s
}

// expected derives, from a server's truth table, the findings net:// must
// report (kind and a fragment of the detail) and the outcome per control.
func expected(s *realsrv.Server) (finds [][2]string, outcome map[string]evidence.Outcome) {
	tr := s.Truths
	proto := s.Ports[0].Protocol
	if truthB(tr, realsrv.AnyCallingAE) && truthB(tr, realsrv.AnyCalledAE) {
		d := "DICOM accepted an association from unknown calling AE"
		if truthB(tr, realsrv.CEcho) {
			d = "answered C-ECHO with success"
		}
		finds = append(finds, [2]string{device.FindingUnauthenticated, d})
	}
	if proto == "mqtt" && truthB(tr, realsrv.AnonymousAccess) {
		d := "MQTT broker accepted a CONNECT without credentials"
		if truthB(tr, realsrv.WildcardSubscribe) {
			d = "granted a subscription to every topic (#)"
		}
		finds = append(finds, [2]string{device.FindingUnauthenticated, d})
		if truthS(tr, realsrv.PatientData) != "" {
			// The patient's retained message is delivered on "#"; its
			// content is never kept.
			finds = append(finds, [2]string{device.FindingUnauthenticated, "retained messages to it"})
		}
	}
	if dc := truthS(tr, realsrv.DefaultCredentials); dc != "" {
		switch truthS(tr, realsrv.AuthMechanism) {
		case "http-basic":
			finds = append(finds, [2]string{device.FindingDefaultCredentials, "HTTP Basic accepted " + strings.Replace(dc, ":", "/", 1)})
		case "ssh-password":
			finds = append(finds, [2]string{device.FindingDefaultCredentials, "SSH password login accepted " + strings.Replace(dc, ":", "/", 1)})
		case "ftp-password":
			finds = append(finds, [2]string{device.FindingDefaultCredentials, "FTP accepted "})
		case "telnet-login":
			// root:root works too: a probe may report either.
			finds = append(finds, [2]string{device.FindingDefaultCredentials, "telnet login accepted "})
		case "snmp-v2c-community":
			finds = append(finds, [2]string{device.FindingUnauthenticated, "answered community \"" + dc + "\""})
		}
	}
	if v := truthS(tr, realsrv.TLSMinVersion); v == "TLS1.0" || v == "TLS1.1" {
		finds = append(finds, [2]string{device.FindingLegacyTLS, "accepts TLS 1." + v[len(v)-1:]})
	}
	if truthB(tr, realsrv.CertExpired) {
		finds = append(finds, [2]string{device.FindingWeakCertificate, "expired on"})
	}
	if bits, ok := tr[realsrv.RSAKeyBits].(int); ok && bits < 2048 {
		finds = append(finds, [2]string{device.FindingWeakCertificate, "RSA key of " + strconv.Itoa(bits) + " bits"})
	}
	if truthB(tr, realsrv.SelfSigned) {
		finds = append(finds, [2]string{device.FindingWeakCertificate, "self-signed"})
	}
	if truthB(tr, realsrv.HostnameMismatch) {
		finds = append(finds, [2]string{device.FindingWeakCertificate, "is not valid for"})
	}
	outcome = map[string]evidence.Outcome{
		"FDA-PMC-AUTHN-1": evidence.NotApplicable, "FDA-PMC-AUTHN-3": evidence.NotApplicable, "FDA-PMC-CRYPTO-1": evidence.NotApplicable,
	}
	for _, f := range finds {
		switch f[0] {
		case device.FindingDefaultCredentials:
			outcome["FDA-PMC-AUTHN-1"] = evidence.NotSatisfied
		case device.FindingUnauthenticated:
			outcome["FDA-PMC-AUTHN-3"] = evidence.NotSatisfied
		default:
			outcome["FDA-PMC-CRYPTO-1"] = evidence.NotSatisfied
		}
	}
	return finds, outcome
}

func automated(t testing.TB) *control.Catalogue {
	cat, _, _, diags := control.Lint(controls.FS, features.FS)
	require.False(t, diags.HasErrors(), "%v", diags)
	auto := *cat
	auto.Controls = nil
	for _, c := range cat.Controls {
		if c.Verification.Method == control.MethodScenario {
			auto.Controls = append(auto.Controls, c)
		}
	}
	return &auto
}

// Each real server, as configured from its Debian package, judged by a
// full net:// run (all 65,535 TCP ports, the UDP ports it serves): every
// truth its table lists that the probes cover is found, nothing it does
// not have is reported, and each control comes out as the truths say.
func TestNetDriverOnRealServers(t *testing.T) {
	kinds := append(realsrv.Kinds(), realsrv.NginxStrongTLS)
	cat := automated(t)
	for _, kind := range kinds {
		t.Run(string(kind), func(t *testing.T) {
			t.Parallel()
			s, err := realsrv.Start(context.Background(), t, kind)
			require.NoError(t, err)
			var udp []string
			for _, p := range s.Ports {
				if p.Proto == "udp" {
					udp = append(udp, strconv.Itoa(p.Port))
				}
			}
			target := "net://" + s.Addr + "?timeout=3s"
			if len(udp) > 0 {
				target += "&udp=" + strings.Join(udp, ",")
			}
			drv := netdrv.New()
			reg := device.NewRegistry()
			require.NoError(t, reg.Register(netdrv.Scheme, drv.Open))
			d, err := reg.Open(context.Background(), target)
			require.NoError(t, err)
			reports, err := d.(device.ServiceProber).ProbeServices(context.Background())
			require.NoError(t, err)
			var got []string
			for _, r := range reports {
				t.Logf("%s/%s %s: checked %q", r.Address, r.Transport, r.Protocol, r.Checked)
				for _, f := range r.Findings {
					got = append(got, f.Kind+": "+f.Detail)
				}
			}
			// Every TCP port the server was configured with, and no other, is found.
			lp, err := d.(device.PortLister).ListeningPorts(context.Background())
			require.NoError(t, err)
			var wantPorts, gotPorts []string
			for _, p := range s.Ports {
				wantPorts = append(wantPorts, fmt.Sprintf("%s/%d", p.Proto, p.Port))
			}
			for _, p := range lp {
				gotPorts = append(gotPorts, fmt.Sprintf("%s/%d", p.Proto, p.Port))
			}
			assert.ElementsMatch(t, wantPorts, gotPorts)
			for _, r := range reports {
				i := slices.IndexFunc(s.Ports, func(p realsrv.Port) bool { return strings.HasSuffix(r.Address, ":"+strconv.Itoa(p.Port)) })
				if i >= 0 && r.Transport == s.Ports[i].Proto && s.Ports[i].Protocol != "snmp" {
					assert.Equal(t, s.Ports[i].Protocol, r.Protocol, "protocol of %s", r.Address)
				}
			}
			finds, outcome := expected(s)
			for _, f := range finds {
				assert.True(t, slices.ContainsFunc(got, func(g string) bool {
					return strings.HasPrefix(g, f[0]+": ") && strings.Contains(g, f[1])
				}), "truth not found: %s %q in %q", f[0], f[1], got)
			}
			for _, g := range got {
				assert.True(t, slices.ContainsFunc(finds, func(f [2]string) bool {
					return strings.HasPrefix(g, f[0]+": ")
				}), "finding with no truth behind it: %s", g)
			}
			t.Logf("%s: full TCP scan and probes in %v", kind, d.(*netdrv.Device).Elapsed())

			r := harness.New(reg, cat, features.FS, harness.WithControls("FDA-PMC-AUTHN-1", "FDA-PMC-AUTHN-3", "FDA-PMC-CRYPTO-1", "HIPAA-164.312-e-2-ii"))
			res, _, err := r.Check(context.Background(), target)
			require.NoError(t, err)
			table := map[string]evidence.Outcome{}
			for _, c := range res.Controls {
				table[c.ID] = c.Outcome
				t.Logf("%-22s %-14s %s", c.ID, c.Outcome, c.Reason)
			}
			e2 := table["HIPAA-164.312-e-2-ii"]
			delete(table, "HIPAA-164.312-e-2-ii")
			if truthB(s.Truths, realsrv.Cleartext) {
				// Never a pass; whether the transport scenarios call a
				// cleartext service a CRYPTO-1 finding too is theirs. (The
				// transport checks before main's e653270 passed such
				// servers: this subtest fails with them.)
				t.Run("encryption in transit never satisfied", func(t *testing.T) {
					assert.NotEqual(t, evidence.Satisfied, e2, "HIPAA-164.312-e-2-ii on a server that carries data in cleartext")
					assert.NotEqual(t, evidence.Satisfied, table["FDA-PMC-CRYPTO-1"], "CRYPTO-1 on a cleartext server")
				})
				delete(table, "FDA-PMC-CRYPTO-1")
				delete(outcome, "FDA-PMC-CRYPTO-1")
			}
			assert.Equal(t, outcome, table)
		})
	}
}

// One device with five services (DICOM, MQTT, web, SSH, SNMP) at one
// address: a full net:// run finds each service and each truth's finding
// there, in one survey whose time is logged (the figure the docs quote).
func TestNetDriverOnRealMultiServiceHost(t *testing.T) {
	kinds := []realsrv.Kind{realsrv.Storescp, realsrv.Mosquitto, realsrv.NginxHTTP, realsrv.OpenSSH, realsrv.Snmpd}
	h, err := realsrv.StartHost(context.Background(), t, kinds)
	require.NoError(t, err)
	d, err := netdrv.New().Open(context.Background(), mustURL(t, "net://"+h.Addr+"?udp=161&timeout=3s"))
	require.NoError(t, err)
	reports, err := d.(device.ServiceProber).ProbeServices(context.Background())
	require.NoError(t, err)
	got := map[string][]string{}
	for _, r := range reports {
		for _, f := range r.Findings {
			got[r.Protocol] = append(got[r.Protocol], f.Kind)
		}
	}
	assert.Equal(t, map[string][]string{
		"dicom": {device.FindingUnauthenticated},
		"mqtt":  {device.FindingUnauthenticated},
		"http":  {device.FindingDefaultCredentials},
		"ssh":   {device.FindingDefaultCredentials},
		"snmp":  {device.FindingUnauthenticated, device.FindingUnauthenticated}, // v1 and v2c
	}, got)
	t.Logf("one host, %d services: full TCP scan and probes in %v", len(reports), d.(*netdrv.Device).Elapsed())
}

func mustURL(t *testing.T, s string) *url.URL {
	u, err := url.Parse(s)
	require.NoError(t, err)
	return u
}
