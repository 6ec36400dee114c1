package access

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/wardsec/ward/pkg/audit"
)

// friday is inside default office hours; saturday night is not.
var (
	friday        = time.Date(2025, 3, 14, 10, 0, 0, 0, time.UTC)
	saturdayNight = time.Date(2025, 3, 15, 23, 30, 0, 0, time.UTC)
)

// trail builds a verified audit log from events and returns its records.
func trail(t *testing.T, events ...audit.Event) []audit.Record {
	t.Helper()
	ctx := context.Background()
	log, err := audit.Open(ctx, audit.NewMemStore())
	if err != nil {
		t.Fatal(err)
	}
	var recs []audit.Record
	for _, e := range events {
		r, err := log.Append(ctx, e)
		if err != nil {
			t.Fatal(err)
		}
		recs = append(recs, r)
	}
	return recs
}

func granted(user string, perm Permission, at time.Time) audit.Event {
	return audit.Event{Time: at, Actor: user, Action: ActionGranted, Object: string(perm), Outcome: audit.Success,
		Detail: map[string]string{detailPrivileged: "true", detailRole: "biomed"}}
}

func TestReviewFlagsOffHoursBreakGlassAndUnreviewedAlerts(t *testing.T) {
	recs := trail(t,
		granted("bo.biomed", FirmwareUpdate, friday),
		granted("bo.biomed", ConfigChange, friday.Add(time.Minute)),
		granted("kim.lee", UserManage, saturdayNight), // off hours
		audit.Event{Time: friday, Actor: "nurse.jones", Action: "phi.read", Object: "P-1001", Outcome: audit.Success},
		audit.Event{Time: friday, Actor: "nurse.jones", Action: ActionGranted, Object: string(InfusionProgram), Outcome: audit.Success,
			Detail: map[string]string{detailBreakGlass: "true"}}, // a break-glass use, not privileged in itself
		audit.Event{Time: friday, Actor: "pat.doe", Action: ActionDenied, Object: string(InfusionLimitsChange), Outcome: audit.Denied},
		audit.Event{Time: saturdayNight, Actor: "nurse.jones", Action: ActionBreakGlass, Object: "session", Outcome: audit.Success,
			Detail: map[string]string{"reason": "code blue"}},
		audit.Event{Time: friday, Actor: "mallory.x", Action: ActionAccountLocked, Object: "mallory.x", Outcome: audit.Denied},
		audit.Event{Time: friday, Actor: "kim.lee", Action: "user.create", Object: "new.nurse", Outcome: audit.Success},
		audit.Event{Time: friday, Actor: "kim.lee", Action: "user.create", Object: "admin", Outcome: audit.Failure},
	)
	rep := Review(recs, Window{})
	if rep.Records != len(recs) {
		t.Fatalf("records %d", rep.Records)
	}
	got := fmt.Sprint(rep.Users)
	want := "[{bo.biomed 2 0 0 0 map[config.change:1 firmware.update:1]} " +
		"{kim.lee 2 0 1 0 map[user.create:1 user.manage:1]} " +
		"{nurse.jones 1 0 1 1 map[break-glass:1]} " +
		"{pat.doe 0 1 0 0 map[]}]"
	if got != want {
		t.Fatalf("users\n got %s\nwant %s", got, want)
	}
	if len(rep.OffHours) != 2 || len(rep.BreakGlass) != 1 || len(rep.Denied) != 1 {
		t.Fatalf("off-hours %d, break-glass %d, denied %d", len(rep.OffHours), len(rep.BreakGlass), len(rep.Denied))
	}
	if len(rep.Unreviewed) != 2 || rep.Unreviewed[0].Action != ActionBreakGlass || rep.Unreviewed[1].Action != ActionAccountLocked {
		t.Fatalf("unreviewed %+v", rep.Unreviewed)
	}
	if !rep.NeedsAttention() {
		t.Fatal("nothing needs attention")
	}
}

func TestAlertCountsAsReviewedOnlyWhenSomeoneElseReviewsThatRecord(t *testing.T) {
	bg := audit.Event{Time: friday, Actor: "nurse.jones", Action: ActionBreakGlass, Object: "session", Outcome: audit.Success}
	recs := trail(t, bg, bg)
	self := ReviewedEvent("nurse.jones", recs[0], "it was me, all fine")
	other := ReviewedEvent("charge.nurse", recs[0], "confirmed code blue in bed 4")
	forged := ReviewedEvent("charge.nurse", recs[1], "")
	forged.Detail[detailAlertHash] = "00"
	recs = trail(t, bg, bg, self)
	if rep := Review(recs, Window{}); len(rep.Unreviewed) != 2 {
		t.Fatalf("a self-review counted: %d unreviewed", len(rep.Unreviewed))
	}
	recs = trail(t, bg, bg, self, other, forged)
	rep := Review(recs, Window{})
	if len(rep.Unreviewed) != 1 || rep.Unreviewed[0].Seq != 2 {
		t.Fatalf("unreviewed %+v", rep.Unreviewed)
	}
}

func TestReviewWindowAndOfficeHours(t *testing.T) {
	recs := trail(t,
		granted("bo.biomed", FirmwareUpdate, friday.Add(-48*time.Hour)),
		granted("bo.biomed", FirmwareUpdate, friday),
		granted("bo.biomed", FirmwareUpdate, saturdayNight),
	)
	rep := Review(recs, Window{From: friday, To: friday.Add(time.Hour)})
	if rep.Records != 1 || len(rep.Users) != 1 || rep.Users[0].Privileged != 1 || len(rep.OffHours) != 0 {
		t.Fatalf("%+v", rep)
	}
	// A 24/7 biomed team: nothing is off hours.
	all := OfficeHours{Start: 0, End: 24, Days: []time.Weekday{0, 1, 2, 3, 4, 5, 6}}
	if rep := Review(recs, Window{Hours: all}); len(rep.OffHours) != 0 || rep.NeedsAttention() {
		t.Fatalf("%+v", rep.OffHours)
	}
	// Hours in the device's time zone.
	tokyo := time.FixedZone("JST", 9*3600)
	rep = Review(recs, Window{Hours: OfficeHours{Location: tokyo, Start: 7, End: 19}})
	if len(rep.OffHours) != 3 { // 10:00 UTC is 19:00 in Tokyo
		t.Fatalf("%d off hours", len(rep.OffHours))
	}
}
