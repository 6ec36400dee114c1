package harness

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"sync"
	"time"

	"github.com/cucumber/godog"

	"github.com/wardsec/ward/pkg/audit"
	"github.com/wardsec/ward/pkg/device"
	"github.com/wardsec/ward/pkg/evidence"
)

// world is the state of one scenario execution. It lives in the scenario's
// context; nothing is shared between scenarios.
type world struct {
	target string
	pickle *godog.Scenario
	dev    device.Device
	// open connects to another unit of the target (for sim targets a fresh
	// unit; checks that need two units use it).
	open func(context.Context) (device.Device, error)

	auth  *authWorld             // accounts, sessions and what the last attempt gave
	data  *dataWorld             // patient data, storage dumps, keys and backups
	inv   *inventoryWorld        // the inventory checked against (steps_inventory.go)
	upd   *updateWorld           // firmware-update state (steps_update.go)
	tx    *transportWorld        // transport checks (steps_transport.go)
	np    []device.ServiceReport // network probe reports (steps_netprobe.go)
	seg   *segmentWorld          // network segmentation state (steps_segment.go)
	acct  *accountWorld          // test account names on the device (accounts.go)
	reach *reach                 // hosts the scenario may connect to (reach.go)

	mu        sync.Mutex
	started   time.Time
	ended     time.Time
	steps     []evidence.Step
	observed  []string // observations of the step in progress
	artifacts []evidence.Artifact
	pending   []godog.Attachment // attachments of the step in progress
	cleanups  []func(context.Context) error
	release   func() // gives back the device state the scenario held (locks.go)
	// na is set when a step found that the target lacks a capability.
	na error
	// fault is set when the harness itself failed (could not open the
	// target, hook error): the scenario proves nothing either way.
	fault error
}

// dataWorld is a scenario's state about patient data: what was stored and
// read, what an attacker copied off the storage, extracted keys, backups.
type dataWorld struct {
	marker   string            // the unique marker stored in a patient record
	dump     map[string][]byte // raw storage as an attacker copied it
	unit2    *unit             // a second unit, when a scenario needs one
	backup   []byte            // the last backup taken
	keyID    string            // an extracted storage key
	key      []byte
	outputs  map[string][]byte // logs and exports collected for secret search
	restored time.Duration     // how long the last restore took
	lastRead map[string][]byte // patient id -> content as last read
}

func newDataWorld() *dataWorld { return &dataWorld{lastRead: map[string][]byte{}} }

// credentials are a user name and password a step tried.
type credentials struct{ user, password string }

type worldKey struct{}

func worldFrom(ctx context.Context) *world {
	w, _ := ctx.Value(worldKey{}).(*world)
	return w
}

// observe records, in words, what a step saw on the device. Observations go
// into the evidence next to the step.
func (w *world) observe(format string, args ...any) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.observed = append(w.observed, fmt.Sprintf(format, args...))
}

// attach keeps raw evidence a step captured. The after-step hook puts it in
// both the bundle and the cucumber JSON.
func (w *world) attach(name, mediaType string, data []byte) {
	w.mu.Lock()
	defer w.mu.Unlock()
	// Prefix the step number: names stay unique and sort in step order.
	// The rest is reduced to a safe file name whatever went into it.
	name = fmt.Sprintf("step%02d-%s", len(w.steps)+1, artifactName(name))
	for _, a := range w.artifacts {
		if a.Name == name {
			return // the same capture twice in one step adds nothing
		}
	}
	w.artifacts = append(w.artifacts, evidence.Artifact{Name: name, MediaType: mediaType, Data: data})
	w.pending = append(w.pending, godog.Attachment{FileName: name, MediaType: mediaType, Body: data})
}

// maxArtifactName bounds the part of an artifact's file name a step
// chooses, far below the 255 bytes of a file name on common file systems.
const maxArtifactName = 96

// artifactName keeps ASCII letters, digits, '.', '_' and '-' of name and
// turns every other byte into '_', cut to maxArtifactName bytes: a step
// that builds a name from what a device or an input file said can never
// make a path, a hidden file, an escape sequence or an over-long name.
func artifactName(name string) string {
	b := []byte(name)
	for i, c := range b {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '_', c == '-':
		case c == '.' && i > 0:
		default:
			b[i] = '_'
		}
	}
	if len(b) > maxArtifactName {
		b = b[:maxArtifactName]
	}
	if len(b) == 0 {
		return "artifact"
	}
	return string(b)
}

// onCleanup registers an undo action run when the scenario ends, so a
// scenario that tampers with a real device puts it back.
func (w *world) onCleanup(f func(context.Context) error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.cleanups = append(w.cleanups, f)
}

// withSession returns the capability C and the session token of user: the
// two things most steps need before they can call the device.
func withSession[C any](w *world, name, user string) (C, string, error) {
	c, err := capability[C](w, name)
	if err != nil {
		return c, "", err
	}
	tok, err := session(w, user)
	return c, tok, err
}

// unit is a second device in a scenario, with its own session.
type unit struct {
	dev    device.Device
	token  string
	marker string
}

// capability returns the device's capability C, or an error that skips the
// scenario and marks it not-applicable.
func capability[C any](w *world, name string) (C, error) {
	c, err := device.As[C](w.dev, name)
	if err != nil {
		return c, skip(w, err)
	}
	return c, nil
}

// newSecret returns a random password for a test account: long and random,
// so no device password rule refuses it and no one can guess it.
func newSecret() string {
	b := make([]byte, 18)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	return "Wd-" + hex.EncodeToString(b)
}

// describe says in a few words how a device call ended.
func describe(err error) string {
	if err == nil {
		return "accepted"
	}
	return "refused: " + err.Error()
}

// skip marks the scenario not-applicable for a missing capability.
func skip(w *world, err error) error {
	w.mu.Lock()
	if w.na == nil {
		w.na = err
	}
	w.mu.Unlock()
	return fmt.Errorf("%w: %w", godog.ErrSkip, err)
}

// deviceNow is the device's clock when it has one a check can read, the
// harness's otherwise.
func deviceNow(ctx context.Context, w *world) time.Time {
	if cc, err := device.As[device.ClockControl](w.dev, device.Label[device.ClockControl]()); err == nil {
		if t, err := cc.DeviceTime(ctx); err == nil {
			return t
		}
	}
	return time.Now()
}

// exportAudit reads the device's audit trail and attaches it as evidence.
func exportAudit(ctx context.Context, w *world, name string) (device.AuditExport, []audit.Record, error) {
	src, err := capability[device.AuditSource](w, device.Label[device.AuditSource]())
	if err != nil {
		return device.AuditExport{}, nil, err
	}
	exp, err := src.AuditLog(ctx)
	if err != nil {
		return exp, nil, fmt.Errorf("read the device's audit trail: %w", err)
	}
	w.attach(name, "application/x-ndjson", exp.Log)
	recs, err := decodeRecords(exp.Log)
	return exp, recs, err
}
