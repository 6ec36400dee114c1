package sim

import (
	"crypto/fips140"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/wardsec/ward/pkg/device"
)

// Weakness is a protection the simulator can switch off, so the harness can
// be shown to notice. Each weakness names the controls whose scenarios must
// fail when it is on, and no others: that is the harness's own test.
type Weakness struct {
	Name        string `json:"name"`
	Description string `json:"description"`
	// Fails lists the control ids that must come out not-satisfied when this
	// weakness is on (and every other protection is intact).
	Fails []string `json:"fails"`
	// Unapproved is set when the weakness uses an algorithm that Go's
	// FIPS 140-3 mode refuses: under GODEBUG=fips140=only such a unit
	// fails to start instead, which is that mode doing its job.
	Unapproved bool `json:"unapproved,omitempty"`
}

// Weaknesses returns every weakness toggle, sorted by name.
func Weaknesses() []Weakness {
	w := []Weakness{
		{
			Name: "no-audit",
			Description: "records no audit events at all (so failed logins, replayed codes, emergency access and refused updates go unrecorded, " +
				"and the activity review has nothing to review)",
			Fails: []string{"FDA-PMC-AUTHN-4", "FDA-PMC-INTEG-1", "FDA-PMC-LOG-1", "FDA-PMC-LOG-2", "HIPAA-164.308-a-1-ii-D",
				"HIPAA-164.308-a-5-ii-C", "HIPAA-164.308-a-7-ii-C",
				"HIPAA-164.312-a-2-ii", "HIPAA-164.312-b"},
		},
		{
			Name:        "mutable-audit",
			Description: "keeps a plain, unchained, unsigned audit log, so edits go undetected (and records forwarded after an outage cannot be verified)",
			Fails:       []string{"FDA-PMC-LOG-2", "HIPAA-164.308-a-7-ii-C"},
		},
		{
			Name:        "plaintext-storage",
			Description: "stores patient records and accounts unencrypted and unauthenticated (disposal then fails too: crypto-erase cannot unsay plaintext an attacker already copied)",
			Fails:       []string{"FDA-PMC-CRYPTO-1", "FDA-PMC-CRYPTO-2", "HIPAA-164.310-d-2-i", "HIPAA-164.312-a-2-iv", "HIPAA-164.312-c-2"},
		},
		{
			Name: "unapproved-crypto",
			Description: "wraps its storage keys with ChaCha20-Poly1305, a sound cipher that no FIPS 140-3 validated module " +
				"approves, so its stored data rests on unvalidated cryptography",
			Fails:      []string{"FDA-PMC-CRYPTO-1"},
			Unapproved: true,
		},
		{
			Name:        "shared-device-key",
			Description: "seals storage with one key baked into the firmware, shared by every unit",
			Fails:       []string{"FDA-PMC-CRYPTO-2"},
		},
		{
			Name:        "no-crypto-erase",
			Description: "decommissioning deletes files but keeps the storage key, so earlier copies stay readable",
			Fails:       []string{"HIPAA-164.310-d-2-i"},
		},
		{
			Name:        "secrets-in-logs",
			Description: "writes tried passwords into the audit trail and the storage key into config exports",
			Fails:       []string{"FDA-PMC-CONF-1"},
		},
		{
			Name:        "plaintext-backup",
			Description: "writes backups unencrypted and restores them without checking integrity",
			Fails:       []string{"HIPAA-164.308-a-7-ii-A"},
		},
		{
			Name:        "lossy-backup",
			Description: "leaves the most recently changed patient record out of backups",
			Fails:       []string{"HIPAA-164.308-a-7-ii-B"},
		},
		{
			Name:        "no-auth",
			Description: "serves patient data to callers without a valid session",
			Fails:       []string{"HIPAA-164.312-d"},
		},
		{
			Name:        "default-credentials",
			Description: "ships a factory administrator account admin/admin that its own code checks, password only",
			Fails:       []string{"FDA-PMC-AUTHN-1"},
		},
		{
			Name:        "no-mfa",
			Description: "counts its keypad as a second factor that proves nothing, so a password alone opens privileged accounts (in emergency mode too)",
			Fails:       []string{"FDA-PMC-AUTHN-2", "HIPAA-164.308-a-7-ii-C"},
		},
		{
			Name:        "totp-replay",
			Description: "does not keep which one-time code was used, so a code works again for its whole window",
			Fails:       []string{"FDA-PMC-AUTHN-4"},
		},
		{
			Name:        "no-lockout",
			Description: "configures the loosest throttling the library allows: 100 failures before a lock of a nanosecond, no backoff",
			Fails:       []string{"HIPAA-164.308-a-5-ii-C"},
		},
		{
			Name:        "no-auto-logoff",
			Description: "configures sessions to last ten years, used or not",
			Fails:       []string{"HIPAA-164.312-a-2-iii"},
		},
		{
			Name:        "shared-account",
			Description: "accepts generic account names (\"nurse\", \"admin\") and logs them in with its own password check",
			Fails:       []string{"HIPAA-164.312-a-2-i"},
		},
		{
			Name:        "no-rbac",
			Description: "authorizes in permissive mode: refusals are recorded but not enforced, so any user can do anything",
			Fails:       []string{"FDA-PMC-AUTHZ-1"},
		},
		{
			Name: "silent-break-glass",
			Description: "grants emergency access without a reason, records and alerts nothing, and never ends it " +
				"(so the activity review cannot flag it either)",
			Fails: []string{"HIPAA-164.308-a-1-ii-D", "HIPAA-164.312-a-2-ii"},
		},
		{
			Name: "no-off-hours-review",
			Description: "its activity review leaves out privileged work outside office hours " +
				"(a stolen biomed account used at night goes unnoticed)",
			Fails: []string{"HIPAA-164.308-a-1-ii-D"},
		},
		{
			Name:        "flat-network",
			Description: "accepts connections from any zone (guest Wi-Fi, corporate) on every port: no segmentation",
			Fails:       []string{"NPRM-164.312-a-2-vi"},
		},
		{
			Name:        "open-egress",
			Description: "may connect to any host: its egress allowlist allows everything",
			Fails:       []string{"FDA-PMC-AUTHZ-3"},
		},
		{
			Name:        "extra-open-port",
			Description: "listens on an undocumented service console (telnet-like, port 2323, no authentication)",
			Fails:       []string{"FDA-PMC-AUTHZ-2"},
		},
		{
			Name:        "no-spike-quarantine",
			Description: "runs no traffic monitor: a traffic spike or a beacon to an unknown host raises no alert and nothing is quarantined",
			Fails:       []string{"FDA-PMC-DETECT-1", "FDA-PMC-RESIL-1", "HIPAA-164.308-a-6-ii"},
		},
		{
			Name:        "weak-passwords",
			Description: "creates accounts with common, default or trivial passwords, hashing them itself",
			Fails:       []string{"HIPAA-164.308-a-5-ii-D"},
		},
		{
			Name: "unlisted-identity",
			Description: "announces itself on the network without serial number or UDI, so it matches no inventory record " +
				"(its authenticated identity query still tells the truth)",
			Fails: []string{"NPRM-164.308-a-1"},
		},
		{
			Name:        "identity-mismatch",
			Description: "answers the authenticated identity query with the reference unit's identity burnt into the image, not its own",
			Fails:       []string{"FDA-PMC-ID-1"},
		},
		{
			Name:        "unpatched",
			Description: "lacks the critical patch its maker released 90 days ago (the policy window is 30), and its OS image keeps an openssl its maker's advisory names",
			Fails:       []string{"524B-b-2"},
		},
		{
			Name:        "config-drift",
			Description: "runs with remote service access and USB storage on, and its factory reset restores that drifted default table",
			Fails:       []string{"FDA-PMC-CONFIG-1"},
		},
		{
			Name:        "unsigned-updates",
			Description: "installs whatever targets metadata its update server offers without checking a signature (unsigned or signed by anyone)",
			Fails:       []string{"FDA-PMC-INTEG-1", "HIPAA-164.308-a-5-ii-B"},
		},
		{
			Name:        "update-rollback",
			Description: "keeps no anti-rollback floor, so an older validly signed image installs",
			Fails:       []string{"FDA-PMC-INTEG-2"},
		},
		{
			Name:        "no-update-healthcheck",
			Description: "commits a new image without running its post-boot self-test, so a broken image stays",
			Fails:       []string{"FDA-PMC-UPD-1"},
		},
		{
			Name:        "stale-metadata",
			Description: "ignores the expiry of update metadata, so a frozen mirror can keep it on old firmware unnoticed",
			Fails:       []string{"FDA-PMC-UPD-2"},
		},
		{
			Name:        "no-sbom",
			Description: "installs images that ship no SBOM",
			Fails:       []string{"524B-b-3"},
		},
		{
			Name: "cleartext-transport",
			Description: "serves its HL7 feed over plain TCP: readable and alterable on the wire, " +
				"and with no certificates there is no mutual authentication either",
			Fails: []string{"FDA-PMC-AUTHN-3", "FDA-PMC-CRYPTO-1", "HIPAA-164.312-e-2-i", "HIPAA-164.312-e-2-ii"},
		},
		{
			Name: "cleartext-web-login",
			Description: "runs a web console over plain HTTP that answers every request 401 with a login form " +
				"(a refusal in words, but the password typed next crosses the wire readable)",
			Fails: []string{"FDA-PMC-CRYPTO-1", "HIPAA-164.312-e-2-ii"},
		},
		{
			Name: "cleartext-vendor-port",
			Description: "runs a service port speaking its maker's own line protocol (banner, STATUS, QUIT) " +
				"in cleartext: a protocol no check knows by name",
			Fails: []string{"FDA-PMC-CRYPTO-1", "HIPAA-164.312-e-2-ii"},
		},
		{
			Name: "legacy-tls-undeclared",
			Description: "runs a gateway port that accepts TLS 1.0 and CBC suites, listed among its services " +
				"without a CA, as a black-box inventory lists it (not in FIPS 140-3 mode)",
			Fails: []string{"FDA-PMC-CRYPTO-1", "HIPAA-164.312-e-2-ii"},
		},
		{
			Name: "cleartext-management-api",
			Description: "says its management API is HTTPS (protocol https, a CA) but serves it as plain HTTP; " +
				"served over the network (ward sim serve) the whole API is plain HTTP",
			Fails: []string{"FDA-PMC-CRYPTO-1", "HIPAA-164.312-e-2-ii"},
		},
		{
			Name:        "tls-downgrade",
			Description: "accepts TLS 1.0 and CBC cipher suites on its HL7 feed, for legacy interface engines (not in FIPS 140-3 mode)",
			Fails:       []string{"FDA-PMC-CRYPTO-1", "HIPAA-164.312-e-2-ii"},
		},
		{
			Name: "short-feed-key",
			Description: "serves its HL7 feed with a 1024-bit RSA key (certified by its own CA, so peers still verify it), " +
				"under the 2048 bits NIST SP 800-131A requires (not in FIPS 140-3 mode)",
			Fails: []string{"FDA-PMC-CRYPTO-1"},
		},
		{
			Name:        "no-client-auth",
			Description: "asks HL7 peers for no client certificate: anyone who can connect may program the pump",
			Fails:       []string{"FDA-PMC-AUTHN-3"},
		},
		{
			Name:        "fragile-parser",
			Description: "an old code path applies the rate of any RXG segment it finds, even in a message the parser rejects",
			Fails:       []string{"FDA-PMC-INTEG-5"},
		},
		{
			Name:        "ssh-password-login",
			Description: "its service login (SSH) takes passwords, root's included",
			Fails:       []string{"FDA-PMC-CONFIG-1"},
		},
		{
			Name:        "weak-ssh-crypto",
			Description: "its SSH server still offers CBC ciphers, HMAC-MD5 and SHA-1 Diffie-Hellman group 1",
			Fails:       []string{"FDA-PMC-CRYPTO-1"},
		},
		{
			Name:        "empty-password-account",
			Description: "ships a local \"service\" account with an empty password",
			Fails:       []string{"FDA-PMC-AUTHN-1"},
		},
		{
			Name:        "root-service",
			Description: "runs its HL7 listener as root, so a parser flaw hands over the whole device",
			Fails:       []string{"FDA-PMC-AUTHZ-1"},
		},
		{
			Name:        "world-readable-key",
			Description: "leaves its device private key readable by every local user",
			Fails:       []string{"FDA-PMC-CONF-1"},
		},
		{
			Name:        "unsafe-fallback",
			Description: "in emergency mode (back end unreachable) lets privileged accounts log in with the password alone, its keypad confirming for the missing second factor",
			Fails:       []string{"HIPAA-164.308-a-7-ii-C"},
		},
		{
			Name:        "outage-stops-therapy",
			Description: "treats a lost network link as a fault: it stops the infusion and resets the programmed rate",
			Fails:       []string{"HIPAA-164.308-a-7-ii-C"},
		},
		{
			Name:        "lost-outage-logs",
			Description: "drops the audit records it could not forward during an outage instead of sending them when the link returns (its local trail keeps them)",
			Fails:       []string{"FDA-PMC-LOG-1", "HIPAA-164.308-a-7-ii-C"},
		},
		{
			Name:        "no-log-forwarding",
			Description: "accepts a log collector in its configuration but never sends it anything (nor what it held during an outage)",
			Fails:       []string{"FDA-PMC-LOG-1", "HIPAA-164.308-a-7-ii-C"},
		},
	}
	if fips140.Enabled() {
		// A FIPS 140-3 build cannot be configured below TLS 1.2
		// (crypto/tls enforces it): the weaknesses cannot exist there.
		w = slices.DeleteFunc(w, func(x Weakness) bool { return fipsImpossible(x.Name) })
	}
	sort.Slice(w, func(i, j int) bool { return w[i].Name < w[j].Name })
	if fips140.Enabled() {
		// Nor with an RSA key under 2048 bits: crypto/tls refuses it.
		w = slices.DeleteFunc(w, func(x Weakness) bool { return x.Name == shortFeedKey })
	}
	return w
}

// fipsImpossible reports the weaknesses a FIPS 140-3 build cannot have:
// both accept TLS 1.0.
func fipsImpossible(name string) bool {
	return name == "tls-downgrade" || name == "legacy-tls-undeclared"
}

// weakSet is the set of weaknesses switched on for one device.
type weakSet map[string]bool

// knownWeaknesses is the list Weaknesses returns, built once: every unit
// checks its toggles against it, and a fleet opens a unit per scenario.
// It depends only on the build (FIPS mode), never changes, and is never
// handed out (Weaknesses returns a fresh copy).
var knownWeaknesses = sync.OnceValue(Weaknesses)

func parseWeaknesses(names []string) (weakSet, error) {
	set := weakSet{}
	for _, n := range names {
		n = strings.TrimSpace(n)
		if n == "" {
			continue
		}
		if fipsImpossible(n) && fips140.Enabled() {
			return nil, fmt.Errorf("%w: weakness %q cannot exist in FIPS 140-3 mode: its TLS refuses versions below 1.2", device.ErrBadTarget, n)
		}
		known := knownWeaknesses()
		if !slices.ContainsFunc(known, func(w Weakness) bool { return w.Name == n }) {
			names := make([]string, len(known))
			for i, w := range known {
				names[i] = w.Name
			}
			return nil, fmt.Errorf("%w: unknown weakness %q (known: %s)", device.ErrBadTarget, n, strings.Join(names, ", "))
		}
		set[n] = true
	}
	return set, nil
}

func (s weakSet) list() []string {
	out := make([]string, 0, len(s))
	for n := range s {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}
