package mfa

import (
	"testing"
	"time"

	"github.com/wardsec/ward/pkg/access"
	"github.com/wardsec/ward/pkg/audit"
)

// Deleting an account ends its sessions at once and its password opens
// nothing afterwards; the name is free again. An unknown or generic name
// is refused with the sentinel, and every attempt is recorded.
func TestDeleteUser(t *testing.T) {
	e := newEnv(t, cheapPolicy())
	e.user("nurse.jones", access.Clinician, goodPassword, false)
	s, err := e.login(Credentials{User: "nurse.jones", Password: goodPassword})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.v.DeleteUser(e.ctx, "provisioner", "Nurse.Jones"); err != nil {
		t.Fatal(err) // names are one identity ignoring case
	}
	if last := e.last(); last.Action != "user.delete" || last.Outcome != audit.Success || last.Object != "nurse.jones" {
		t.Fatalf("recorded %+v", last)
	}
	if _, err := e.v.Check(e.ctx, s.Token); err == nil {
		t.Fatal("the deleted account's session still works")
	}
	_, err = e.login(Credentials{User: "nurse.jones", Password: goodPassword})
	mustIs(t, err, ErrDenied)

	mustIs(t, e.v.DeleteUser(e.ctx, "provisioner", "nurse.jones"), ErrNotFound)
	if last := e.last(); last.Action != "user.delete" || last.Outcome != audit.Failure {
		t.Fatalf("a failed deletion recorded as %+v", last)
	}
	mustIs(t, e.v.DeleteUser(e.ctx, "provisioner", "admin"), access.ErrSharedAccount)

	// The name can be given to a new account, with a new password.
	e.user("nurse.jones", access.Clinician, adminPassword, false)
	_, err = e.login(Credentials{User: "nurse.jones", Password: goodPassword})
	mustIs(t, err, ErrDenied)
	e.clock.Advance(time.Hour) // the name's failures are throttled as before the deletion
	if _, err := e.login(Credentials{User: "nurse.jones", Password: adminPassword}); err != nil {
		t.Fatal(err)
	}
}
