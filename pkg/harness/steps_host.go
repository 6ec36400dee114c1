package harness

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode"

	"github.com/wardsec/ward/pkg/device"
	"github.com/wardsec/ward/pkg/osv"
)

// Host configuration checks on a device's operating system (embedded
// Linux over SSH; a simulator's model of one): remote-login settings,
// accounts, private key files.
func registerHostSteps(s *StepSet) {
	s.Step(`^the device's host configuration$`, stepHostFacts)
	s.Step(`^its SSH server accepts no password logins and no root login with a password$`, stepSSHDNoPasswords)
	s.Step(`^its SSH server offers no weak cipher, MAC or key exchange$`, stepSSHDNoWeakCrypto)
	s.Step(`^no local account has an empty password$`, stepNoEmptyPasswords)
	s.Step(`^no private key file is readable by every user$`, stepNoExposedKeys)
	s.Step(`^no installed package is affected by an advisory supplied for it$`, stepNoAdvisoryApplies)
	s.Step(`^no network service runs as root unless the target allows it$`, stepNoRootServices)
	s.Step(`^its logs hold no private key and none of the secrets the target names$`, stepNoLogSecrets)
}

type hostKey struct{}

func stepHostFacts(ctx context.Context) (context.Context, error) {
	w := worldFrom(ctx)
	hc, err := capability[device.HostConfig](w, device.Label[device.HostConfig]())
	if err != nil {
		return ctx, err
	}
	f, err := hc.HostFacts(ctx)
	if errors.Is(err, device.ErrUnsupported) {
		return ctx, skip(w, err)
	}
	if err != nil {
		return ctx, fmt.Errorf("read the host configuration: %w", err)
	}
	if b, err := json.MarshalIndent(f, "", "  "); err == nil {
		w.attach("host-facts.json", "application/json", b)
	}
	return context.WithValue(ctx, hostKey{}, &f), nil
}

// hostFact returns the facts when fact was observed, and skips the
// scenario (not applicable, with the driver's reason) when it was not.
func hostFact(ctx context.Context, fact string) (*device.HostFacts, error) {
	w := worldFrom(ctx)
	f, ok := ctx.Value(hostKey{}).(*device.HostFacts)
	if !ok {
		return nil, errors.New("scenario bug: the host configuration was not read")
	}
	if why, missing := f.Unobserved[fact]; missing {
		return nil, skip(w, &device.UnsupportedError{Capability: fmt.Sprintf("host fact %q (%s)", fact, why)})
	}
	var have bool
	switch fact {
	case device.FactSSHD:
		have = f.SSHD != nil
	case device.FactAccounts:
		have = f.Accounts != nil
	case device.FactExposedKeys:
		have = f.ExposedKeys != nil
	case device.FactPackages:
		have = f.Packages != nil
	case device.FactAdvisories:
		have = f.Advisories != nil
	case device.FactRootServices:
		have = f.RootServices != nil
	case device.FactLogSecrets:
		have = f.LogSecrets != nil
	}
	if !have {
		return nil, skip(w, &device.UnsupportedError{Capability: fmt.Sprintf("host fact %q (not reported)", fact)})
	}
	return f, nil
}

// sshdValue is a setting's first word, lower case.
func sshdValue(m map[string]string, k string) string {
	v, _, _ := strings.Cut(strings.TrimSpace(m[k]), " ")
	return strings.ToLower(v)
}

func stepSSHDNoPasswords(ctx context.Context) error {
	w := worldFrom(ctx)
	f, err := hostFact(ctx, device.FactSSHD)
	if err != nil {
		return err
	}
	s := f.SSHD
	var bad []string
	need := func(k string, ok ...string) {
		v, set := s[k]
		if !set {
			bad = append(bad, k+" not reported")
			return
		}
		if !slices.Contains(ok, sshdValue(s, k)) {
			bad = append(bad, k+" "+firstWords(v))
		}
	}
	need("passwordauthentication", "no")
	need("permitemptypasswords", "no")
	need("permitrootlogin", "no", "prohibit-password", "without-password", "forced-commands-only")
	// Keyboard-interactive logins ask for the password through PAM.
	if sshdValue(s, "kbdinteractiveauthentication") != "no" && sshdValue(s, "usepam") == "yes" {
		bad = append(bad, "kbdinteractiveauthentication with usepam yes (passwords through PAM)")
	}
	w.observe("sshd settings from %s", f.SSHDSource)
	if len(bad) > 0 {
		return fmt.Errorf("the SSH server accepts passwords: %s", strings.Join(bad, ", "))
	}
	return matchDoubt(w, f)
}

// matchDoubt makes a passed sshd check not applicable when the
// configuration has Match blocks, whose settings (for some users or
// addresses) were not evaluated: a doubt is never a pass.
func matchDoubt(w *world, f *device.HostFacts) error {
	if f.SSHDConditional {
		return skip(w, &device.UnsupportedError{Capability: "an sshd configuration without Match blocks (their per-user or per-address settings were not evaluated; the global ones passed)"})
	}
	return nil
}

// weakSSH lists algorithm names (or name parts) no device should offer:
// CBC-mode and RC4 ciphers, MD5, RIPEMD-160 and truncated MACs, SHA-1
// Diffie-Hellman key exchanges and DSA host keys.
var weakSSH = map[string][]string{
	"ciphers":           {"-cbc", "arcfour", "3des", "blowfish", "cast128"},
	"macs":              {"md5", "-96", "ripemd160"},
	"kexalgorithms":     {"diffie-hellman-group1-sha1", "diffie-hellman-group14-sha1", "diffie-hellman-group-exchange-sha1"},
	"hostkeyalgorithms": {"ssh-dss"},
}

func stepSSHDNoWeakCrypto(ctx context.Context) error {
	w := worldFrom(ctx)
	f, err := hostFact(ctx, device.FactSSHD)
	if err != nil {
		return err
	}
	var bad, unset []string
	for _, k := range []string{"ciphers", "hostkeyalgorithms", "kexalgorithms", "macs"} {
		v, ok := f.SSHD[k]
		if !ok {
			unset = append(unset, k)
			continue
		}
		for a := range strings.SplitSeq(strings.ToLower(v), ",") {
			a = strings.TrimSpace(a)
			if strings.HasPrefix(a, "-") || strings.HasPrefix(a, "^") {
				continue // "-x" removes x from the defaults; "^" reorders
			}
			for _, weak := range weakSSH[k] {
				if strings.Contains(a, weak) {
					bad = append(bad, k+" "+firstWords(a))
					break
				}
			}
		}
	}
	if len(bad) > 0 {
		return fmt.Errorf("the SSH server offers weak algorithms: %s", strings.Join(bad, ", "))
	}
	if len(unset) > 0 {
		// A config file that leaves them to the build's defaults says
		// nothing about what an old OpenSSH would offer.
		return skip(w, &device.UnsupportedError{Capability: fmt.Sprintf("the SSH server's algorithms (%s not set in %s; its defaults depend on the OpenSSH version)", strings.Join(unset, ", "), f.SSHDSource)})
	}
	w.observe("ciphers, MACs, key exchanges and host key types: none weak (%s)", f.SSHDSource)
	return matchDoubt(w, f)
}

func stepNoEmptyPasswords(ctx context.Context) error {
	w := worldFrom(ctx)
	f, err := hostFact(ctx, device.FactAccounts)
	if err != nil {
		return err
	}
	var empty []string
	for _, a := range f.Accounts {
		if a.Password == "empty" {
			empty = append(empty, fmt.Sprintf("%q", a.Name))
		}
	}
	if len(empty) > 0 {
		return fmt.Errorf("accounts with an empty password (anyone may log in as them): %s", joinBounded(empty))
	}
	w.observe("%d local accounts, none with an empty password", len(f.Accounts))
	return nil
}

func stepNoExposedKeys(ctx context.Context) error {
	w := worldFrom(ctx)
	f, err := hostFact(ctx, device.FactExposedKeys)
	if err != nil {
		return err
	}
	if len(f.ExposedKeys) > 0 {
		names := make([]string, len(f.ExposedKeys))
		for i, k := range f.ExposedKeys {
			names[i] = fmt.Sprintf("%q", k)
		}
		return fmt.Errorf("private keys readable by every user: %s", joinBounded(names))
	}
	w.observe("no private key file is readable by every user")
	return nil
}

// firstWords bounds a device-supplied value for a reason line.
func firstWords(s string) string {
	if len(s) > 80 {
		s = s[:80] + "..."
	}
	q := strconv.Quote(s) // no control character reaches a terminal raw
	return q[1 : len(q)-1]
}

// joinBounded joins at most maxNamed items, saying how many more.
func joinBounded(items []string) string {
	if len(items) > maxNamed {
		return strings.Join(items[:maxNamed], ", ") + fmt.Sprintf(" and %d more", len(items)-maxNamed)
	}
	return strings.Join(items, ", ")
}

func stepNoAdvisoryApplies(ctx context.Context) error {
	w := worldFrom(ctx)
	if _, err := hostFact(ctx, device.FactAdvisories); err != nil {
		return err
	}
	f, err := hostFact(ctx, device.FactPackages)
	if err != nil {
		return err
	}
	scheme := osv.Dpkg // opkg orders versions as dpkg does
	if f.PackageManager == "rpm" {
		scheme = osv.RPM
	}
	// Advisories for another ecosystem say nothing about this device: if
	// none is for its package manager, nothing was checked.
	relevant := 0
	for _, a := range f.Advisories {
		if slices.ContainsFunc(a.Affected, func(af osv.Affected) bool { return scheme.Matches(af.Package.Ecosystem) }) {
			relevant++
		}
	}
	if relevant == 0 {
		return skip(w, &device.UnsupportedError{Capability: fmt.Sprintf("advisories for a %s system (none of the %d supplied is for its ecosystem)", f.PackageManager, len(f.Advisories))})
	}
	var hits []string
	for _, p := range f.Packages {
		for _, a := range f.Advisories {
			if ok, fixed := a.Affects(scheme, p.Name, p.Version); ok {
				h := fmt.Sprintf("%s: %s %s", firstWords(a.ID), firstWords(p.Name), firstWords(p.Version))
				if fixed != "" {
					h += " (fixed in " + firstWords(fixed) + ")"
				}
				hits = append(hits, h)
			}
		}
	}
	w.observe("%d installed packages (%s) against %d advisories (%d for this ecosystem)", len(f.Packages), f.PackageManager, len(f.Advisories), relevant)
	if len(hits) > 0 {
		return fmt.Errorf("installed packages affected by known advisories: %s", joinBounded(hits))
	}
	return nil
}

func stepNoRootServices(ctx context.Context) error {
	w := worldFrom(ctx)
	f, err := hostFact(ctx, device.FactRootServices)
	if err != nil {
		return err
	}
	if len(f.RootServices) > 0 {
		names := make([]string, len(f.RootServices))
		for i, s := range f.RootServices {
			names[i] = fmt.Sprintf("%s/%d on %s (%s, pid %d)", s.Proto, s.Port, firstWords(s.Address), firstWords(s.Process), s.PID)
		}
		return fmt.Errorf("network services running as root: %s", joinBounded(names))
	}
	w.observe("no network-reachable service runs as root, beyond those the target allows")
	return nil
}

func stepNoLogSecrets(ctx context.Context) error {
	w := worldFrom(ctx)
	f, err := hostFact(ctx, device.FactLogSecrets)
	if err != nil {
		return err
	}
	if len(f.LogSecrets) > 0 {
		found := make([]string, len(f.LogSecrets))
		for i, s := range f.LogSecrets {
			found[i] = printable(s)
		}
		return fmt.Errorf("secrets in the device's logs: %s", joinBounded(found))
	}
	w.observe("no private key block and no named secret in the device's logs")
	return nil
}

// printable bounds a device-supplied line and escapes what is not
// printable (no control character reaches a terminal raw), keeping quotes
// as they are.
func printable(s string) string {
	if len(s) > 200 {
		s = s[:200] + "..."
	}
	var b strings.Builder
	for _, r := range s {
		if unicode.IsPrint(r) {
			b.WriteRune(r)
			continue
		}
		q := strconv.QuoteRune(r)
		b.WriteString(q[1 : len(q)-1])
	}
	return b.String()
}
