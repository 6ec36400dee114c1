package harness

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/wardsec/ward/pkg/audit"
	"github.com/wardsec/ward/pkg/device"
)

// clockSkew is how far a device's clock may be from the harness's before a
// record's time is called implausible.
const clockSkew = 5 * time.Minute

func registerAuditSteps(s *StepSet) {
	s.Step(`^the audit trail has an? "([^"]+)" record by "([^"]+)" with outcome "([^"]+)"$`,
		func(ctx context.Context, action, actor, outcome string) error {
			return stepHasRecord(ctx, action, actor, "", outcome)
		})
	s.Step(`^the audit trail has an? "([^"]+)" record by "([^"]+)" on "([^"]+)" with outcome "([^"]+)"$`, stepHasRecord)
	s.Step(`^every audit record states its time, actor, source, action and outcome$`, stepRecordsComplete)
	s.Step(`^the device has recorded at least (\d+) audit records$`, stepAtLeastRecords)
	s.Step(`^the device's audit trail verifies as intact$`, stepTrailIntact)
	s.Step(`^an attacker with storage access (changes the (outcome|actor) of audit record (\d+)( and recomputes the chain)?)$`, stepTamperEdit)
	s.Step(`^an attacker with storage access deletes audit record (\d+)$`, stepTamperDelete)
	s.Step(`^an attacker with storage access swaps audit records (\d+) and (\d+)$`, stepTamperSwap)
	s.Step(`^an attacker with storage access inserts a forged audit record after record (\d+)$`, stepTamperInsert)
	s.Step(`^an attacker with storage access removes the last audit record$`, stepTamperTruncate)
	s.Step(`^verifying the audit trail reports "([^"]+)" at record (\d+)$`, stepVerifyReports)
	s.Step(`^verifying the audit trail fails$`, stepVerifyFails)
}

// decodeRecords reads the record lines without judging their integrity:
// the recording checks (164.312(b)) are separate from the protection checks
// (LOG-2), so an unprotected log can still show what it recorded.
func decodeRecords(log []byte) ([]audit.Record, error) {
	var out []audit.Record
	for i, line := range bytes.Split(log, []byte("\n")) {
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		var r audit.Record
		if err := json.Unmarshal(line, &r); err != nil {
			return nil, fmt.Errorf("audit trail line %d is not a record: %w", i+1, err)
		}
		out = append(out, r)
	}
	return out, nil
}

func stepHasRecord(ctx context.Context, action, actor, object, outcome string) error {
	w := worldFrom(ctx)
	_, recs, err := exportAudit(ctx, w, "audit-log.jsonl")
	if err != nil {
		return err
	}
	for _, r := range recs {
		if r.Action == action && r.Actor == w.deviceUser(actor) && string(r.Outcome) == outcome && (object == "" || r.Object == object) {
			w.observe("record %d: %s %s by %q on %q from %q: %s", r.Seq, r.Time.Format(time.RFC3339), r.Action, r.Actor, r.Object, r.Source, r.Outcome)
			return nil
		}
	}
	what := fmt.Sprintf("%q by %s", action, w.describeUser(actor))
	if object != "" {
		what += fmt.Sprintf(" on %q", object)
	}
	return fmt.Errorf("no %s record with outcome %q among the device's %d audit records", what, outcome, len(recs))
}

func stepRecordsComplete(ctx context.Context) error {
	w := worldFrom(ctx)
	_, recs, err := exportAudit(ctx, w, "audit-log.jsonl")
	if err != nil {
		return err
	}
	if len(recs) == 0 {
		return errors.New("the device's audit trail is empty")
	}
	// Times are judged for this scenario's records only: a device that
	// keeps its trail holds earlier scenarios' and runs' records, rightly
	// older. A test build whose clock the harness moved writes them at
	// its own time.
	lo, hi := w.started.Add(-clockSkew), time.Now().Add(clockSkew)
	if t := deviceNow(ctx, w); t.After(time.Now()) {
		hi = t.Add(clockSkew)
	}
	ours := 0
	for _, r := range recs {
		var missing []string
		for name, v := range map[string]string{"actor": r.Actor, "source": r.Source, "action": r.Action, "outcome": string(r.Outcome)} {
			if strings.TrimSpace(v) == "" {
				missing = append(missing, name)
			}
		}
		if len(missing) > 0 {
			return fmt.Errorf("audit record %d has no %s", r.Seq, strings.Join(missing, ", "))
		}
		if !w.ours(r) {
			continue
		}
		ours++
		if r.Time.Before(lo) || r.Time.After(hi) {
			return fmt.Errorf("audit record %d has an implausible time %s", r.Seq, r.Time.Format(time.RFC3339))
		}
	}
	if ours == 0 {
		return fmt.Errorf("none of the device's %d audit records is of this scenario's activity", len(recs))
	}
	w.observe("all %d audit records carry time, actor, source, action and outcome; the %d of this scenario have plausible times", len(recs), ours)
	return nil
}

func stepAtLeastRecords(ctx context.Context, n int) error {
	w := worldFrom(ctx)
	_, recs, err := exportAudit(ctx, w, "audit-log-before.jsonl")
	if err != nil {
		return err
	}
	first := w.firstRecord(recs)
	if got := len(recs) - first; got < n {
		return fmt.Errorf("the device recorded %d audit records in this scenario, want at least %d", got, n)
	}
	if first > 0 {
		w.observe("the device holds %d audit records, %d of them from this scenario; record numbers below count from its first, record %d", len(recs), len(recs)-first, recs[first].Seq)
		return nil
	}
	w.observe("the device holds %d audit records", len(recs))
	return nil
}

func stepTrailIntact(ctx context.Context) error {
	w := worldFrom(ctx)
	exp, _, err := exportAudit(ctx, w, "audit-log-before.jsonl")
	if err != nil {
		return err
	}
	rep, err := audit.Verify(exp.Log, exp.Checkpoint, exp.PublicKey)
	if err != nil {
		return fmt.Errorf("the untouched audit trail does not verify, so it offers no tamper evidence: %w", err)
	}
	w.observe("the audit trail verifies: %d records, signed head %s", rep.Records, short(rep.Head))
	return nil
}

// tamper rewrites the stored log through raw storage and registers a
// cleanup that puts the original back.
func tamper(ctx context.Context, edit func(lines [][]byte) ([][]byte, error)) error {
	w := worldFrom(ctx)
	st, err := capability[device.RawStorage](w, device.Label[device.RawStorage]())
	if err != nil {
		return err
	}
	exp, recs, err := exportAudit(ctx, w, "audit-log-before.jsonl")
	if err != nil {
		return err
	}
	w.firstRecord(recs) // before any edit moves records
	orig := bytes.Clone(exp.Log)
	var lines [][]byte
	for _, l := range bytes.Split(exp.Log, []byte("\n")) {
		if len(l) > 0 {
			lines = append(lines, l)
		}
	}
	lines, err = edit(lines)
	if err != nil {
		return err
	}
	out := append(bytes.Join(lines, []byte("\n")), '\n')
	if err := st.WriteStored(ctx, exp.LogPath, out); err != nil {
		return fmt.Errorf("write the tampered audit trail: %w", err)
	}
	w.onCleanup(func(ctx context.Context) error { return st.WriteStored(ctx, exp.LogPath, orig) })
	w.attach("audit-log-tampered.jsonl", "application/x-ndjson", out)
	return nil
}

// recordAt returns the line index of the scenario's record n (1-based,
// counted from the scenario's first record, see world.firstRecord).
func recordAt(w *world, lines [][]byte, n int) (int, error) {
	first := w.acct.first.idx
	if n < 1 || first+n > len(lines) {
		return 0, fmt.Errorf("the audit trail has %d records from this scenario; there is no record %d", len(lines)-first, n)
	}
	return first + n - 1, nil
}

// editField changes one field of a record line, keeping the rest as is.
func editField(line []byte, field string) ([]byte, error) {
	var m map[string]any
	if err := json.Unmarshal(line, &m); err != nil {
		return nil, err
	}
	switch field {
	case "outcome":
		if m["outcome"] == string(audit.Success) {
			m["outcome"] = string(audit.Failure)
		} else {
			m["outcome"] = string(audit.Success)
		}
	case "actor":
		m["actor"] = "someone-else"
	}
	return json.Marshal(m)
}

func stepTamperEdit(ctx context.Context, what, field string, n int, rechain string) error {
	w := worldFrom(ctx)
	return tamper(ctx, func(lines [][]byte) ([][]byte, error) {
		i, err := recordAt(w, lines, n)
		if err != nil {
			return nil, err
		}
		if lines[i], err = editField(lines[i], field); err != nil {
			return nil, err
		}
		if rechain != "" {
			if lines, err = rechainFrom(lines, i); err != nil {
				return nil, err
			}
		}
		w.observe("attacker %s", what)
		return lines, nil
	})
}

// rechainFrom recomputes the hash of record i and the prev/hash of every
// later record, as an attacker who knows the format (but not the signing
// key) would.
func rechainFrom(lines [][]byte, i int) ([][]byte, error) {
	recs := make([]audit.Record, len(lines))
	for j, l := range lines {
		if err := json.Unmarshal(l, &recs[j]); err != nil {
			return nil, err
		}
	}
	for j := i; j < len(recs); j++ {
		if j > 0 {
			recs[j].Prev = recs[j-1].Hash
		}
		h, err := audit.RecordHash(recs[j])
		if err != nil {
			return nil, err
		}
		recs[j].Hash = h
		b, err := json.Marshal(recs[j])
		if err != nil {
			return nil, err
		}
		lines[j] = b
	}
	return lines, nil
}

func stepTamperDelete(ctx context.Context, n int) error {
	w := worldFrom(ctx)
	return tamper(ctx, func(lines [][]byte) ([][]byte, error) {
		i, err := recordAt(w, lines, n)
		if err != nil {
			return nil, err
		}
		w.observe("attacker deleted audit record %d", n)
		return append(lines[:i:i], lines[i+1:]...), nil
	})
}

func stepTamperSwap(ctx context.Context, a, b int) error {
	w := worldFrom(ctx)
	return tamper(ctx, func(lines [][]byte) ([][]byte, error) {
		i, err := recordAt(w, lines, a)
		if err != nil {
			return nil, err
		}
		j, err := recordAt(w, lines, b)
		if err != nil {
			return nil, err
		}
		lines[i], lines[j] = lines[j], lines[i]
		w.observe("attacker swapped audit records %d and %d", a, b)
		return lines, nil
	})
}

func stepTamperInsert(ctx context.Context, n int) error {
	w := worldFrom(ctx)
	return tamper(ctx, func(lines [][]byte) ([][]byte, error) {
		i, err := recordAt(w, lines, n)
		if err != nil {
			return nil, err
		}
		var prev audit.Record
		if err := json.Unmarshal(lines[i], &prev); err != nil {
			return nil, err
		}
		// A careful forgery: next sequence number, chained to its
		// predecessor, with a correct hash of its own.
		forged := prev
		forged.Seq = prev.Seq + 1
		forged.Actor, forged.Action, forged.Object, forged.Outcome = "attacker", "phi.read", "P-1001", audit.Success
		forged.Prev = prev.Hash
		if forged.Hash, err = audit.RecordHash(forged); err != nil {
			return nil, err
		}
		b, err := json.Marshal(forged)
		if err != nil {
			return nil, err
		}
		out := append(append(lines[:i+1:i+1], b), lines[i+1:]...)
		w.observe("attacker inserted a forged, correctly hashed record after record %d", n)
		return out, nil
	})
}

func stepTamperTruncate(ctx context.Context) error {
	w := worldFrom(ctx)
	return tamper(ctx, func(lines [][]byte) ([][]byte, error) {
		if len(lines) == 0 {
			return nil, errors.New("the audit trail is empty")
		}
		w.observe("attacker removed the last audit record (record %d)", len(lines))
		return lines[:len(lines)-1], nil
	})
}

func verifyAfterTamper(ctx context.Context) (error, error) {
	w := worldFrom(ctx)
	exp, _, err := exportAudit(ctx, w, "audit-log-after.jsonl")
	if err != nil {
		return nil, err
	}
	_, verr := audit.Verify(exp.Log, exp.Checkpoint, exp.PublicKey)
	if verr == nil {
		return nil, errors.New("the tampered audit trail verified as intact: the tampering went undetected")
	}
	w.observe("verification: %v", verr)
	return verr, nil
}

func stepVerifyReports(ctx context.Context, problem string, seq int) error {
	verr, err := verifyAfterTamper(ctx)
	if err != nil {
		return err
	}
	var ve *audit.VerifyError
	if !errors.As(verr, &ve) {
		return fmt.Errorf("verification failed without naming a record: %w", verr)
	}
	w := worldFrom(ctx)
	want := w.acct.first.offset + uint64(seq)
	if !strings.EqualFold(string(ve.Problem), problem) || ve.Seq != want {
		return fmt.Errorf("verification reported %q at record %d, want %q at record %d: %w", ve.Problem, ve.Seq, problem, want, verr)
	}
	return nil
}

func stepVerifyFails(ctx context.Context) error {
	verr, err := verifyAfterTamper(ctx)
	if err != nil {
		return err
	}
	if !errors.Is(verr, audit.ErrTampered) {
		return fmt.Errorf("verification failed, but not as tampering: %w", verr)
	}
	return nil
}

func short(h string) string {
	if len(h) > 16 {
		return h[:16] + "…"
	}
	return h
}
