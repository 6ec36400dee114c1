package harness

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/wardsec/ward/pkg/device"
	"github.com/wardsec/ward/pkg/netprobe"
)

// Network probe checks: every network service of the device is examined
// from the network, black-box, as any peer could (package netprobe):
// default credentials on the login mechanisms found, protocols that grant
// access to any caller, and certificate quality. A driver that probes for
// itself (device.ServiceProber, the net:// driver) is asked for its
// reports; for any other device with declared endpoints (device.Transport)
// the harness probes those endpoints itself.

// probeTimeout bounds each connection and read of a harness-run probe;
// probeBannerWait is how long it waits for a service that speaks first.
const (
	probeTimeout    = 5 * time.Second
	probeBannerWait = 500 * time.Millisecond
)

func registerNetProbeSteps(s *StepSet) {
	s.Step(`^the harness probes every network service of the device$`, stepProbeServices)
	s.Step(`^no login found on the device's services accepts vendor default credentials$`, stepNoDefaultCredentials)
	s.Step(`^no recognised service grants access to an unauthenticated caller$`, stepNoUnauthenticated)
	s.Step(`^no network service presents a weak certificate or accepts TLS below 1\.2$`, stepSoundCertificates)
}

func stepProbeServices(ctx context.Context) error {
	w := worldFrom(ctx)
	var reports []device.ServiceReport
	if sp, err := device.As[device.ServiceProber](w.dev, device.Label[device.ServiceProber]()); err == nil {
		if reports, err = sp.ProbeServices(ctx); err != nil {
			if errors.Is(err, device.ErrUnsupported) {
				return skip(w, err)
			}
			return fmt.Errorf("probe the device's services: %w", err)
		}
	} else {
		eps, err := endpoints(ctx, w)
		if err != nil {
			return err
		}
		now := time.Now
		// A test build whose clock the harness moves lives on that
		// clock: its certificates are judged at the time it believes.
		if cc, err := device.As[device.ClockControl](w.dev, device.Label[device.ClockControl]()); err == nil {
			if t, err := cc.DeviceTime(ctx); err == nil {
				now = func() time.Time { return t }
				w.observe("certificates judged at the device's clock, %s", t.UTC().Format(time.RFC3339))
			}
		}
		if reports, err = probeEndpoints(ctx, eps, now); err != nil {
			return err
		}
	}
	if len(reports) == 0 {
		return skip(w, &device.UnsupportedError{Capability: "network services (none found)"})
	}
	w.mu.Lock()
	w.np = reports
	w.mu.Unlock()
	if b, err := json.MarshalIndent(reports, "", "  "); err == nil {
		w.attach("services.json", "application/json", b)
	}
	for _, r := range reports {
		w.observe("%s/%s: %s, %d findings", r.Address, r.Transport, r.Protocol, len(r.Findings))
	}
	return nil
}

// probeEndpoints probes declared endpoints. The protocol a device
// declares is a hint only; the CA it declares pins its certificates.
func probeEndpoints(ctx context.Context, eps []device.Endpoint, now func() time.Time) ([]device.ServiceReport, error) {
	out := make([]device.ServiceReport, 0, len(eps))
	for _, ep := range eps {
		ap, err := netip.ParseAddrPort(ep.Address)
		if err != nil {
			// A name: resolve it once, for this endpoint only.
			host, port, serr := net.SplitHostPort(ep.Address)
			if serr != nil {
				return nil, fmt.Errorf("endpoint %s: address %q: %w", ep.Name, ep.Address, serr)
			}
			addrs, lerr := net.DefaultResolver.LookupNetIP(ctx, "ip", host)
			if lerr != nil || len(addrs) == 0 {
				return nil, fmt.Errorf("endpoint %s: resolve %q: %v", ep.Name, host, lerr)
			}
			if ap, err = netip.ParseAddrPort(net.JoinHostPort(addrs[0].String(), port)); err != nil {
				return nil, fmt.Errorf("endpoint %s: %w", ep.Name, err)
			}
		}
		host, _, _ := net.SplitHostPort(ep.Address)
		opts := []netprobe.ProbeOption{netprobe.WithTimeout(probeTimeout), netprobe.WithBannerWait(probeBannerWait),
			netprobe.WithServerName(host), netprobe.WithClock(now)}
		if len(ep.CA) > 0 {
			roots := x509.NewCertPool()
			if !roots.AppendCertsFromPEM(ep.CA) {
				return nil, fmt.Errorf("endpoint %s: its declared CA holds no PEM certificate", ep.Name)
			}
			opts = append(opts, netprobe.WithRoots(roots))
		}
		p, err := netprobe.NewProber(opts...)
		if err != nil {
			return nil, err
		}
		r := p.ProbeTCP(ctx, ap, ep.Protocol).Report(ap.Addr())
		r.Checked = append([]string{fmt.Sprintf("declared as %q (%s)", printableName(ep.Name), ep.Protocol)}, r.Checked...)
		out = append(out, r)
	}
	return out, nil
}

// printableName keeps a device-supplied name printable and short.
func printableName(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c < 0x20 || c >= 0x7f {
			b[i] = '.'
		}
	}
	return string(b[:min(len(b), 64)])
}

func probeReports(ctx context.Context) ([]device.ServiceReport, error) {
	w := worldFrom(ctx)
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.np == nil {
		return nil, errors.New("no probe ran in this scenario")
	}
	return w.np, nil
}

func findings(reports []device.ServiceReport, kinds ...string) []string {
	var out []string
	for _, r := range reports {
		for _, f := range r.Findings {
			if slices.Contains(kinds, f.Kind) {
				out = append(out, fmt.Sprintf("%s (%s): %s", r.Address, r.Protocol, f.Detail))
			}
		}
	}
	return out
}

// verdict fails with the findings. Otherwise the claim is about the
// services the probes could judge: with none judged it is not applicable
// (a doubt is never a pass); services left unjudged (an unknown protocol)
// are named in the evidence, outside the claim.
func verdict(ctx context.Context, what string, found, judged, unjudged []string) error {
	w := worldFrom(ctx)
	if len(found) > 0 {
		return fmt.Errorf("%s: %s", what, strings.Join(found, "; "))
	}
	if len(judged) == 0 {
		return skip(w, &device.UnsupportedError{Capability: "a service the probes can judge (could not judge " + strings.Join(unjudged, ", ") + ")"})
	}
	if len(unjudged) > 0 {
		w.observe("outside this check, not judged: %s", strings.Join(unjudged, ", "))
	}
	return nil
}

func stepNoDefaultCredentials(ctx context.Context) error {
	reports, err := probeReports(ctx)
	if err != nil {
		return err
	}
	w := worldFrom(ctx)
	// A driver that logs in (device.Authenticator) does so over the
	// device's web service; the login scenarios try the defaults there.
	_, authErr := device.As[device.Authenticator](w.dev, device.Label[device.Authenticator]())
	var judged, unjudged []string
	for _, r := range reports {
		switch {
		case r.CredentialsTested:
			judged = append(judged, r.Address)
			w.observe("%s (%s): login tried with default credentials", r.Address, r.Protocol)
		case r.NoLogin:
			judged = append(judged, r.Address)
			w.observe("%s (%s): no password login to try", r.Address, r.Protocol)
		case (r.Protocol == "http" || r.Protocol == "https") && authErr == nil:
			judged = append(judged, r.Address)
			w.observe("%s (%s): its login is the driver's; the default-credential login scenario tries the defaults there", r.Address, r.Protocol)
		case r.Transport == "udp" && r.Protocol == "unknown":
			// A UDP port that did not answer offers nothing to log in to.
		default:
			unjudged = append(unjudged, fmt.Sprintf("%s (%s: no login mechanism Ward can try)", r.Address, r.Protocol))
		}
	}
	return verdict(ctx, "vendor default credentials accepted", findings(reports, device.FindingDefaultCredentials), judged, unjudged)
}

func stepNoUnauthenticated(ctx context.Context) error {
	reports, err := probeReports(ctx)
	if err != nil {
		return err
	}
	w := worldFrom(ctx)
	var judged, unjudged []string
	for _, r := range reports {
		switch {
		case r.AccessTested:
			judged = append(judged, r.Address)
			w.observe("%s (%s): tried without credentials", r.Address, r.Protocol)
		case r.Protocol == "http" || r.Protocol == "https":
			w.observe("%s (%s): web access control is judged by the login checks, not here", r.Address, r.Protocol)
		case r.Transport == "udp" && r.Protocol == "unknown":
		default:
			unjudged = append(unjudged, fmt.Sprintf("%s (%s)", r.Address, r.Protocol))
		}
	}
	return verdict(ctx, "services grant access without authentication", findings(reports, device.FindingUnauthenticated), judged, unjudged)
}

func stepSoundCertificates(ctx context.Context) error {
	reports, err := probeReports(ctx)
	if err != nil {
		return err
	}
	w := worldFrom(ctx)
	tlsServices := 0
	for _, r := range reports {
		if r.Certificates > 0 {
			tlsServices++
			w.observe("%s (%s): %d certificates judged", r.Address, r.Protocol, r.Certificates)
		}
	}
	if tlsServices == 0 {
		// Whether a service lacks TLS altogether is the encryption-in-
		// transit scenarios' finding; here there is no certificate to fault.
		w.observe("no service presented a certificate")
	}
	if len(findings(reports, device.FindingWeakCertificate, device.FindingLegacyTLS)) > 0 {
		return fmt.Errorf("weak TLS: %s", strings.Join(findings(reports, device.FindingWeakCertificate, device.FindingLegacyTLS), "; "))
	}
	return nil
}
