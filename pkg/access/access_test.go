package access

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/wardsec/ward/pkg/audit"
)

// recorder is an Auditor that keeps events in memory.
type recorder struct {
	mu     sync.Mutex
	events []audit.Event
	fail   error
}

func (r *recorder) Append(_ context.Context, e audit.Event) (audit.Record, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.fail != nil {
		return audit.Record{}, r.fail
	}
	r.events = append(r.events, e)
	return audit.Record{Seq: uint64(len(r.events))}, nil
}

func subject(user string, r Role) Subject {
	return Subject{User: user, Role: r, Source: "10.0.0.7", Session: "s1"}
}

// Tests named after the misuse they stop.

func TestClinicianCannotFlashFirmware(t *testing.T) {
	rec := &recorder{}
	p := DefaultPolicy(WithAuditor(rec))
	err := p.Authorize(t.Context(), subject("nurse.jones", Clinician), FirmwareUpdate)
	if !errors.Is(err, ErrForbidden) {
		t.Fatalf("got %v", err)
	}
	if len(rec.events) != 1 || rec.events[0].Action != ActionDenied || rec.events[0].Object != "firmware.update" ||
		rec.events[0].Outcome != audit.Denied || rec.events[0].Actor != "nurse.jones" {
		t.Fatalf("%+v", rec.events)
	}
}

func TestPatientCannotChangeDoseLimits(t *testing.T) {
	p := DefaultPolicy()
	for _, perm := range Permissions() {
		if err := p.Authorize(t.Context(), subject("pat.doe", Patient), perm); !errors.Is(err, ErrForbidden) {
			t.Errorf("patient allowed %s", perm)
		}
	}
}

func TestDefaultPolicyMatchesDocumentedTable(t *testing.T) {
	// The table in DefaultTable's comment and docs/mfa.md, row by row:
	// patient, clinician, biomed, administrator, service, break-glass.
	want := map[Permission]string{
		PHIRead:              "-x---x",
		PHIWrite:             "-x---x",
		InfusionProgram:      "-x---x",
		InfusionLimitsChange: "--x--x",
		FirmwareUpdate:       "--x-x-",
		UserManage:           "---x--",
		AuditRead:            "--xx--",
		ConfigChange:         "--xxx-",
		BreakGlass:           "-x----",
	}
	p := DefaultPolicy()
	for perm, row := range want {
		var got strings.Builder
		for _, r := range Roles() {
			got.WriteString(mark(p.Allowed(subject("kim.lee", r), perm)))
		}
		got.WriteString(mark(p.Allowed(Subject{User: "nurse.jones", Role: Clinician, BreakGlass: true}, perm)))
		if got.String() != row {
			t.Errorf("%-22s %s, documented %s", perm, got.String(), row)
		}
	}
	for _, perm := range []Permission{InfusionLimitsChange, FirmwareUpdate, UserManage, ConfigChange} {
		if !p.Sensitive(perm) {
			t.Errorf("%s not sensitive", perm)
		}
	}
	if p.Sensitive(PHIRead) || p.Privileged(InfusionProgram) || !p.Privileged(AuditRead) {
		t.Error("sensitive/privileged columns differ from the documentation")
	}
}

func mark(b bool) string {
	if b {
		return "x"
	}
	return "-"
}

func TestDenyByDefault(t *testing.T) {
	p := DefaultPolicy()
	for name, tc := range map[string]struct {
		s    Subject
		perm Permission
	}{
		"no user":            {Subject{Role: Administrator}, UserManage},
		"no role":            {Subject{User: "kim.lee"}, PHIRead},
		"unknown role":       {Subject{User: "kim.lee", Role: "superuser"}, UserManage},
		"unknown permission": {subject("kim.lee", Administrator), "self.destruct"},
		"empty permission":   {subject("kim.lee", Administrator), ""},
		"role spelled oddly": {Subject{User: "kim.lee", Role: "Administrator"}, UserManage},
	} {
		if err := p.Authorize(t.Context(), tc.s, tc.perm); !errors.Is(err, ErrForbidden) {
			t.Errorf("%s: allowed", name)
		}
	}
}

func TestLeastPrivilegeNoRoleHoldsEverything(t *testing.T) {
	p := DefaultPolicy()
	for _, r := range Roles() {
		perms := p.Permissions(subject("kim.lee", r))
		if len(perms) > 4 {
			t.Errorf("%s holds %v", r, perms)
		}
		if r != Clinician && slices.Contains(perms, PHIRead) {
			t.Errorf("%s reads patient data", r)
		}
	}
}

func TestBreakGlassSessionLimitedToEmergencyPermissions(t *testing.T) {
	rec := &recorder{}
	p := DefaultPolicy(WithAuditor(rec))
	s := Subject{User: "nurse.jones", Role: Clinician, BreakGlass: true, Session: "bg1"}
	if err := p.Authorize(t.Context(), s, InfusionLimitsChange); err != nil {
		t.Fatal(err)
	}
	if err := p.Authorize(t.Context(), s, InfusionProgram); err != nil {
		t.Fatal(err)
	}
	for _, perm := range []Permission{FirmwareUpdate, UserManage, ConfigChange, AuditRead, BreakGlass} {
		if err := p.Authorize(t.Context(), s, perm); !errors.Is(err, ErrForbidden) {
			t.Errorf("break-glass allowed %s", perm)
		}
	}
	// Every use during the emergency is recorded, privileged or not.
	if len(rec.events) != 7 || rec.events[1].Action != ActionGranted || rec.events[1].Detail[detailBreakGlass] != "true" {
		t.Fatalf("%+v", rec.events)
	}
}

func TestPrivilegedGrantThatCannotBeRecordedIsRefused(t *testing.T) {
	rec := &recorder{fail: errors.New("disk full")}
	p := DefaultPolicy(WithAuditor(rec))
	err := p.Authorize(t.Context(), subject("bo.biomed", Biomed), FirmwareUpdate)
	if !errors.Is(err, ErrForbidden) || !strings.Contains(err.Error(), "disk full") {
		t.Fatalf("got %v", err)
	}
	// Routine clinical work is not recorded here (the device records the
	// operation itself) and goes ahead.
	if err := p.Authorize(t.Context(), subject("nurse.jones", Clinician), InfusionProgram); err != nil {
		t.Fatal(err)
	}
}

func TestNewPolicyRefusesPrivilegeForNonPrivilegedRoles(t *testing.T) {
	for name, tab := range map[string]Table{
		"clinician flashes firmware": {Grants: map[Role][]Permission{Clinician: {FirmwareUpdate}}, Privileged: []Permission{FirmwareUpdate}},
		"patient manages users":      {Grants: map[Role][]Permission{Patient: {UserManage}}, Privileged: []Permission{UserManage}},
		"unknown role":               {Grants: map[Role][]Permission{"janitor": {PHIRead}}},
		"empty permission":           {Grants: map[Role][]Permission{Clinician: {""}}},
		"empty emergency permission": {Emergency: []Permission{""}},
	} {
		if _, err := NewPolicy(tab); !errors.Is(err, ErrInvalidPolicy) {
			t.Errorf("%s: %v", name, err)
		}
	}
	// A device-specific permission for patients is fine.
	tab := DefaultTable()
	tab.Grants[Patient] = []Permission{"infusion.bolus.request"}
	p, err := NewPolicy(tab)
	if err != nil || !p.Allowed(subject("pat.doe", Patient), "infusion.bolus.request") {
		t.Fatal(err)
	}
}

func TestSharedAccountRefused(t *testing.T) {
	shared := []string{"admin", "Admin", "ADMINISTRATOR", "root", "nurse", "nurse2", "nurse_02", "icu-nurse",
		"user", "user1", "shared", "service", "guest", "biomed", "tech1", "test", "demo", "default",
		"nurses@hospital", "er.nurse", "service-01", "maintenance"}
	for _, n := range shared {
		if _, err := CanonicalName(n); !errors.Is(err, ErrSharedAccount) {
			t.Errorf("CanonicalName(%q) = %v, want ErrSharedAccount", n, err)
		}
	}
	invalid := []string{"", " ", "kim lee", "kim\x00lee", "kim/lee", "-kim", ".kim", "ünal", strings.Repeat("a", 65), "123", "kim;drop", "\u212aim.lee"}
	for _, n := range invalid {
		if _, err := CanonicalName(n); !errors.Is(err, ErrInvalidName) {
			t.Errorf("CanonicalName(%q) = %v, want ErrInvalidName", n, err)
		}
	}
	for in, want := range map[string]string{"Nurse.Jones": "nurse.jones", "kim.lee@example.org": "kim.lee@example.org",
		"dr.smith": "dr.smith", "j.doe2": "j.doe2", "admin.kim": "admin.kim", "rn_ana": "rn_ana"} {
		got, err := CanonicalName(in)
		if err != nil || got != want {
			t.Errorf("CanonicalName(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
}

func TestRoles(t *testing.T) {
	var priv []string
	for _, r := range Roles() {
		if !r.Valid() {
			t.Errorf("%s invalid", r)
		}
		if r.Privileged() {
			priv = append(priv, string(r))
		}
	}
	if fmt.Sprint(priv) != "[biomed administrator service]" {
		t.Fatal(priv)
	}
	if Role("root").Valid() {
		t.Fatal("root valid")
	}
}

func TestConcurrentAuthorize(t *testing.T) {
	rec := &recorder{}
	p := DefaultPolicy(WithAuditor(rec))
	var wg sync.WaitGroup
	for i := range 32 {
		wg.Go(func() {
			r := Roles()[i%len(Roles())]
			for _, perm := range Permissions() {
				_ = p.Authorize(context.Background(), subject(fmt.Sprintf("u%d.x", i), r), perm)
			}
		})
	}
	wg.Wait()
	if len(rec.events) == 0 {
		t.Fatal("nothing recorded")
	}
}
