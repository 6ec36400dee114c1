package harness

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/wardsec/ward/pkg/device"
)

func registerBackupSteps(s *StepSet) {
	s.Step(`^"([^"]+)" makes a backup of the device$`, stepMakeBackup)
	s.Step(`^the marker appears nowhere in the backup$`, stepMarkerNotInBackup)
	s.Step(`^an attacker alters the backup$`, stepAlterBackup)
	s.Step(`^restoring the altered backup as "([^"]+)" is refused$`, stepRestoreRefused)
	s.Step(`^the backup is restored onto a clean unit of the same model$`, stepRestoreOnClean)
	s.Step(`^the restore finished within (\d+) seconds$`, stepRestoreWithin)
	s.Step(`^on the clean unit "([^"]+)" reads the same record of patient "([^"]+)"$`, stepCleanUnitSameRecord)
}

func stepMakeBackup(ctx context.Context, user string) error {
	w := worldFrom(ctx)
	b, tok, err := withSession[device.Backupper](w, device.Label[device.Backupper](), user)
	if err != nil {
		return err
	}
	if w.data.backup, err = b.CreateBackup(ctx, tok); err != nil {
		return fmt.Errorf("create backup: %w", err)
	}
	w.attach("backup.bin", "application/octet-stream", w.data.backup)
	w.observe("%q made a backup of %d bytes", user, len(w.data.backup))
	return nil
}

func needBackup(w *world) error {
	if w.data.backup == nil {
		return errors.New("scenario bug: no backup was made")
	}
	return nil
}

func stepMarkerNotInBackup(ctx context.Context) error {
	w := worldFrom(ctx)
	if err := needBackup(w); err != nil {
		return err
	}
	if where, ok := findSecret(map[string][]byte{"backup": w.data.backup}, []byte(w.data.marker)); ok {
		return fmt.Errorf("the marker lies in the clear in the %s", where)
	}
	w.observe("marker not found in the %d-byte backup", len(w.data.backup))
	return nil
}

func stepAlterBackup(ctx context.Context) error {
	w := worldFrom(ctx)
	if err := needBackup(w); err != nil {
		return err
	}
	mod := bytes.Clone(w.data.backup)
	loc, found := locateSecret(map[string][]byte{"backup": mod}, []byte(w.data.marker))
	switch {
	case w.data.marker != "" && found && loc.form == "plain":
		// A careful attacker keeps the backup well formed.
		copy(mod[loc.at:], strings.Repeat("X", len(w.data.marker)))
		w.observe("attacker overwrote the marker, found in the clear in the backup")
	case w.data.marker != "" && found && strings.HasPrefix(loc.form, "base64"):
		// Change one character of the encoded marker to another valid one.
		i := loc.at + loc.n/2
		if mod[i] == 'A' {
			mod[i] = 'B'
		} else {
			mod[i] = 'A'
		}
		w.observe("attacker changed the marker, found %s-encoded in the backup", loc.form)
	default:
		mod[len(mod)/2] ^= 0x01
		w.observe("attacker flipped a bit in the middle of the backup")
	}
	w.data.backup = mod
	return nil
}

func stepRestoreRefused(ctx context.Context, user string) error {
	w := worldFrom(ctx)
	b, tok, err := withSession[device.Backupper](w, device.Label[device.Backupper](), user)
	if err != nil {
		return err
	}
	err = b.RestoreBackup(ctx, tok, w.data.backup)
	switch {
	case err == nil:
		return errors.New("the device restored the altered backup")
	case !errors.Is(err, device.ErrIntegrity):
		return fmt.Errorf("the restore failed, but not as an integrity failure: %w", err)
	}
	w.observe("restore refused: %v", err)
	return nil
}

func stepRestoreOnClean(ctx context.Context) error {
	w := worldFrom(ctx)
	if err := needBackup(w); err != nil {
		return err
	}
	d, err := w.open(ctx)
	if err != nil {
		return fmt.Errorf("open a clean unit: %w", err)
	}
	b, err := device.As[device.Backupper](d, device.Label[device.Backupper]())
	if err != nil {
		return skip(w, err)
	}
	if err := needOtherUnit(ctx, w, d, "a clean unit of the same model"); err != nil {
		return err
	}
	user := "ward.restore.operator"
	pw, app, err := provision(ctx, w, d, user, "biomed")
	if err != nil {
		return fmt.Errorf("create the restore operator on the clean unit: %w", err)
	}
	tok, err := signIn(ctx, w, d, user, pw, app)
	if err != nil {
		return fmt.Errorf("log in on the clean unit: %w", err)
	}
	start := time.Now()
	if err := b.RestoreBackup(ctx, tok, w.data.backup); err != nil {
		return fmt.Errorf("restore onto the clean unit: %w", err)
	}
	w.data.restored = time.Since(start)
	w.data.unit2 = &unit{dev: d}
	// The restore brought the source's accounts, this scenario's among
	// them, onto the clean unit: remove them there too.
	for _, u := range slices.Sorted(maps.Keys(w.auth.passwords)) {
		w.created(d, w.deviceUser(u))
	}
	w.observe("restored onto a clean unit in %s", w.data.restored.Round(time.Microsecond))
	return nil
}

func stepRestoreWithin(ctx context.Context, secs int) error {
	w := worldFrom(ctx)
	if w.data.unit2 == nil {
		return errors.New("scenario bug: nothing was restored")
	}
	if limit := time.Duration(secs) * time.Second; w.data.restored > limit {
		return fmt.Errorf("the restore took %s, over the %s recovery-time objective", w.data.restored, limit)
	}
	return nil
}

func stepCleanUnitSameRecord(ctx context.Context, user, patient string) error {
	w := worldFrom(ctx)
	if w.data.unit2 == nil {
		return errors.New("scenario bug: nothing was restored")
	}
	want, ok := w.data.lastRead[patient]
	if !ok {
		return fmt.Errorf("scenario bug: patient %q was not read or written earlier", patient)
	}
	pw, err := password(w, user)
	if err != nil {
		return err
	}
	a, err := device.As[device.Authenticator](w.data.unit2.dev, device.Label[device.Authenticator]())
	if err != nil {
		return skip(w, err)
	}
	tok, err := a.Login(ctx, device.Credentials{User: w.deviceUser(user), Password: pw, Source: w.source()})
	if err != nil {
		return fmt.Errorf("%q cannot log in on the clean unit after the restore: %w", user, err)
	}
	pd, err := device.As[device.PatientData](w.data.unit2.dev, device.Label[device.PatientData]())
	if err != nil {
		return skip(w, err)
	}
	got, err := pd.ReadPatient(ctx, tok, patient)
	if err != nil {
		return fmt.Errorf("read patient %q on the clean unit: %w", patient, err)
	}
	if !bytes.Equal(got, want) {
		w.attach("patient-"+patient+"-restored.json", "application/json", got)
		return fmt.Errorf("the restored record of patient %q differs from the source", patient)
	}
	w.observe("%q logged in on the clean unit and read the same record of patient %q", user, patient)
	return nil
}
