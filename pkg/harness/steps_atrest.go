package harness

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/cucumber/godog"

	"github.com/wardsec/ward/pkg/device"
)

func registerAtRestSteps(s *StepSet) {
	s.Step(`^"([^"]+)" stores a marker in the record of patient "([^"]+)"$`, stepStoreMarker)
	s.Step(`^an attacker dumps the device's raw storage$`, stepDump)
	s.Step(`^the marker appears nowhere in the dump$`, stepMarkerNotInDump)
	s.Step(`^nothing from the record of patient "([^"]+)" appears in the dump$`, stepRecordNotInDump)
	s.Step(`^the password of "([^"]+)" appears nowhere in the dump$`, stepPasswordNotInDump)
	s.Step(`^an attacker with storage access alters the stored record of patient "([^"]+)"$`, stepAlterStoredRecord)
	s.Step(`^reading the record of patient "([^"]+)" as "([^"]+)" fails its integrity check$`, stepReadFailsIntegrity)
	s.Step(`^two units of the same model, each with patient data stored$`, stepTwoUnits)
	s.Step(`^an attacker extracts the storage key of the first unit$`, stepExtractKey)
	s.Step(`^that key opens none of the second unit's stored files$`, stepKeyOpensNothing)
	s.Step(`^the second unit's marker is in none of its stored files in the clear$`, stepUnit2MarkerHidden)
	s.Step(`^"([^"]+)" decommissions the device$`, stepDecommission)
	s.Step(`^the device's storage key is destroyed$`, stepKeyDestroyed)
	s.Step(`^the marker cannot be recovered from the earlier dump or from the device's storage$`, stepMarkerUnrecoverable)
	s.Step(`^"([^"]+)" collects the device's audit trail and a configuration export$`, stepCollectOutputs)
	s.Step(`^neither holds the password of "([^"]+)" or the wrong password tried$`, stepOutputsNoPasswords)
	s.Step(`^neither holds the device's storage key$`, stepOutputsNoKey)
	s.Step(`^the dump holds sealed files, every one in the current at-rest format$`, stepSealedCurrentFormat)
	s.Step(`^every key that can open a sealed file is wrapped with an approved algorithm$`, stepApprovedWrapping)
}

// newMarker is a unique string no device holds by chance.
func newMarker() string {
	b := make([]byte, 12)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand does not fail on supported platforms
	}
	return "WARD-MARKER-" + hex.EncodeToString(b)
}

// withMarker returns record with the marker added: as a "note" field when
// the record is a JSON object, appended otherwise.
func withMarker(record []byte, marker string) []byte {
	var m map[string]any
	if json.Unmarshal(record, &m) == nil && m != nil {
		m["note"] = marker
		if b, err := json.Marshal(m); err == nil {
			return b
		}
	}
	return append(append(bytes.Clone(record), ' '), marker...)
}

// storeMarker writes a fresh marker into a patient record through the
// device's normal interface and returns it.
func storeMarker(ctx context.Context, w *world, dev device.Device, token, patient string) (string, []byte, error) {
	pd, err := device.As[device.PatientData](dev, device.Label[device.PatientData]())
	if err != nil {
		return "", nil, skip(w, err)
	}
	cur, err := pd.ReadPatient(ctx, token, patient)
	if err != nil {
		return "", nil, fmt.Errorf("read patient %q: %w", patient, err)
	}
	marker := newMarker()
	rec := withMarker(cur, marker)
	if err := pd.WritePatient(ctx, token, patient, rec); err != nil {
		return "", nil, fmt.Errorf("store the marker in patient %q: %w", patient, err)
	}
	return marker, rec, nil
}

func stepStoreMarker(ctx context.Context, user, patient string) error {
	w := worldFrom(ctx)
	tok, err := session(w, user)
	if err != nil {
		return err
	}
	marker, rec, err := storeMarker(ctx, w, w.dev, tok, patient)
	if err != nil {
		return err
	}
	w.data.marker, w.data.lastRead[patient], w.auth.lastUser = marker, rec, user
	w.observe("%q stored marker %s in patient %q", user, marker, patient)
	return nil
}

// dumpStorage reads every stored file, as an attacker with the flash chip.
func dumpStorage(ctx context.Context, w *world, dev device.Device) (map[string][]byte, error) {
	st, err := device.As[device.RawStorage](dev, device.Label[device.RawStorage]())
	if err != nil {
		return nil, skip(w, err)
	}
	names, err := st.ListStored(ctx)
	if errors.Is(err, device.ErrUnsupported) {
		return nil, skip(w, err)
	}
	if err != nil {
		return nil, fmt.Errorf("list raw storage: %w", err)
	}
	out := make(map[string][]byte, len(names))
	for _, n := range names {
		b, err := st.ReadStored(ctx, n)
		if err != nil {
			return nil, fmt.Errorf("read raw %q: %w", n, err)
		}
		out[n] = b
	}
	return out, nil
}

func listing(files map[string][]byte) []byte {
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	var b bytes.Buffer
	for _, n := range names {
		fmt.Fprintf(&b, "%8d  %s\n", len(files[n]), n)
	}
	return b.Bytes()
}

func stepDump(ctx context.Context) error {
	w := worldFrom(ctx)
	d, err := dumpStorage(ctx, w, w.dev)
	if err != nil {
		return err
	}
	if len(d) == 0 {
		// Nothing stored is nothing searched: the data paths hold no
		// files (or name the wrong place), which proves no protection.
		return skip(w, &device.UnsupportedError{Capability: "raw storage with files in it (the dump is empty: no files under the target's data paths, so nothing could be searched)"})
	}
	w.data.dump = d
	w.attach("raw-storage-listing.txt", "text/plain", listing(d))
	w.observe("dumped %d stored files", len(d))
	return nil
}

func needDump(w *world) error {
	if w.data.dump == nil {
		return errors.New("scenario bug: no raw storage dump was taken")
	}
	return nil
}

func stepMarkerNotInDump(ctx context.Context) error {
	w := worldFrom(ctx)
	if err := needDump(w); err != nil {
		return err
	}
	if where, ok := findSecret(w.data.dump, []byte(w.data.marker)); ok {
		return fmt.Errorf("the marker lies in the clear in %s", where)
	}
	w.observe("marker %s not found in %d files, in any encoding", w.data.marker, len(w.data.dump))
	return nil
}

// distinctive returns the string values of a JSON record long enough to be
// meaningful if found (names, dates, record numbers), leaving out the id.
func distinctive(record []byte, id string) []string {
	var m map[string]any
	if json.Unmarshal(record, &m) != nil {
		return []string{string(record)}
	}
	var out []string
	for _, v := range m {
		if s, ok := v.(string); ok && len(s) >= 8 && s != id {
			out = append(out, s)
		}
	}
	sort.Strings(out)
	return out
}

func stepRecordNotInDump(ctx context.Context, patient string) error {
	w := worldFrom(ctx)
	if err := needDump(w); err != nil {
		return err
	}
	rec, ok := w.data.lastRead[patient]
	if !ok {
		return fmt.Errorf("scenario bug: patient %q was not read or written earlier", patient)
	}
	vals := distinctive(rec, patient)
	for _, v := range vals {
		if where, ok := findSecret(w.data.dump, []byte(v)); ok {
			return fmt.Errorf("patient data %q lies in the clear in %s", v, where)
		}
	}
	w.observe("none of %d values of patient %q found in the dump", len(vals), patient)
	return nil
}

func stepPasswordNotInDump(ctx context.Context, user string) error {
	w := worldFrom(ctx)
	if err := needDump(w); err != nil {
		return err
	}
	pw, err := password(w, user)
	if err != nil {
		return err
	}
	if where, ok := findSecret(w.data.dump, []byte(pw)); ok {
		return fmt.Errorf("the password of %q lies in the clear in %s", user, where)
	}
	w.observe("the password of %q is not in the dump", user)
	return nil
}

func stepAlterStoredRecord(ctx context.Context, patient string) error {
	w := worldFrom(ctx)
	st, err := capability[device.RawStorage](w, device.Label[device.RawStorage]())
	if err != nil {
		return err
	}
	names, err := st.ListStored(ctx)
	if err != nil {
		return err
	}
	altered := 0
	for _, n := range names {
		if !strings.Contains(n, patient) {
			continue
		}
		orig, err := st.ReadStored(ctx, n)
		if err != nil {
			return err
		}
		if len(orig) == 0 {
			continue
		}
		mod := bytes.Clone(orig)
		if i := bytes.Index(mod, []byte(w.data.marker)); w.data.marker != "" && i >= 0 {
			// Plain text: a careful attacker keeps the record well formed.
			copy(mod[i:], strings.Repeat("X", len(w.data.marker)))
		} else {
			mod[len(mod)/2] ^= 0x01
		}
		if err := st.WriteStored(ctx, n, mod); err != nil {
			return fmt.Errorf("write altered %q: %w", n, err)
		}
		w.onCleanup(func(ctx context.Context) error { return st.WriteStored(ctx, n, orig) })
		w.observe("altered stored file %q", n)
		altered++
	}
	if altered == 0 {
		return fmt.Errorf("no stored file of patient %q found among %d stored files", patient, len(names))
	}
	return nil
}

func stepReadFailsIntegrity(ctx context.Context, patient, user string) error {
	w := worldFrom(ctx)
	pd, tok, err := withSession[device.PatientData](w, device.Label[device.PatientData](), user)
	if err != nil {
		return err
	}
	got, err := pd.ReadPatient(ctx, tok, patient)
	switch {
	case err == nil:
		w.attach("patient-"+patient+"-served.json", "application/json", got)
		return fmt.Errorf("the device served the altered record of patient %q without noticing", patient)
	case !errors.Is(err, device.ErrIntegrity):
		return fmt.Errorf("the read failed, but not as an integrity failure: %w", err)
	}
	w.observe("read refused: %v", err)
	return nil
}

// unitUser is the account prepareUnit makes on each unit.
const unitUser = "ward.unit.check"

// prepareUnit logs into a unit with a fresh account and stores a marker.
func prepareUnit(ctx context.Context, w *world, dev device.Device) (*unit, error) {
	pw, _, err := provision(ctx, w, dev, unitUser, "clinician")
	if err != nil {
		if errors.Is(err, godog.ErrSkip) {
			return nil, err
		}
		return nil, fmt.Errorf("create account: %w", err)
	}
	w.auth.passwords[unitUser], w.auth.roles[unitUser] = pw, "clinician"
	tok, err := signIn(ctx, w, dev, unitUser, pw, nil)
	if err != nil {
		if errors.Is(err, godog.ErrSkip) {
			return nil, err
		}
		return nil, fmt.Errorf("log in: %w", err)
	}
	marker, _, err := storeMarker(ctx, w, dev, tok, "P-1001")
	if err != nil {
		return nil, err
	}
	return &unit{dev: dev, token: tok, marker: marker}, nil
}

func stepTwoUnits(ctx context.Context) error {
	w := worldFrom(ctx)
	first, err := prepareUnit(ctx, w, w.dev)
	if err != nil {
		return err
	}
	w.data.marker = first.marker
	d2, err := w.open(ctx)
	if err != nil {
		return fmt.Errorf("open a second unit: %w", err)
	}
	if err := needOtherUnit(ctx, w, d2, "a second unit of the same model"); err != nil {
		return err
	}
	if w.data.unit2, err = prepareUnit(ctx, w, d2); err != nil {
		return err
	}
	id1, _ := w.dev.Identify(ctx)
	id2, _ := d2.Identify(ctx)
	w.observe("unit 1 serial %s, unit 2 serial %s, each with a marker stored", id1.Serial, id2.Serial)
	return nil
}

// storageKey asks a unit for its storage key; ok is false after a
// crypto-erase.
func storageKey(ctx context.Context, w *world, dev device.Device) (string, []byte, bool, error) {
	kc, err := device.As[device.KeyCustodian](dev, device.Label[device.KeyCustodian]())
	if err != nil {
		return "", nil, false, skip(w, err)
	}
	id, key, err := kc.ExportStorageKey(ctx)
	switch {
	case errors.Is(err, device.ErrKeyDestroyed):
		return "", nil, false, nil
	case err != nil:
		return "", nil, false, fmt.Errorf("export storage key: %w", err)
	}
	return id, key, true, nil
}

func stepExtractKey(ctx context.Context) error {
	w := worldFrom(ctx)
	id, key, ok, err := storageKey(ctx, w, w.dev)
	if err != nil {
		return err
	}
	if !ok {
		return errors.New("the first unit has no storage key")
	}
	w.data.keyID, w.data.key = id, key
	w.observe("extracted storage key %q of the first unit", id)
	return nil
}

func stepKeyOpensNothing(ctx context.Context) error {
	w := worldFrom(ctx)
	if w.data.unit2 == nil || w.data.key == nil {
		return errors.New("scenario bug: no second unit or no extracted key")
	}
	files, err := dumpStorage(ctx, w, w.data.unit2.dev)
	if err != nil {
		return err
	}
	tried := 0
	for name, data := range files {
		if !isSealed(data) {
			continue
		}
		tried++
		if _, err := openSealed(ctx, data, w.data.keyID, w.data.key); err == nil {
			return fmt.Errorf("the first unit's key opens %q on the second unit", name)
		}
	}
	if tried == 0 {
		return fmt.Errorf("the second unit has no encrypted files among %d stored files", len(files))
	}
	w.observe("the first unit's key opened none of the second unit's %d encrypted files", tried)
	return nil
}

func stepUnit2MarkerHidden(ctx context.Context) error {
	w := worldFrom(ctx)
	files, err := dumpStorage(ctx, w, w.data.unit2.dev)
	if err != nil {
		return err
	}
	if where, ok := findSecret(files, []byte(w.data.unit2.marker)); ok {
		return fmt.Errorf("the second unit's marker lies in the clear in %s", where)
	}
	return nil
}

func stepDecommission(ctx context.Context, user string) error {
	w := worldFrom(ctx)
	d, tok, err := withSession[device.Decommissioner](w, device.Label[device.Decommissioner](), user)
	if err != nil {
		return err
	}
	if err := d.Decommission(ctx, tok); err != nil {
		return fmt.Errorf("decommission: %w", err)
	}
	w.observe("%q decommissioned the device", user)
	return nil
}

func stepKeyDestroyed(ctx context.Context) error {
	w := worldFrom(ctx)
	id, key, ok, err := storageKey(ctx, w, w.dev)
	if err != nil {
		return err
	}
	if ok {
		w.data.keyID, w.data.key = id, key
		return fmt.Errorf("the storage key %q survived decommissioning", id)
	}
	w.observe("the device reports its storage key destroyed")
	return nil
}

func stepMarkerUnrecoverable(ctx context.Context) error {
	w := worldFrom(ctx)
	if err := needDump(w); err != nil {
		return err
	}
	now, err := dumpStorage(ctx, w, w.dev)
	if err != nil {
		return err
	}
	for label, files := range map[string]map[string][]byte{"earlier dump": w.data.dump, "device storage": now} {
		if where, ok := findSecret(files, []byte(w.data.marker)); ok {
			return fmt.Errorf("the marker lies in the clear in the %s: %s", label, where)
		}
		if w.data.key == nil {
			continue
		}
		for name, data := range files {
			if !isSealed(data) {
				continue
			}
			if pt, err := openSealed(ctx, data, w.data.keyID, w.data.key); err == nil && bytes.Contains(pt, []byte(w.data.marker)) {
				return fmt.Errorf("the marker was recovered from %q in the %s with a surviving key", name, label)
			}
		}
	}
	w.observe("marker not recoverable from %d earlier and %d remaining files", len(w.data.dump), len(now))
	return nil
}

func stepCollectOutputs(ctx context.Context, user string) error {
	w := worldFrom(ctx)
	exp, _, err := exportAudit(ctx, w, "audit-log.jsonl")
	if err != nil {
		return err
	}
	ce, tok, err := withSession[device.ConfigExporter](w, device.Label[device.ConfigExporter](), user)
	if err != nil {
		return err
	}
	cfg, err := ce.ExportConfig(ctx, tok)
	if err != nil {
		return fmt.Errorf("export configuration: %w", err)
	}
	w.attach("config-export", "application/octet-stream", cfg)
	w.data.outputs = map[string][]byte{"audit trail": exp.Log, "configuration export": cfg}
	w.observe("collected the audit trail (%d bytes) and a configuration export (%d bytes)", len(exp.Log), len(cfg))
	return nil
}

func stepOutputsNoPasswords(ctx context.Context, user string) error {
	w := worldFrom(ctx)
	pw, err := password(w, user)
	if err != nil {
		return err
	}
	for what, secret := range map[string]string{"the password": pw, "the wrong password tried": w.auth.wrongPW[user]} {
		if where, ok := findSecret(w.data.outputs, []byte(secret)); ok {
			return fmt.Errorf("%s of %q appears in the %s", what, user, where)
		}
	}
	w.observe("neither output holds a password of %q", user)
	return nil
}

func stepOutputsNoKey(ctx context.Context) error {
	w := worldFrom(ctx)
	_, key, ok, err := storageKey(ctx, w, w.dev)
	if err != nil {
		return err
	}
	if !ok {
		return errors.New("the device has no storage key to look for")
	}
	if where, ok := findSecret(w.data.outputs, key); ok {
		return fmt.Errorf("the storage key appears in the %s", where)
	}
	w.observe("neither output holds the storage key")
	return nil
}
