package harness

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"sort"
	"strings"

	"github.com/wardsec/ward/pkg/access"
	"github.com/wardsec/ward/pkg/audit"
	"github.com/wardsec/ward/pkg/device"
)

// Test accounts on a device that keeps them. Scenario text names accounts
// for people ("nurse.jones"); the harness gives each such name a device
// name unique to the scenario run ("nurse.jones.w3k9q2"), so a device that
// keeps its accounts between scenarios and between runs (a real device, a
// management API without units mode) never answers "account exists" to a
// second scenario or a second `ward check`, and audit-trail checks look
// for records this run made, not an earlier one's. Names a scenario uses
// precisely as written (vendor defaults such as "admin", generic names
// whose refusal is checked) are sent as written. When the device offers
// device.AccountRemover, the accounts the harness created are removed
// when the scenario ends.

// suffixLen is how many random characters a device name adds: base32, so
// 30 bits, plenty for the accounts one device sees in its life of checks.
const suffixLen = 6

// accountWorld is a scenario's account names.
type accountWorld struct {
	suffix string            // random, chosen once per scenario
	names  map[string]string // the scenario's name -> the device's name
	// made lists the accounts the harness created, by device, so they can
	// be removed at the end. A slice, not a map: a device need not be
	// comparable.
	made []madeOn
	// first is where this scenario's records begin in the device's audit
	// trail, found once (firstRecord).
	first struct {
		found  bool
		idx    int    // line index of its first record
		offset uint64 // sequence number of the record before it
	}
}

// madeOn is the accounts the harness created on one device.
type madeOn struct {
	dev   device.Device
	names []string
}

func newAccountWorld() *accountWorld {
	// crypto/rand: a guessable suffix would let someone who knows the
	// catalogue pre-create or watch for the accounts a check will use.
	return &accountWorld{
		suffix: strings.ToLower(rand.Text()[:suffixLen]),
		names:  map[string]string{},
	}
}

// withSuffix inserts the suffix into name: before the domain of an e-mail
// style name ("pat.doe@example.org" -> "pat.doe.w3k9q2@example.org"), else
// at the end.
func withSuffix(name, suffix string) string {
	if local, domain, ok := strings.Cut(name, "@"); ok {
		return local + "." + suffix + "@" + domain
	}
	return name + "." + suffix
}

// validName reports whether name is a name pkg/access accepts for one
// person (not generic, not malformed, not too long).
func validName(name string) bool {
	_, err := access.CanonicalName(name)
	return err == nil
}

// deviceUser is the name the device knows the scenario's account user by:
// its unique device name once the scenario made or tried one, otherwise
// user as written (a vendor default, a generic name).
func (w *world) deviceUser(user string) string {
	if n, ok := w.acct.names[user]; ok {
		return n
	}
	return user
}

// personalUser returns the device name for an account the scenario is
// about to create. A name that identifies one person gets the scenario's
// suffix; a name pkg/access refuses (generic or shared like "nurse" or
// "admin", malformed) is kept as written, because the scenario is checking
// that the device refuses it, and a suffix would make it a personal name.
// Case is kept: "Nurse.Jones" and "nurse.jones" map to names that again
// differ only in case.
func (w *world) personalUser(user string) string {
	if n, ok := w.acct.names[user]; ok {
		return n
	}
	if !validName(user) {
		return user
	}
	return w.mapUser(user)
}

// unknownUser returns the device name for a user the scenario needs not to
// exist. With the suffix it is still no account (nobody ever creates it),
// and records of the attempt name this run's user, not an earlier run's
// attempt with the same readable name.
func (w *world) unknownUser(user string) string {
	if n, ok := w.acct.names[user]; ok {
		return n
	}
	return w.mapUser(user)
}

// mapUser gives user the scenario's suffix, unless the result would be a
// name pkg/access refuses (too long), in which case user is sent as written.
func (w *world) mapUser(user string) string {
	n := withSuffix(user, w.acct.suffix)
	if !validName(n) {
		return user
	}
	w.acct.names[user] = n
	return n
}

// withDeviceName rewrites a password that holds the scenario's name user
// (in any case) to hold the device's name instead: a check that the device
// refuses a password built from the user's name must use the name the
// device knows the user by.
func withDeviceName(pw, user, name string) string {
	if user == name || user == "" {
		return pw
	}
	re := regexp.MustCompile(`(?i)` + regexp.QuoteMeta(user))
	return re.ReplaceAllLiteralString(pw, name)
}

// source is the source the harness claims in this scenario's login
// attempts: "ward-harness-" and the scenario's suffix. One per scenario, as
// each scenario's accounts are: on a device that keeps its state, the
// failures one scenario provokes on purpose (guessing, vendor defaults,
// unknown users) do not throttle the next scenario's logins.
func (w *world) source() string { return harnessSource + "-" + w.acct.suffix }

// describeUser names a user in an observation: the readable name, and the
// device name when it differs.
func (w *world) describeUser(user string) string {
	if n := w.deviceUser(user); n != user {
		return fmt.Sprintf("%q (on the device %q)", user, n)
	}
	return fmt.Sprintf("%q", user)
}

// created records that the harness made the account name on dev, and on
// the first account made on dev registers their removal at the end of the
// scenario. Registered per device, after the device was opened, so the
// removal runs before the device is closed (cleanups run newest first).
func (w *world) created(dev device.Device, name string) {
	for i := range w.acct.made {
		if sameDevice(w.acct.made[i].dev, dev) {
			w.acct.made[i].names = append(w.acct.made[i].names, name)
			return
		}
	}
	i := len(w.acct.made)
	w.acct.made = append(w.acct.made, madeOn{dev: dev, names: []string{name}})
	w.onCleanup(func(ctx context.Context) error { w.removeAccounts(ctx, &w.acct.made[i]); return nil })
}

// sameDevice reports whether a and b are the same device value, without
// the panic == gives on a driver whose type is not comparable.
func sameDevice(a, b device.Device) bool {
	ta, tb := reflect.TypeOf(a), reflect.TypeOf(b)
	return ta == tb && ta != nil && ta.Comparable() && a == b
}

// removeAccounts removes the accounts the harness made on dev, when dev
// can remove accounts. A failure is noted in the evidence, never a failed
// scenario: the checks themselves are done, and an account a scenario
// destroyed (crypto-erase, a restore) is gone anyway.
func (w *world) removeAccounts(ctx context.Context, m *madeOn) {
	names := m.names
	m.names = nil
	if len(names) == 0 {
		return
	}
	r, err := device.As[device.AccountRemover](m.dev, device.Label[device.AccountRemover]())
	if err != nil {
		w.note("after the scenario: the device offers no account removal, so the test accounts %s remain on it", quoteAll(names))
		return
	}
	var removed, failed []string
	for _, n := range names {
		if err := r.DeleteUser(ctx, n); err != nil {
			failed = append(failed, fmt.Sprintf("%q (%v)", n, err))
			continue
		}
		removed = append(removed, n)
	}
	if len(removed) > 0 {
		w.note("after the scenario: removed the test accounts %s", quoteAll(removed))
	}
	if len(failed) > 0 {
		w.note("after the scenario: could not remove the test accounts %s", strings.Join(failed, ", "))
	}
}

// ours reports whether r records this scenario's activity: it names one
// of the scenario's device names (as actor or object) or comes from the
// scenario's login source. Names and source are unique to the scenario
// run, so on a device that keeps its audit trail this tells the records
// apart from earlier scenarios' and runs'.
func (w *world) ours(r audit.Record) bool {
	if r.Source == w.source() {
		return true
	}
	for _, n := range w.acct.names {
		if strings.EqualFold(r.Actor, n) || strings.EqualFold(r.Object, n) {
			return true
		}
	}
	return false
}

// firstRecord returns the index in recs of the scenario's first record,
// finding it on the first call and keeping it: a scenario's "audit record
// N" is then its own Nth record, on a fresh unit (where it is the trail's
// Nth) as on a device whose trail holds earlier records. 0 when no record
// is the scenario's.
func (w *world) firstRecord(recs []audit.Record) int {
	f := &w.acct.first
	if f.found {
		return f.idx
	}
	for i, r := range recs {
		if w.ours(r) {
			f.found, f.idx, f.offset = true, i, r.Seq-1
			return i
		}
	}
	return 0
}

// note adds an observation after the steps ran (a cleanup's) to the last
// step's, so it reaches the evidence.
func (w *world) note(format string, args ...any) {
	w.mu.Lock()
	defer w.mu.Unlock()
	n := len(w.steps)
	if n == 0 {
		return
	}
	s := fmt.Sprintf(format, args...)
	if o := w.steps[n-1].Observed; o != "" {
		s = o + "; " + s
	}
	w.steps[n-1].Observed = s
}

func quoteAll(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = fmt.Sprintf("%q", n)
	}
	return strings.Join(q, ", ")
}

// knowsAccounts reports whether other, a unit the scenario opened as
// another unit, already accepts the password of an account the scenario
// made on w.dev: then it is the same unit (the target serves one unit), and
// a check that needs a second or a clean unit cannot run on it. The name
// is unique to this scenario run, so no other unit can know it. Any other
// answer, a refusal or an error, counts as a different unit. One attempt,
// so a real other unit sees one failed login.
func knowsAccounts(ctx context.Context, w *world, other device.Device) (string, bool) {
	a, err := device.As[device.Authenticator](other, device.Label[device.Authenticator]())
	if err != nil || len(w.auth.passwords) == 0 {
		return "", false
	}
	users := make([]string, 0, len(w.auth.passwords))
	for u := range w.auth.passwords {
		users = append(users, u)
	}
	sort.Strings(users)
	u := users[0]
	tok, err := a.Login(ctx, device.Credentials{User: w.deviceUser(u), Password: w.auth.passwords[u], Source: w.source()})
	if err == nil {
		_ = a.Logout(ctx, tok)
	}
	return u, err == nil || errors.Is(err, device.ErrSecondFactorRequired)
}

// needOtherUnit makes the scenario not-applicable when other is the unit
// the scenario has been using (see knowsAccounts).
func needOtherUnit(ctx context.Context, w *world, other device.Device, what string) error {
	if u, same := knowsAccounts(ctx, w, other); same {
		return skip(w, &device.UnsupportedError{Capability: fmt.Sprintf(
			"%s (the target serves one unit: the unit opened as another already has this scenario's account %q)", what, u)})
	}
	return nil
}
