package wardcli

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"io"
	"io/fs"
	"time"

	"github.com/wardsec/ward/pkg/evidence"
	"github.com/wardsec/ward/pkg/mds2"
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

// newBundleSink starts the bundle of the run head under out, named after
// its start time (with -2, -3... when another run of the same second took
// that name: a bundle is never overwritten, and never lost to a clash).
// Targets stream into it as they finish (evidence.BundleWriter), so the
// CLI's memory does not grow with the fleet.
func newBundleSink(ctx context.Context, out string, head *evidence.Run, key ed25519.PrivateKey, extra ...evidence.WriteOption) (bundleSink, error) {
	opts := append([]evidence.WriteOption{evidence.WithUniqueName(head.Started.UTC().Format("20060102T150405Z")), evidence.WithSigner(key)}, extra...)
	bw, err := evidence.NewBundleWriter(ctx, out, head, opts...)
	if err != nil {
		return nil, err
	}
	return streamedBundle{bw}, nil
}

// streamedBundle gives the files the pipeline makes at the end of the run
// (inventory.html, attestation evidence) to the writer before it closes.
type streamedBundle struct{ *evidence.BundleWriter }

func (b streamedBundle) Close(ctx context.Context, finished time.Time, extra ...evidence.WriteOption) (string, error) {
	if err := b.AddFiles(extra...); err != nil {
		_ = b.Abort()
		return "", err
	}
	return b.BundleWriter.Close(ctx, finished)
}

// mds2Supplement has every target's MDS2 form filled into the bundle
// (pkg/mds2.Supplement), from the mapping in the catalogue fsys. A
// catalogue without one (--replace-catalogue) gets no form, and says so.
func mds2Supplement(fsys fs.FS, runID string, stderr io.Writer) ([]evidence.WriteOption, error) {
	m, diags := mds2.LoadMapping(fsys)
	if diags.HasErrors() {
		for _, d := range diags {
			if d.Summary == mds2.NoMappingSummary {
				fmt.Fprintln(stderr, "ward: the catalogue has no MDS2 mapping (mds2_form block): the bundle holds no MDS2 form")
				return nil, nil
			}
		}
		for _, d := range diags {
			fmt.Fprintln(stderr, oneLine(d.Error()))
		}
		return nil, &exitError{code: exitUsage, err: fmt.Errorf("MDS2 mapping has %d error(s)", countErrors(diags))}
	}
	fn, err := mds2.Supplement(m, runID)
	if err != nil {
		return nil, err
	}
	return []evidence.WriteOption{evidence.WithSupplement(fn)}, nil
}
