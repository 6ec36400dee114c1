package wardcli

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"sort"
	"sync"
	"time"

	"github.com/wardsec/ward/pkg/evidence"
)

// bundleSink is what ward check needs of the evidence bundle being written
// while the run goes on: the shape of evidence.BundleWriter (contract
// section 1), plus the files the pipeline makes only at the end of the run
// (inventory.html) given to Close.
type bundleSink interface {
	AddTarget(ctx context.Context, index int, t *evidence.Target, cucumber []byte) error
	Summary() *evidence.Run
	Close(ctx context.Context, finished time.Time, extra ...evidence.WriteOption) (string, error)
	Abort() error
}

// newBundleSink starts the bundle of the run head under out. It is the one
// place that chooses the implementation: bufferedBundle below stands in
// for evidence.NewBundleWriter until it exists. With it, this body becomes
//
//	bw, err := evidence.NewBundleWriter(ctx, out, head, evidence.WithName(head.Started.UTC().Format("20060102T150405Z")), evidence.WithSigner(key))
//	return closeWithFiles{bw}, err
//
// where closeWithFiles adapts Close to take the extra files, which the
// BundleWriter must then accept at Close (or through an AddFile method):
// inventory.html exists only once every target is done.
func newBundleSink(_ context.Context, out string, head *evidence.Run, key ed25519.PrivateKey) (bundleSink, error) {
	return &bufferedBundle{out: out, head: head, key: key}, nil
}

// bufferedBundle keeps every target until Close writes them all with
// evidence.Write. Its memory grows with the fleet, which is what
// evidence.BundleWriter removes.
type bufferedBundle struct {
	out  string
	head *evidence.Run
	key  ed25519.PrivateKey

	mu       sync.Mutex
	targets  map[int]evidence.Target
	cucumber map[int][]byte
}

func (b *bufferedBundle) AddTarget(_ context.Context, index int, t *evidence.Target, cucumber []byte) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.targets == nil {
		b.targets, b.cucumber = map[int]evidence.Target{}, map[int][]byte{}
	}
	if _, dup := b.targets[index]; dup || index < 0 {
		return fmt.Errorf("target index %d added twice or negative", index)
	}
	b.targets[index], b.cucumber[index] = *t, cucumber
	return nil
}

// indexes returns the added target indexes in order; b.mu is held.
func (b *bufferedBundle) indexes() []int {
	ix := make([]int, 0, len(b.targets))
	for i := range b.targets {
		ix = append(ix, i)
	}
	sort.Ints(ix)
	return ix
}

// Summary is the header with slim targets, as evidence.BundleWriter's.
func (b *bufferedBundle) Summary() *evidence.Run {
	b.mu.Lock()
	defer b.mu.Unlock()
	run := *b.head
	run.Targets = nil
	for _, i := range b.indexes() {
		t := b.targets[i]
		t.Scenarios = nil
		cs := make([]evidence.Control, len(t.Controls))
		for k, c := range t.Controls {
			c.Requirement, c.Remediation = "", ""
			cs[k] = c
		}
		t.Controls = cs
		run.Targets = append(run.Targets, t)
	}
	return &run
}

func (b *bufferedBundle) Close(ctx context.Context, finished time.Time, extra ...evidence.WriteOption) (string, error) {
	b.mu.Lock()
	run := *b.head
	run.Finished = finished
	var feats []json.RawMessage
	for _, i := range b.indexes() {
		run.Targets = append(run.Targets, b.targets[i])
		if rep := b.cucumber[i]; len(rep) > 0 {
			var fs []json.RawMessage
			if err := json.Unmarshal(rep, &fs); err != nil {
				b.mu.Unlock()
				return "", fmt.Errorf("cucumber report of target %d: %w", i+1, err)
			}
			feats = append(feats, fs...)
		}
	}
	b.mu.Unlock()
	if feats == nil {
		feats = []json.RawMessage{}
	}
	cucumber, err := json.MarshalIndent(feats, "", "  ")
	if err != nil {
		return "", err
	}
	return writeBundle(ctx, b.out, &run, b.key, cucumber, extra...)
}

// Abort drops what was buffered; nothing is on disk before Close.
func (b *bufferedBundle) Abort() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.targets, b.cucumber = nil, nil
	return nil
}

// writeBundle writes the evidence under out/<UTC start time>, adding -2, -3...
// when runs started in the same second: a bundle is never overwritten.
func writeBundle(ctx context.Context, out string, run *evidence.Run, key ed25519.PrivateKey, cucumber []byte, extra ...evidence.WriteOption) (string, error) {
	base := run.Started.UTC().Format("20060102T150405Z")
	for i := 1; ; i++ {
		name := base
		if i > 1 {
			name = fmt.Sprintf("%s-%d", base, i)
		}
		opts := append([]evidence.WriteOption{evidence.WithName(name), evidence.WithSigner(key), evidence.WithDescribedFile("cucumber.json", "every scenario and step as Cucumber JSON, for CI dashboards", cucumber)}, extra...)
		dir, err := evidence.Write(ctx, out, run, opts...)
		if err == nil || !errors.Is(err, fs.ErrExist) || i >= 100 {
			return dir, err
		}
	}
}
