package atrest

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/wardsec/ward/pkg/audit"
)

// Auditor records security events; *audit.Log satisfies it. The package
// records key creation and destruction (Keyring) and rewraps. Events carry
// no Actor: wrap the Auditor to fill it in from ctx if the device knows
// who asked.
type Auditor interface {
	Append(ctx context.Context, e audit.Event) (audit.Record, error)
}

// Audit event actions.
const (
	ActionKeyCreate  = "atrest.key.create"
	ActionKeyDestroy = "atrest.key.destroy"
	ActionRewrap     = "atrest.rewrap"
	auditSource      = "atrest"
)

// record appends an event if a is set. The operation already happened, so
// a failing auditor is reported with it, never instead of it.
func record(ctx context.Context, a Auditor, action, object string, opErr error, detail map[string]string) error {
	if a == nil {
		return opErr
	}
	e := audit.Event{Source: auditSource, Action: action, Object: object, Outcome: audit.Success, Detail: detail}
	if opErr != nil {
		e.Outcome = audit.Failure
		if e.Detail == nil {
			e.Detail = map[string]string{}
		}
		e.Detail["error"] = opErr.Error()
	}
	if _, err := a.Append(context.WithoutCancel(ctx), e); err != nil {
		if opErr != nil {
			return fmt.Errorf("%w (and the audit record failed: %v)", opErr, err)
		}
		return fmt.Errorf("atrest: %s of %s done, but the audit record failed: %w", action, object, err)
	}
	return opErr
}

// Rewrapping says how to change the key stanzas of a sealed file. The data
// key, file id and payload stay as they are, so a rewrap is cheap and the
// chunks are not touched: only the header is rewritten (and, for files,
// the payload bytes copied). To replace a key, Remove its id and Add the
// new one.
//
// A rewrap does not revoke access from someone who kept the old file (or
// its header) and the removed key: that copy still opens, and with the
// same data key. After a key is suspected compromised, use Reencrypt.
type Rewrapping struct {
	// Unwrap opens the current data key.
	Unwrap []KeyUnwrapper
	// Add wraps the data key to more keys.
	Add []KeyWrapper
	// Remove drops the stanzas with these key ids; each must be present.
	Remove []string
	// Auditor, if set, records the rewrap (ActionRewrap) and its outcome.
	Auditor Auditor
}

// rewrapHeader returns the new header for h.
func rewrapHeader(ctx context.Context, h *header, rw *Rewrapping) ([]byte, map[string]string, error) {
	keys, dk, err := unwrapDataKey(ctx, h, rw.Unwrap)
	if err != nil {
		return nil, nil, err
	}
	defer clear(dk)
	defer clear(keys.mac[:])
	defer clear(keys.payload[:])
	kept := make([]Stanza, 0, len(h.stanzas)+len(rw.Add))
	for _, id := range rw.Remove {
		if !slices.ContainsFunc(h.stanzas, func(s Stanza) bool { return s.KeyID == id }) {
			return nil, nil, fmt.Errorf("atrest: rewrap: the header has no key %q to remove", id)
		}
	}
	for _, s := range h.stanzas {
		if !slices.Contains(rw.Remove, s.KeyID) {
			kept = append(kept, s)
		}
	}
	var added []Stanza
	if len(rw.Add) > 0 {
		if added, err = wrapAll(ctx, dk, rw.Add); err != nil {
			return nil, nil, err
		}
	}
	if len(kept)+len(added) == 0 {
		return nil, nil, fmt.Errorf("atrest: rewrap: that would leave no key able to open the file")
	}
	nh := &header{version: h.version, chunkSize: h.chunkSize, fileID: h.fileID, stanzas: append(kept, added...)}
	raw, err := nh.marshal(keys.mac[:])
	if err != nil {
		return nil, nil, fmt.Errorf("atrest: rewrap: %w", err)
	}
	ids := make([]string, len(added))
	for i, s := range added {
		ids[i] = s.KeyID
	}
	return raw, map[string]string{"added": strings.Join(ids, ","), "removed": strings.Join(rw.Remove, ",")}, nil
}

// Rewrap returns sealed with its key stanzas changed as rw says. The
// header MAC is checked first (with the data key rw.Unwrap opens); the
// payload is copied unchanged and not checked.
func Rewrap(ctx context.Context, sealed []byte, rw Rewrapping) ([]byte, error) {
	var out bytes.Buffer
	detail, err := rewrapStream(ctx, &out, bytes.NewReader(sealed), &rw)
	err = record(ctx, rw.Auditor, ActionRewrap, "", err, detail)
	if err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}

// RewrapStream is Rewrap from src to dst.
func RewrapStream(ctx context.Context, dst io.Writer, src io.Reader, rw Rewrapping) error {
	detail, err := rewrapStream(ctx, dst, src, &rw)
	return record(ctx, rw.Auditor, ActionRewrap, "", err, detail)
}

// RewrapFile rewraps the sealed file name crash-safely (WriteFileAtomic,
// keeping the file's mode): a crash or error leaves the old file whole.
func RewrapFile(ctx context.Context, name string, rw Rewrapping) error {
	detail, err := rewrapFile(ctx, name, &rw)
	return record(ctx, rw.Auditor, ActionRewrap, name, err, detail)
}

func rewrapFile(ctx context.Context, name string, rw *Rewrapping) (map[string]string, error) {
	detail := requestedDetail(rw)
	f, err := os.Open(name)
	if err != nil {
		return detail, fmt.Errorf("atrest: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return detail, fmt.Errorf("atrest: %w", err)
	}
	h, err := readHeader(f)
	if err != nil {
		return detail, err
	}
	raw, detail, err := rewrapHeader(ctx, h, rw)
	if err != nil {
		return requestedDetail(rw), err
	}
	err = WriteFileAtomic(name, st.Mode().Perm(), func(w io.Writer) error {
		if _, err := w.Write(raw); err != nil {
			return err
		}
		_, err := io.Copy(w, f)
		return err
	})
	if err != nil {
		return detail, fmt.Errorf("atrest: rewrap %s: %w", name, err)
	}
	return detail, nil
}

func rewrapStream(ctx context.Context, dst io.Writer, src io.Reader, rw *Rewrapping) (map[string]string, error) {
	h, err := readHeader(src)
	if err != nil {
		return requestedDetail(rw), err
	}
	raw, detail, err := rewrapHeader(ctx, h, rw)
	if err != nil {
		return requestedDetail(rw), err
	}
	if _, err := dst.Write(raw); err != nil {
		return detail, fmt.Errorf("atrest: rewrap: %w", err)
	}
	if _, err := io.Copy(dst, src); err != nil {
		return detail, fmt.Errorf("atrest: rewrap: %w", err)
	}
	return detail, nil
}

// requestedDetail describes a rewrap that did not get as far as wrapping.
func requestedDetail(rw *Rewrapping) map[string]string {
	return map[string]string{"removed": strings.Join(rw.Remove, ","), "added_count": fmt.Sprint(len(rw.Add))}
}
