package access_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/wardsec/ward/pkg/access"
	"github.com/wardsec/ward/pkg/audit"
)

func ExamplePolicy_Authorize() {
	ctx := context.Background()
	log, _ := audit.Open(ctx, audit.NewMemStore())
	pol := access.DefaultPolicy(access.WithAuditor(log))

	// In a device the subject comes from mfa.Session.Subject().
	nurse := access.Subject{User: "nurse.jones", Role: access.Clinician, Source: "bedside"}
	fmt.Println(pol.Authorize(ctx, nurse, access.InfusionProgram))
	err := pol.Authorize(ctx, nurse, access.FirmwareUpdate)
	fmt.Println(errors.Is(err, access.ErrForbidden), err)

	recs, _ := log.Records(ctx)
	for _, r := range recs {
		fmt.Println(r.Actor, r.Action, r.Object, r.Outcome)
	}
	// Output:
	// <nil>
	// true access: forbidden: nurse.jones (clinician) may not firmware.update
	// nurse.jones access.denied firmware.update denied
}

func ExampleCanonicalName() {
	for _, name := range []string{"Nurse.Jones", "admin", "nurse2", "kim lee"} {
		canon, err := access.CanonicalName(name)
		fmt.Printf("%q %v\n", canon, err)
	}
	// Output:
	// "nurse.jones" <nil>
	// "" access: shared or generic account names are not allowed; give each person their own account: "admin"
	// "" access: shared or generic account names are not allowed; give each person their own account: "nurse2"
	// "" access: invalid user name: "kim lee": only letters, digits and . _ @ - are allowed
}

func ExampleReview() {
	ctx := context.Background()
	friday := func() time.Time { return time.Date(2025, 3, 14, 10, 0, 0, 0, time.UTC) }
	log, _ := audit.Open(ctx, audit.NewMemStore(), audit.WithClock(friday))
	sat := time.Date(2025, 3, 15, 23, 30, 0, 0, time.UTC)
	pol := access.DefaultPolicy(access.WithAuditor(log))
	pol.Authorize(ctx, access.Subject{User: "bo.biomed", Role: access.Biomed}, access.FirmwareUpdate)
	bg, _ := log.Append(ctx, audit.Event{Time: sat, Actor: "nurse.jones", Action: access.ActionBreakGlass,
		Object: "session", Outcome: audit.Success, Detail: map[string]string{"reason": "code blue"}})

	recs, _ := log.Records(ctx)
	rep := access.Review(recs, access.Window{})
	fmt.Println("break-glass:", len(rep.BreakGlass), "off hours:", len(rep.OffHours), "unreviewed:", len(rep.Unreviewed))

	// The charge nurse reviews it; the alert is closed.
	log.Append(ctx, access.ReviewedEvent("charge.nurse", bg, "confirmed: code blue, bed 4"))
	recs, _ = log.Records(ctx)
	fmt.Println("unreviewed:", len(access.Review(recs, access.Window{}).Unreviewed))
	// Output:
	// break-glass: 1 off hours: 1 unreviewed: 1
	// unreviewed: 0
}
