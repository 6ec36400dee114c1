package harness

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"sync"
	"time"

	"github.com/cucumber/godog"

	"github.com/wardsec/ward/pkg/device"
	"github.com/wardsec/ward/pkg/evidence"
)

// world is the state of one scenario execution. It lives in the scenario's
// context; nothing is shared between scenarios.
type world struct {
	target string
	pickle *godog.Scenario
	dev    device.Device

	passwords map[string]string // test account -> password
	sessions  map[string]string // user -> current (or last) session token
	lastRead  map[string][]byte // patient id -> content as last read
	lastErr   error             // outcome of the last "tries to" step

	mu        sync.Mutex
	started   time.Time
	ended     time.Time
	steps     []evidence.Step
	observed  []string // observations of the step in progress
	artifacts []evidence.Artifact
	pending   []godog.Attachment // attachments of the step in progress
	cleanups  []func(context.Context) error
	// na is set when a step found that the target lacks a capability.
	na error
	// fault is set when the harness itself failed (could not open the
	// target, hook error): the scenario proves nothing either way.
	fault error
}

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
	name = fmt.Sprintf("step%02d-%s", len(w.steps)+1, name)
	for _, a := range w.artifacts {
		if a.Name == name {
			return // the same capture twice in one step adds nothing
		}
	}
	w.artifacts = append(w.artifacts, evidence.Artifact{Name: name, MediaType: mediaType, Data: data})
	w.pending = append(w.pending, godog.Attachment{FileName: name, MediaType: mediaType, Body: data})
}

// onCleanup registers an undo action run when the scenario ends, so a
// scenario that tampers with a real device puts it back.
func (w *world) onCleanup(f func(context.Context) error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.cleanups = append(w.cleanups, f)
}

// capability returns the device's capability C, or an error that skips the
// scenario and marks it not-applicable.
func capability[C any](w *world, name string) (C, error) {
	c, err := device.As[C](w.dev, name)
	if err != nil {
		w.mu.Lock()
		if w.na == nil {
			w.na = err
		}
		w.mu.Unlock()
		return c, fmt.Errorf("%w: %w", godog.ErrSkip, err)
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
