package harness

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/wardsec/ward/pkg/audit"
	"github.com/wardsec/ward/pkg/device"
)

// Contingency steps: emergency mode operation (HIPAA 164.308(a)(7)(ii)(C)).
// They provoke an outage through the device's test-build outage control
// (device.OutageControl) and observe from outside what it does: its
// clinical settings, its local alarms, its logins (the access and mfa
// steps), its audit trail and what reaches the harness's log collector
// (the transport steps' collector).

const (
	actionEmergencyEnter = "emergency-mode.enter"
	actionEmergencyExit  = "emergency-mode.exit"
)

func registerContingencySteps(s *StepSet) {
	s.Step(`^an? "([^"]+)" outage begins$`, stepOutageBegins)
	s.Step(`^the outage ends$`, stepOutageEnds)
	s.Step(`^the device is in emergency mode because of "([^"]+)"$`, stepInEmergency)
	s.Step(`^the pump still infuses at ([0-9.]+) mL/h$`, stepStillInfuses)
	s.Step(`^the device shows a local "([^"]+)" alarm$`, stepLocalAlarm)
	s.Step(`^the device leaves emergency mode by itself within (\d+) seconds$`, stepLeavesEmergency)
	s.Step(`^its local alarms are cleared$`, stepAlarmsCleared)
	s.Step(`^the audit trail records the device entering and then leaving emergency mode$`, stepEmergencyModeRecorded)
	s.Step(`^within (\d+) seconds the collector receives every audit record the device made during the outage, in order$`, stepOutageRecordsForwarded)
	s.Step(`^the records the collector received from the outage verify against the device's signed audit trail$`, stepOutageRecordsVerify)
}

// outageControl is the device's outage control; its absence (every
// production device, the ssh and net drivers) makes the scenario
// not-applicable with the reason.
func outageControl(w *world) (device.OutageControl, error) {
	return capability[device.OutageControl](w, device.Label[device.OutageControl]())
}

func emergencyStatus(ctx context.Context, w *world) (device.EmergencyStatus, error) {
	oc, err := outageControl(w)
	if err != nil {
		return device.EmergencyStatus{}, err
	}
	st, err := oc.EmergencyStatus(ctx)
	if err != nil {
		return st, fmt.Errorf("read the device's emergency status: %w", err)
	}
	if len(st.Causes) > 64 || len(st.Alarms) > 1024 {
		return st, fmt.Errorf("the device reports %d causes and %d alarms: more than a device shows", len(st.Causes), len(st.Alarms))
	}
	return st, nil
}

func stepOutageBegins(ctx context.Context, kind string) error {
	w := worldFrom(ctx)
	oc, err := outageControl(w)
	if err != nil {
		return err
	}
	if !slices.Contains(device.OutageKinds(), kind) {
		return fmt.Errorf("scenario bug: unknown outage kind %q (known: %s)", kind, strings.Join(device.OutageKinds(), ", "))
	}
	if err := oc.BeginOutage(ctx, kind); err != nil {
		if errors.Is(err, device.ErrUnsupported) {
			return skip(w, err)
		}
		return fmt.Errorf("begin a %s outage: %w", kind, err)
	}
	// Whatever the scenario's result, the device gets its links back.
	w.onCleanup(func(ctx context.Context) error { return oc.EndOutage(ctx) })
	w.observe("began a %q outage", kind)
	return nil
}

func stepOutageEnds(ctx context.Context) error {
	w := worldFrom(ctx)
	oc, err := outageControl(w)
	if err != nil {
		return err
	}
	if err := oc.EndOutage(ctx); err != nil {
		return fmt.Errorf("end the outage: %w", err)
	}
	w.observe("restored the device's links (nothing told it to leave emergency mode)")
	return nil
}

func stepInEmergency(ctx context.Context, kind string) error {
	w := worldFrom(ctx)
	st, err := emergencyStatus(ctx, w)
	if err != nil {
		return err
	}
	if !st.Active {
		return fmt.Errorf("during a %q outage the device says it is not in emergency mode", kind)
	}
	if !slices.Contains(st.Causes, kind) {
		return fmt.Errorf("the device is in emergency mode, but names the causes %q, not %q", st.Causes, kind)
	}
	w.observe("in emergency mode since %s, causes %q", st.Since.Format(time.RFC3339), st.Causes)
	return nil
}

func stepStillInfuses(ctx context.Context, rate string) error {
	w := worldFrom(ctx)
	s, err := settings(ctx, w)
	if err != nil {
		return err
	}
	got, ok := s[rateKey]
	if !ok {
		return fmt.Errorf("the pump's settings have no %s", rateKey)
	}
	if !sameRate(got, rate) {
		return fmt.Errorf("during the outage the pump runs at %q mL/h, not the programmed %s mL/h", outageClip(got), rate)
	}
	w.observe("%s = %s during the outage", rateKey, got)
	return nil
}

func stepLocalAlarm(ctx context.Context, kind string) error {
	w := worldFrom(ctx)
	st, err := emergencyStatus(ctx, w)
	if err != nil {
		return err
	}
	for _, a := range st.Alarms {
		if a.Kind == kind && a.Active {
			w.observe("local alarm %q since %s: %s", a.Kind, a.Time.Format(time.RFC3339), outageClip(a.Detail))
			return nil
		}
	}
	return fmt.Errorf("the device shows no active local %q alarm (alarms: %s)", kind, outageAlarms(st.Alarms))
}

func outageAlarms(as []device.LocalAlarm) string {
	if len(as) == 0 {
		return "none"
	}
	var out []string
	for _, a := range as {
		state := "cleared"
		if a.Active {
			state = "active"
		}
		out = append(out, fmt.Sprintf("%q %s", outageClip(a.Kind), state))
	}
	return strings.Join(out, ", ")
}

func stepLeavesEmergency(ctx context.Context, secs int) error {
	w := worldFrom(ctx)
	deadline := time.Now().Add(time.Duration(secs) * time.Second)
	for {
		st, err := emergencyStatus(ctx, w)
		if err != nil {
			return err
		}
		if !st.Active {
			w.observe("the device left emergency mode by itself")
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%d s after the links returned the device is still in emergency mode (causes %q)", secs, st.Causes)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func stepAlarmsCleared(ctx context.Context) error {
	w := worldFrom(ctx)
	st, err := emergencyStatus(ctx, w)
	if err != nil {
		return err
	}
	if len(st.Alarms) == 0 {
		return errors.New("the device reports no local alarms at all, so none was raised during the outage")
	}
	for _, a := range st.Alarms {
		if a.Active {
			return fmt.Errorf("after the outage the local %q alarm is still active", outageClip(a.Kind))
		}
	}
	w.observe("alarms: %s", outageAlarms(st.Alarms))
	return nil
}

// outageWindow returns the device's audit records from its last entry
// into emergency mode through the exit that followed it.
func outageWindow(recs []audit.Record) ([]audit.Record, error) {
	exit := -1
	for i := len(recs) - 1; i >= 0; i-- {
		if recs[i].Action == actionEmergencyExit {
			exit = i
			break
		}
	}
	if exit < 0 {
		return nil, fmt.Errorf("the audit trail (%d records) has no %q record", len(recs), actionEmergencyExit)
	}
	for i := exit - 1; i >= 0; i-- {
		if recs[i].Action == actionEmergencyEnter {
			return recs[i : exit+1], nil
		}
	}
	return nil, fmt.Errorf("the audit trail has a %q record (seq %d) but no %q record before it", actionEmergencyExit, recs[exit].Seq, actionEmergencyEnter)
}

func stepEmergencyModeRecorded(ctx context.Context) error {
	w := worldFrom(ctx)
	_, recs, err := exportAudit(ctx, w, "audit-log.jsonl")
	if err != nil {
		return err
	}
	win, err := outageWindow(recs)
	if err != nil {
		return err
	}
	enter, exit := win[0], win[len(win)-1]
	for _, r := range []audit.Record{enter, exit} {
		if r.Time.IsZero() || r.Actor == "" || r.Source == "" || r.Outcome == "" {
			return fmt.Errorf("the %q record (seq %d) lacks its time, actor, source or outcome", r.Action, r.Seq)
		}
	}
	if exit.Time.Before(enter.Time) {
		return fmt.Errorf("the exit record (%s) is older than the entry record (%s)", exit.Time, enter.Time)
	}
	w.observe("seq %d %s (cause %q) ... seq %d %s (%s)", enter.Seq, enter.Action, outageClip(enter.Detail["cause"]),
		exit.Seq, exit.Action, outageClip(exit.Detail["cleared"]))
	return nil
}

// receivedRecords decodes the audit records in the collector's messages, in
// arrival order. audit.Syslog puts the record's JSON line in MSG, after a
// BOM.
func receivedRecords(t *transportWorld) []audit.Record {
	c := t.collector
	c.mu.Lock()
	msgs := slices.Clone(c.msgs)
	c.mu.Unlock()
	var out []audit.Record
	for _, m := range msgs {
		body := bytes.TrimPrefix([]byte(m.Message), []byte("\xEF\xBB\xBF"))
		var r audit.Record
		if err := json.Unmarshal(body, &r); err == nil && r.Seq > 0 {
			out = append(out, r)
		}
	}
	return out
}

// forwardedWindow is what the collector got of the outage window, in
// arrival order, and what it lacks.
func forwardedWindow(t *transportWorld, win []audit.Record) (got []audit.Record, missing []uint64) {
	first, last := win[0].Seq, win[len(win)-1].Seq
	seen := map[uint64]bool{}
	for _, r := range receivedRecords(t) {
		if r.Seq >= first && r.Seq <= last {
			got = append(got, r)
			seen[r.Seq] = true
		}
	}
	for _, r := range win {
		if !seen[r.Seq] {
			missing = append(missing, r.Seq)
		}
	}
	return got, missing
}

func stepOutageRecordsForwarded(ctx context.Context, secs int) error {
	w := worldFrom(ctx)
	t := tx(w)
	if t.collector == nil {
		return errors.New("scenario bug: no collector")
	}
	_, recs, err := exportAudit(ctx, w, "audit-log.jsonl")
	if err != nil {
		return err
	}
	win, err := outageWindow(recs)
	if err != nil {
		return err
	}
	if len(win) < 3 {
		return fmt.Errorf("the device recorded nothing between entering and leaving emergency mode (seq %d to %d), though the scenario acted during the outage", win[0].Seq, win[len(win)-1].Seq)
	}
	deadline := time.Now().Add(time.Duration(secs) * time.Second)
	for {
		got, missing := forwardedWindow(t, win)
		if len(missing) == 0 {
			for i := 1; i < len(got); i++ {
				if got[i].Seq <= got[i-1].Seq {
					return fmt.Errorf("the collector received record %d after record %d: out of order", got[i].Seq, got[i-1].Seq)
				}
			}
			for i, r := range got {
				if r.Action != win[i].Action || r.Actor != win[i].Actor || r.Outcome != win[i].Outcome {
					return fmt.Errorf("forwarded record %d (%s by %q, %s) differs from the device's own (%s by %q, %s)",
						r.Seq, outageClip(r.Action), outageClip(r.Actor), r.Outcome, win[i].Action, win[i].Actor, win[i].Outcome)
				}
			}
			w.observe("the collector received records %d..%d (%d, the whole outage) in order", win[0].Seq, win[len(win)-1].Seq, len(got))
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%d s after the link returned the collector lacks %d of the %d records made during the outage (seq %s)",
				secs, len(missing), len(win), outageSeqs(missing))
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.collector.notify:
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func stepOutageRecordsVerify(ctx context.Context) error {
	w := worldFrom(ctx)
	t := tx(w)
	if t.collector == nil {
		return errors.New("scenario bug: no collector")
	}
	exp, recs, err := exportAudit(ctx, w, "audit-log.jsonl")
	if err != nil {
		return err
	}
	if _, err := audit.Verify(exp.Log, exp.Checkpoint, exp.PublicKey); err != nil {
		return fmt.Errorf("the device's audit trail does not verify, so nothing forwarded from it can be: %w", err)
	}
	win, err := outageWindow(recs)
	if err != nil {
		return err
	}
	got, missing := forwardedWindow(t, win)
	if len(missing) > 0 {
		return fmt.Errorf("the collector lacks records %s of the outage", outageSeqs(missing))
	}
	for i, r := range got {
		h, err := audit.RecordHash(r)
		if err != nil || h != r.Hash {
			return fmt.Errorf("forwarded record %d does not match its own hash", r.Seq)
		}
		if r.Hash != win[i].Hash {
			return fmt.Errorf("forwarded record %d is not the record the device's signed trail holds", r.Seq)
		}
		if i > 0 && r.Prev != got[i-1].Hash {
			return fmt.Errorf("forwarded record %d does not chain to record %d", r.Seq, got[i-1].Seq)
		}
	}
	w.observe("records %d..%d at the collector chain to each other and equal the device's verified trail", win[0].Seq, win[len(win)-1].Seq)
	return nil
}

func outageSeqs(seqs []uint64) string {
	var b strings.Builder
	for i, s := range seqs {
		if i == 8 {
			fmt.Fprintf(&b, ", ... (%d more)", len(seqs)-i)
			break
		}
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprint(&b, s)
	}
	return b.String()
}

// outageClip bounds device text shown in a reason and escapes it, so device data
// never reaches a terminal raw.
func outageClip(s string) string {
	if len(s) > 80 {
		s = s[:80] + "..."
	}
	q := fmt.Sprintf("%q", s)
	return q[1 : len(q)-1]
}
