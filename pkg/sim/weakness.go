package sim

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/wardsec/ward/pkg/device"
)

// Weakness is a protection the simulator can switch off, so the harness can
// be shown to notice. Each weakness names the controls whose scenarios must
// fail when it is on, and no others: that is the harness's own test.
type Weakness struct {
	Name        string
	Description string
	// Fails lists the control ids that must come out not-satisfied when this
	// weakness is on (and every other protection is intact).
	Fails []string
}

// Weaknesses returns every weakness toggle, sorted by name.
func Weaknesses() []Weakness {
	w := []Weakness{
		{
			Name: "no-audit",
			Description: "records no audit events at all (so failed logins, replayed codes and emergency access go unrecorded, " +
				"and the activity review has nothing to review)",
			Fails: []string{"FDA-PMC-AUTHN-4", "FDA-PMC-LOG-2", "HIPAA-164.308-a-1-ii-D", "HIPAA-164.308-a-5-ii-C",
				"HIPAA-164.312-a-2-ii", "HIPAA-164.312-b"},
		},
		{
			Name:        "mutable-audit",
			Description: "keeps a plain, unchained, unsigned audit log, so edits go undetected",
			Fails:       []string{"FDA-PMC-LOG-2"},
		},
		{
			Name:        "plaintext-storage",
			Description: "stores patient records and accounts unencrypted and unauthenticated (disposal then fails too: crypto-erase cannot unsay plaintext an attacker already copied)",
			Fails:       []string{"FDA-PMC-CRYPTO-2", "HIPAA-164.310-d-2-i", "HIPAA-164.312-a-2-iv", "HIPAA-164.312-c-2"},
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
			Description: "counts its keypad as a second factor that proves nothing, so a password alone opens privileged accounts",
			Fails:       []string{"FDA-PMC-AUTHN-2"},
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
	}
	sort.Slice(w, func(i, j int) bool { return w[i].Name < w[j].Name })
	return w
}

// weakSet is the set of weaknesses switched on for one device.
type weakSet map[string]bool

func parseWeaknesses(names []string) (weakSet, error) {
	known := Weaknesses()
	set := weakSet{}
	for _, n := range names {
		n = strings.TrimSpace(n)
		if n == "" {
			continue
		}
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
