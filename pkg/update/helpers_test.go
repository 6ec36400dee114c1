package update_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/wardsec/ward/pkg/audit"
	"github.com/wardsec/ward/pkg/update"
	"github.com/wardsec/ward/pkg/update/repo"
)

// t0 is the test clock: repositories and devices agree on it.
var t0 = time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)

func clock() time.Time { return t0 }

const hw = "SIM-IP-100"

// image builds deterministic firmware bytes for version v.
func image(v uint64, size int) []byte {
	b := bytes.Repeat([]byte(fmt.Sprintf("firmware v%d|", v)), size/12+1)
	return b[:size]
}

func sbom(t testing.TB, v uint64) []byte {
	t.Helper()
	b, err := repo.MakeSBOM(repo.Component{Name: "pump-fw", Version: fmt.Sprint(v), SupportEnd: "2031-12-31"}, repo.Component{Name: "openssl", Version: "3.0.13", PURL: "pkg:generic/openssl@3.0.13"})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func fwName(v uint64) string { return fmt.Sprintf("pump/fw-%d.bin", v) }

// addImage adds and publishes firmware version v.
func addImage(t testing.TB, r *repo.Repo, v uint64) string {
	t.Helper()
	if err := r.AddImage(repo.Image{Name: fwName(v), Data: image(v, 4096+int(v)), Version: v, Hardware: []string{hw}, SBOM: sbom(t, v)}); err != nil {
		t.Fatal(err)
	}
	if err := r.Publish(); err != nil {
		t.Fatal(err)
	}
	return fwName(v)
}

// env is a real repository served over HTTP on loopback and a device
// state directory.
type env struct {
	t     testing.TB
	repo  *repo.Repo
	srv   *httptest.Server
	root  []byte // what the device trusted at the factory
	state string
}

func newEnv(t testing.TB, opts ...repo.Option) *env {
	t.Helper()
	r, err := repo.New(append([]repo.Option{repo.WithClock(clock)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, repo: r, root: r.RootJSON(), state: t.TempDir()}
	e.srv = serve(t, r.Handler())
	addImage(t, r, 1)
	return e
}

// serve starts h on a loopback listener.
func serve(t testing.TB, h http.Handler) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

func (e *env) metadataURL() string { return e.srv.URL + "/metadata" }

func (e *env) client(opts ...update.Option) *update.Client {
	e.t.Helper()
	opts = append([]update.Option{update.WithTargetsURL(e.srv.URL + "/targets"), update.WithClock(clock),
		update.WithStateDir(e.state), update.WithFetcher(update.NewHTTPFetcher(e.srv.Client()))}, opts...)
	c, err := update.NewClient(e.root, e.metadataURL(), opts...)
	if err != nil {
		e.t.Fatal(err)
	}
	return c
}

// recorder is an in-memory audit log.
type recorder struct{ events []audit.Event }

func (r *recorder) Append(_ context.Context, e audit.Event) (audit.Record, error) {
	if e.Source == "" {
		// HIPAA 164.312(b): every record says from where, even the
		// device's own (audit.LocalSource).
		panic(fmt.Sprintf("audit event without a source: %+v", e))
	}
	r.events = append(r.events, e)
	return audit.Record{Seq: uint64(len(r.events))}, nil
}

func (r *recorder) last() audit.Event {
	if len(r.events) == 0 {
		return audit.Event{}
	}
	return r.events[len(r.events)-1]
}

// device is an installer with memory slots over an env, provisioned with
// firmware version 1.
type device struct {
	*update.Installer
	slots *update.MemSlots
	audit *recorder
}

func (e *env) device(opts ...update.InstallerOption) *device {
	e.t.Helper()
	d := &device{slots: &update.MemSlots{}, audit: &recorder{}}
	opts = append([]update.InstallerOption{update.WithHardware(hw), update.WithAuditor(d.audit)}, opts...)
	in, err := update.NewInstaller(e.client(), d.slots, e.state, opts...)
	if err != nil {
		e.t.Fatal(err)
	}
	d.Installer = in
	if _, err := os.Stat(e.state + "/slots.json"); errors.Is(err, os.ErrNotExist) {
		if err := in.Provision(context.Background(), fwName(1)); err != nil {
			e.t.Fatal(err)
		}
	}
	return d
}

// running returns the running slot's image bytes and version.
func (d *device) running(t testing.TB) ([]byte, uint64) {
	t.Helper()
	st, err := d.Status(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	slot := st.Running
	if slot == "" {
		slot = st.Active
	}
	return d.slots.Bytes(slot), st.Slot.Version
}

// refused asserts err matches want, and that the device still runs the
// image it ran before (same bytes, same version) and audited the refusal.
func (d *device) refused(t testing.TB, err, want error, beforeImg []byte, beforeVer uint64) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Fatalf("error = %v, want %v", err, want)
	}
	img, ver := d.running(t)
	if ver != beforeVer || !bytes.Equal(img, beforeImg) {
		t.Fatalf("the running image changed: version %d -> %d", beforeVer, ver)
	}
	ev := d.audit.last()
	if ev.Action != update.ActionInstall || ev.Outcome == audit.Success || ev.Detail["reason"] != update.Reason(want) {
		t.Fatalf("audit event %+v, want a refused %s with reason %q", ev, update.ActionInstall, update.Reason(want))
	}
	t.Logf("refused as %s: %v", update.Reason(err), err)
}

type ed25519Key = ed25519.PrivateKey

func mustHex(s string) []byte {
	b, err := hex.DecodeString(s)
	if err != nil {
		panic(err)
	}
	return b
}

func stringsReader(s string) io.Reader { return strings.NewReader(s) }

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }
