package access

import (
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/wardsec/ward/pkg/audit"
)

// PrivilegedActions are the audit actions, besides ActionGranted for a
// privileged permission, that Review counts as privileged activity: the
// account and factor administration pkg/mfa records, and break-glass.
var PrivilegedActions = []string{
	ActionBreakGlass,
	"user.create", "user.delete", "password.reset", "account.unlock",
	"mfa.enroll", "recovery.generate", "session.revoke",
}

// AlertActions are the audit actions that raise an alert someone must
// review: emergency access and account lockouts.
var AlertActions = []string{ActionBreakGlass, ActionAccountLocked}

// OfficeHours says when privileged work is expected. Activity outside them
// is listed for review (off-hours use of a privileged account is a classic
// sign of a stolen one).
type OfficeHours struct {
	Location   *time.Location // nil: UTC
	Start, End int            // hours of the day, [Start, End)
	Days       []time.Weekday // nil: Monday to Friday
}

// DefaultOfficeHours are 07:00 to 19:00, Monday to Friday, UTC.
func DefaultOfficeHours() OfficeHours {
	return OfficeHours{Location: time.UTC, Start: 7, End: 19,
		Days: []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday}}
}

func (h OfficeHours) within(t time.Time) bool {
	loc := h.Location
	if loc == nil {
		loc = time.UTC
	}
	days := h.Days
	if days == nil {
		days = DefaultOfficeHours().Days
	}
	t = t.In(loc)
	return slices.Contains(days, t.Weekday()) && t.Hour() >= h.Start && t.Hour() < h.End
}

// Window selects the records a review covers.
type Window struct {
	From, To time.Time   // [From, To); a zero bound is open
	Hours    OfficeHours // zero value: DefaultOfficeHours
}

func (w Window) contains(t time.Time) bool {
	return (w.From.IsZero() || !t.Before(w.From)) && (w.To.IsZero() || t.Before(w.To))
}

// UserActivity sums up one user's privileged activity in the window.
type UserActivity struct {
	User       string
	Privileged int            // privileged actions done
	Denied     int            // refused access attempts
	OffHours   int            // privileged actions outside office hours
	BreakGlass int            // emergency sessions started
	Actions    map[string]int // privileged actions by name (a permission for access.granted)
}

// Report is the privileged-activity review HIPAA 164.308(a)(1)(ii)(D)
// (information system activity review) asks for.
type Report struct {
	From, To   time.Time      // the window reviewed
	Records    int            // records in the window
	Users      []UserActivity // users with privileged or refused activity, by name
	OffHours   []audit.Record // privileged actions outside office hours
	BreakGlass []audit.Record // emergency sessions started
	Denied     []audit.Record // refused access attempts
	Unreviewed []audit.Record // alerts in the window nobody else has reviewed
}

// NeedsAttention reports whether the report lists anything a reviewer must
// look at: unreviewed alerts, break-glass, off-hours privileged use.
func (r Report) NeedsAttention() bool {
	return len(r.Unreviewed) > 0 || len(r.BreakGlass) > 0 || len(r.OffHours) > 0
}

// Review summarises privileged activity in records (typically a verified
// audit log's records) over w: per user, off-hours use, break-glass, refused
// attempts, and alerts without a review. An alert counts as reviewed when
// some record anywhere in records (reviews often come later than the
// window) is a ReviewedEvent for it by a different user: nobody reviews
// their own emergency access.
func Review(records []audit.Record, w Window) Report {
	hours := w.Hours
	if hours.Start == 0 && hours.End == 0 && hours.Days == nil && hours.Location == nil {
		hours = DefaultOfficeHours()
	}
	rep := Report{From: w.From, To: w.To}
	type key struct {
		seq  uint64
		hash string
	}
	reviewedBy := map[key][]string{}
	for _, r := range records {
		if r.Action != ActionAlertReviewed || r.Outcome != audit.Success {
			continue
		}
		seq, err := strconv.ParseUint(r.Detail[detailAlertSeq], 10, 64)
		if err != nil {
			continue
		}
		k := key{seq, r.Detail[detailAlertHash]}
		reviewedBy[k] = append(reviewedBy[k], r.Actor)
	}
	users := map[string]*UserActivity{}
	user := func(name string) *UserActivity {
		u := users[name]
		if u == nil {
			u = &UserActivity{User: name, Actions: map[string]int{}}
			users[name] = u
		}
		return u
	}
	for _, r := range records {
		if !w.contains(r.Time) {
			continue
		}
		rep.Records++
		if slices.Contains(AlertActions, r.Action) && (r.Action != ActionBreakGlass || r.Outcome == audit.Success) {
			reviewed := slices.ContainsFunc(reviewedBy[key{r.Seq, r.Hash}], func(by string) bool { return by != r.Actor })
			if !reviewed {
				rep.Unreviewed = append(rep.Unreviewed, r)
			}
		}
		if r.Action == ActionDenied {
			user(r.Actor).Denied++
			rep.Denied = append(rep.Denied, r)
			continue
		}
		name, ok := privilegedName(r)
		if !ok {
			continue
		}
		u := user(r.Actor)
		u.Privileged++
		u.Actions[name]++
		if r.Action == ActionBreakGlass {
			u.BreakGlass++
			rep.BreakGlass = append(rep.BreakGlass, r)
		}
		if !hours.within(r.Time) {
			u.OffHours++
			rep.OffHours = append(rep.OffHours, r)
		}
	}
	for _, name := range slices.Sorted(maps.Keys(users)) {
		rep.Users = append(rep.Users, *users[name])
	}
	return rep
}

// privilegedName returns the name a privileged record is counted under.
func privilegedName(r audit.Record) (string, bool) {
	if r.Outcome != audit.Success {
		return "", false
	}
	if r.Action == ActionGranted {
		// Grants in a break-glass session are recorded whatever the
		// permission; only privileged ones count here.
		if r.Detail[detailPrivileged] != trueString {
			return "", false
		}
		return r.Object, true
	}
	if slices.Contains(PrivilegedActions, r.Action) {
		return r.Action, true
	}
	return "", false
}

// ReviewedEvent is the audit event that marks alert as reviewed by
// reviewer; append it to the same log. It names the alert by seq and hash,
// so it cannot be moved to another record.
func ReviewedEvent(reviewer string, alert audit.Record, note string) audit.Event {
	return audit.Event{
		Actor: reviewer, Action: ActionAlertReviewed, Object: alert.Action + " by " + alert.Actor,
		Outcome: audit.Success,
		Detail: map[string]string{
			detailAlertSeq:  strconv.FormatUint(alert.Seq, 10),
			detailAlertHash: alert.Hash,
			detailNote:      strings.TrimSpace(note),
		},
	}
}
