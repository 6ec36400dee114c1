package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wardsec/ward/pkg/audit"
	"github.com/wardsec/ward/pkg/device"
	"github.com/wardsec/ward/pkg/device/https"
	"github.com/wardsec/ward/pkg/update"
	"github.com/wardsec/ward/pkg/update/repo"
)

// makerRepo is Acme's TUF repository, as its release pipeline builds it
// with pkg/update/repo, served over real HTTP on 127.0.0.4.
type makerRepo struct {
	*repo.Repo
	url      string
	rootFile string
}

func newMakerRepo(t *testing.T) *makerRepo {
	t.Helper()
	r, err := repo.New()
	require.NoError(t, err)
	ln := listenOn(t, "127.0.0.4")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Serve(ctx, ln) }()
	t.Cleanup(func() { cancel(); <-done })
	root := filepath.Join(t.TempDir(), "root.json")
	require.NoError(t, os.WriteFile(root, r.RootJSON(), 0o600))
	return &makerRepo{Repo: r, url: "http://" + ln.Addr().String(), rootFile: root}
}

// image is a T-200 firmware build.
func image(version uint64) []byte {
	return []byte(fmt.Sprintf("%sbuild %d\n", imageMagic, version))
}

// release adds a signed image with its SBOM (marketing version 3.N.0)
// and publishes it; it returns the target name.
func (m *makerRepo) release(t *testing.T, version uint64, data []byte) string {
	t.Helper()
	bom, err := repo.MakeSBOM(repo.Component{Name: "acme-t200-firmware", Version: fmt.Sprintf("3.%d.0", version), SupportEnd: "2031-12-31"})
	require.NoError(t, err)
	name := fmt.Sprintf("t200/fw-%d.bin", version)
	require.NoError(t, m.AddImage(repo.Image{Name: name, Data: data, Version: version, Hardware: []string{hardwareID}, SBOM: bom}))
	require.NoError(t, m.Publish())
	return name
}

func (m *makerRepo) flags(factory string) []string {
	return []string{"update-repo", m.url, "update-root", m.rootFile, "update-factory", factory}
}

// running checks what the thermometer runs and reports.
func running(t *testing.T, th *thermometer, slot string, version uint64) {
	t.Helper()
	st, err := th.UpdateStatus(context.Background())
	require.NoError(t, err)
	assert.Equal(t, slot, st.Slot)
	assert.Equal(t, version, st.Version)
	assert.True(t, st.Verified, "the running image hashes to what was verified")
	id, err := th.Identify(context.Background())
	require.NoError(t, err)
	assert.Equal(t, fmt.Sprintf("3.%d.0", version), id.Firmware, "the reported version is the running image's")
}

// installs returns the update.install records for target.
func installs(t *testing.T, th *thermometer, target string) []audit.Record {
	t.Helper()
	var out []audit.Record
	for _, r := range records(t, th, update.ActionInstall) {
		if r.Object == target {
			out = append(out, r)
		}
	}
	return out
}

func TestFirmwareUpdateInstallsANewerSignedImage(t *testing.T) {
	m := newMakerRepo(t)
	v1 := m.release(t, 1, image(1))
	v2 := m.release(t, 2, image(2))
	th := newThermo(t, m.flags(v1)...)
	running(t, th, update.SlotA, 1)

	info, err := th.fw.install(context.Background(), "biomed.ravi", v2)
	require.NoError(t, err)
	assert.Equal(t, uint64(2), info.Version)
	running(t, th, update.SlotB, 2)
	st, err := th.UpdateStatus(context.Background())
	require.NoError(t, err)
	assert.Equal(t, "installed", st.LastResult)
	assert.Contains(t, string(st.SBOM), "acme-t200-firmware", "the running image's SBOM is kept")

	floor, err := update.NewFileCounter(filepath.Join(th.dir, "firmware", "counter.json")).Get(context.Background())
	require.NoError(t, err)
	assert.Equal(t, uint64(2), floor, "the anti-rollback counter follows the committed image")

	rec := installs(t, th, v2)
	require.Len(t, rec, 1)
	assert.Equal(t, audit.Success, rec[0].Outcome)
	assert.Equal(t, "biomed.ravi", rec[0].Actor)
	assert.Equal(t, "b", rec[0].Detail["slot"])
	require.Len(t, records(t, th, update.ActionProvision), 1)
	var viaRepoRule bool
	for _, r := range records(t, th, actionEgress) {
		viaRepoRule = viaRepoRule || (r.Outcome == audit.Success && r.Detail["rule"] == "t200/update-repo")
	}
	assert.True(t, viaRepoRule, "downloads went through the egress policy")

	// The state lives in the data directory: the next start boots the
	// committed image without provisioning again.
	log, err := audit.Open(context.Background(), audit.NewMemStore())
	require.NoError(t, err)
	fw, err := newFirmware(context.Background(), th.dir, m.url, m.RootJSON(), "", &http.Client{Transport: th.egress.transport(nil)}, log)
	require.NoError(t, err)
	s, err := fw.status(context.Background())
	require.NoError(t, err)
	assert.Equal(t, "3.2.0", s.Firmware)
	assert.Equal(t, update.SlotB, s.Slot)
}

// A mirror serves the signed image with bytes changed: refused with
// ErrHashMismatch, nothing runs from it, the running slot is untouched.
func TestFirmwareRefusesATamperedImage(t *testing.T) {
	m := newMakerRepo(t)
	v1 := m.release(t, 1, image(1))
	v2 := m.release(t, 2, image(2))
	path, err := m.TargetPath(v2)
	require.NoError(t, err)
	evil := bytes.Clone(m.File(path))
	evil[len(evil)-2] ^= 0x01
	m.SetFile(path, evil)
	th := newThermo(t, m.flags(v1)...)

	_, err = th.fw.install(context.Background(), "biomed.ravi", v2)
	require.ErrorIs(t, err, update.ErrHashMismatch)
	running(t, th, update.SlotA, 1)
	slotA, err := os.ReadFile(filepath.Join(th.dir, "firmware", "slots", "slot-a.img"))
	require.NoError(t, err)
	assert.Equal(t, image(1), slotA, "the running slot is never written")
	st, err := th.UpdateStatus(context.Background())
	require.NoError(t, err)
	assert.Equal(t, "hash-mismatch", st.LastResult)

	rec := installs(t, th, v2)
	require.Len(t, rec, 1)
	assert.Equal(t, audit.Denied, rec[0].Outcome)
	assert.Equal(t, "hash-mismatch", rec[0].Detail["reason"])
}

// After version 3, the older signed version 2 is refused with ErrRollback
// (a genuine image, but one with known flaws).
func TestFirmwareRefusesARollback(t *testing.T) {
	m := newMakerRepo(t)
	v1 := m.release(t, 1, image(1))
	v2 := m.release(t, 2, image(2))
	v3 := m.release(t, 3, image(3))
	th := newThermo(t, m.flags(v1)...)
	_, err := th.fw.install(context.Background(), "biomed.ravi", v3)
	require.NoError(t, err)
	running(t, th, update.SlotB, 3)

	for _, old := range []string{v2, v1} {
		_, err = th.fw.install(context.Background(), "biomed.ravi", old)
		require.ErrorIs(t, err, update.ErrRollback, old)
		running(t, th, update.SlotB, 3)
		rec := installs(t, th, old)
		require.Len(t, rec, 1)
		assert.Equal(t, audit.Denied, rec[0].Outcome)
		assert.Equal(t, "rollback", rec[0].Detail["reason"])
	}
}

// A signed image that fails the thermometer's self-test once booted is
// rolled back; the counter stays, so the previous image still runs.
func TestFirmwareHealthCheckRollsBack(t *testing.T) {
	m := newMakerRepo(t)
	v1 := m.release(t, 1, image(1))
	bad := m.release(t, 2, []byte("not a thermometer image\n"))
	th := newThermo(t, m.flags(v1)...)
	_, err := th.fw.install(context.Background(), "biomed.ravi", bad)
	require.ErrorIs(t, err, update.ErrHealthCheck)
	running(t, th, update.SlotA, 1)
	rec := installs(t, th, bad)
	require.Len(t, rec, 1)
	assert.Equal(t, audit.Failure, rec[0].Outcome)
	assert.Equal(t, "health-check", rec[0].Detail["reason"])
}

// Installing through the device API needs a session with firmware.update:
// no session, no download.
func TestInstallUpdateNeedsASession(t *testing.T) {
	m := newMakerRepo(t)
	v1 := m.release(t, 1, image(1))
	v2 := m.release(t, 2, image(2))
	th := newThermo(t, m.flags(v1)...)
	err := th.InstallUpdate(context.Background(), "not-a-session", v2)
	require.ErrorIs(t, err, device.ErrUnauthenticated)
	assert.Empty(t, installs(t, th, v2))
	running(t, th, update.SlotA, 1)
}

// A thermometer that was never provisioned needs its factory image.
func TestFirmwareNeedsAFactoryImage(t *testing.T) {
	m := newMakerRepo(t)
	m.release(t, 1, image(1))
	_, err := newThermometer(context.Background(), t.TempDir(), flagConfig(t, m.flags("")...))
	assert.ErrorContains(t, err, "--update-factory")
}

// The flags reach the device served over the management API: it reports
// the factory image's version.
func TestRunWithAnUpdateRepository(t *testing.T) {
	m := newMakerRepo(t)
	v1 := m.release(t, 1, image(1))
	target := serve(t, "--update-repo", m.url, "--update-root", m.rootFile, "--update-factory", v1)
	reg := device.NewRegistry()
	require.NoError(t, https.Register(reg))
	d, err := reg.Open(context.Background(), target)
	require.NoError(t, err)
	defer d.Close()
	id, err := d.Identify(context.Background())
	require.NoError(t, err)
	assert.Equal(t, "3.1.0", id.Firmware)
}

// A mirror that redirects image downloads to another host gets no
// connection there: the update fails, the device runs what it ran.
func TestFirmwareDownloadsStayOnTheDocumentedRepository(t *testing.T) {
	m := newMakerRepo(t)
	v1 := m.release(t, 1, image(1))
	v2 := m.release(t, 2, image(2))
	rogue := listenOn(t, "127.0.0.3")
	ln := listenOn(t, "127.0.0.4")
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/targets/") && strings.HasSuffix(r.URL.Path, ".fw-2.bin") {
			http.Redirect(w, r, "http://"+rogue.Addr().String()+r.URL.Path, http.StatusFound)
			return
		}
		m.Handler().ServeHTTP(w, r)
	})}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	th := newThermo(t, "update-repo", "http://"+ln.Addr().String(), "update-root", m.rootFile, "update-factory", v1)

	_, err := th.fw.install(context.Background(), "biomed.ravi", v2)
	require.ErrorIs(t, err, update.ErrFetch)
	require.ErrorIs(t, err, device.ErrBlocked)
	assertNoConnection(t, rogue)
	running(t, th, update.SlotA, 1)
	rec := installs(t, th, v2)
	require.Len(t, rec, 1)
	assert.Equal(t, audit.Failure, rec[0].Outcome)
	assert.Equal(t, "download", rec[0].Detail["reason"])
}

// With its keys kept (--keys), the thermometer restarts on its data
// directory: the audit log continues and verifies, and the bootloader
// runs the image the last update committed.
func TestRestartKeepsFirmwareAndAuditTrail(t *testing.T) {
	m := newMakerRepo(t)
	v1 := m.release(t, 1, image(1))
	v2 := m.release(t, 2, image(2))
	cfg := flagConfig(t, m.flags(v1)...)
	cfg.keys = t.TempDir()
	data := t.TempDir()
	th, err := newThermometer(context.Background(), data, cfg)
	require.NoError(t, err)
	_, err = th.fw.install(context.Background(), "biomed.ravi", v2)
	require.NoError(t, err)

	again, err := newThermometer(context.Background(), data, cfg)
	require.NoError(t, err)
	running(t, again, update.SlotB, 2)
	assert.Len(t, installs(t, again, v2), 1, "the first run's records are still there, and the log verifies")
	assert.Len(t, records(t, again, update.ActionProvision), 1, "no second provisioning")
	pt, err := again.load(context.Background(), "P-1001")
	require.NoError(t, err)
	assert.Contains(t, string(pt), "Ada Synthetic")
}

// Through the command: a second start on the same data directory works
// with --keys.
func TestRunRestartsOnItsDataWithKeys(t *testing.T) {
	data, keys := t.TempDir(), t.TempDir()
	for i := range 2 {
		ctx, cancel := context.WithCancel(context.Background())
		pr, pw := io.Pipe()
		done := make(chan error, 1)
		go func() { done <- run(ctx, []string{"--data", data, "--keys", keys}, pw); pw.Close() }()
		line, err := bufio.NewReader(pr).ReadString('\n')
		require.NoError(t, err, "start %d: %v", i+1, err)
		assert.Contains(t, line, "target: https://")
		cancel()
		go io.Copy(io.Discard, pr)
		require.NoError(t, <-done)
	}
}
