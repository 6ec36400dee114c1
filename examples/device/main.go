// Command device is a small connected medical device written the way a
// device maker would write one with Ward's library: a smart thermometer
// that stores patient readings sealed with pkg/atrest, logs users in with
// pkg/mfa (authorization by pkg/access), records every decision in a
// signed pkg/audit log, and serves Ward's management API
// (pkg/device/https) so QA can run `ward check` against it.
//
//	go run ./examples/device --data /tmp/thermo --dev
//	target: https://127.0.0.1:41234?ca-sha256=…
//
// --dev makes a development build: it also lets the harness create test
// accounts, enrol their authenticators, read the raw data directory and
// learn which test patient it planted (device.PlantedData),
// and it serves a fresh unit (its own data directory) to every check, as
// the simulator does, so checks that create accounts do not collide. A
// production build leaves all that out, and the checks that need it are
// not applicable.
//
// Network egress (egress.go): the thermometer talks only to its
// documented peers, the interface engine that receives readings (--ehr,
// HTTPS verified with --ehr-ca) and the update repository. They form a
// pkg/segment policy built in Go and compiled at start (no policy language
// in the firmware); every outbound connection, redirects included, is
// decided on it before dialing, leaves from the device's address (--addr),
// and is recorded in the audit log with the rule that allowed it or the
// default that denied it.
//
// Firmware updates (firmware.go): with --update-repo URL --update-root
// FILE the thermometer installs images from the maker's TUF repository
// with pkg/update: signatures and expiry checked against the trusted
// root, images built for its board, an SBOM for each, an anti-rollback
// counter, A/B slots and a self-test after booting the new image, rolling
// back when it fails. Its state (trusted metadata, counter, slots) is in
// DATA/firmware; the first start installs the factory image
// (--update-factory). pkg/update records every accepted and refused update
// in the same audit log.
//
//	go run ./examples/device --data /tmp/thermo --addr 10.20.0.7 \
//	  --ehr https://10.30.0.5:8443/fhir/Observation --ehr-ca hospital-ca.pem \
//	  --update-repo https://updates.acme-medical.example/metadata \
//	  --update-root acme-root.json --update-factory t200/fw-1.bin
//
// --keys DIR keeps the audit signing key and the storage key (a secure
// element's job on hardware) outside the data directory, so the device
// restarts on its data; without it every start makes new keys and cannot
// reopen an earlier data directory.
//
// The example uses only Ward's public packages and the standard library
// (certs.go makes its development CA with crypto/x509), so it can be
// copied out of Ward's module.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/wardsec/ward/pkg/access"
	"github.com/wardsec/ward/pkg/atrest"
	"github.com/wardsec/ward/pkg/audit"
	"github.com/wardsec/ward/pkg/device"
	"github.com/wardsec/ward/pkg/device/https"
	"github.com/wardsec/ward/pkg/mfa"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "device:", err)
		os.Exit(1)
	}
}

// run serves the device until ctx ends.
func run(ctx context.Context, args []string, stdout io.Writer) error {
	var err error
	fl := flag.NewFlagSet("device", flag.ContinueOnError)
	data := fl.String("data", "", "data directory (patient readings, audit log)")
	listen := fl.String("listen", "127.0.0.1:0", "management API address")
	dev := fl.Bool("dev", false, "development build: test accounts, TOTP enrolment and raw storage for the harness")
	addr := fl.String("addr", "127.0.0.1", "the device's own address: its outbound connections leave from it")
	ehr := fl.String("ehr", "", "interface engine URL readings are sent to (https://HOST:PORT/PATH)")
	ehrCA := fl.String("ehr-ca", "", "PEM file of the CA that issued the EHR's certificate")
	updateRepo := fl.String("update-repo", "", "TUF update repository URL (metadata; targets under URL/targets)")
	updateRoot := fl.String("update-root", "", "the maker's TUF root.json the device trusts")
	updateFactory := fl.String("update-factory", "", "factory image installed on first start (a target of the repository)")
	keys := fl.String("keys", "", "directory keeping the audit and storage keys across restarts (a secure element's stand-in); empty: new keys each start")
	if err = fl.Parse(args); err != nil {
		return err
	}
	if *data == "" {
		return errors.New("--data is required")
	}
	cfg, err := loadConfig(*addr, *ehr, *ehrCA, *updateRepo, *updateRoot, *updateFactory)
	if err != nil {
		return err
	}
	if err := checkKeysDir(*keys, *data); err != nil {
		return err
	}
	cfg.keys = *keys
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		return err
	}
	defer ln.Close()
	// A real device gets its certificate from the manufacturer's or the
	// hospital's PKI; the example makes a CA of its own.
	now := time.Now()
	ca, err := newDevCA("Acme development CA", now)
	if err != nil {
		return err
	}
	leaf, err := ca.issue("Acme T-200 thermometer", []string{"127.0.0.1", "::1", "localhost"}, now.Add(-time.Hour), now.AddDate(1, 0, 0))
	if err != nil {
		return err
	}
	// The management API is the device's one network service: listing it
	// lets transport checks probe it as any peer on the network could.
	self := https.WithEndpoint(device.Endpoint{Name: "management-api", Protocol: "https", Address: ln.Addr().String(), CA: ca.certPEM()})
	var srv *https.Server
	if *dev {
		if err := os.MkdirAll(*data, 0o700); err != nil {
			return err
		}
		srv, err = https.NewServer(nil, self, https.WithUnits(func(ctx context.Context) (device.Device, error) {
			dir, err := os.MkdirTemp(*data, "unit-")
			if err != nil {
				return nil, err
			}
			t, err := newThermometer(ctx, dir, cfg)
			if err != nil {
				return nil, err
			}
			return &devBuild{t}, nil
		}))
	} else {
		var t *thermometer
		if t, err = newThermometer(ctx, *data, cfg); err != nil {
			return err
		}
		srv, err = https.NewServer(t, self)
	}
	if err != nil {
		return err
	}
	defer srv.Close()
	fmt.Fprintf(stdout, "target: https://%s?%s\n", ln.Addr(), url.Values{"ca-sha256": {ca.fingerprint()}}.Encode())
	return https.Serve(ctx, ln, srv, https.TLSConfig(leaf, nil))
}

// thermometer is the production device.
type thermometer struct {
	id    device.Identity
	dir   string
	key   *atrest.RawKey // in a secure element on real hardware
	log   *audit.Log
	users *mfa.Verifier

	egress *egress   // every outbound connection goes through it
	ehr    *uplink   // nil without --ehr
	fw     *firmware // nil without --update-repo
}

func newThermometer(ctx context.Context, dir string, cfg config) (*thermometer, error) {
	if err := os.MkdirAll(filepath.Join(dir, "readings"), 0o700); err != nil {
		return nil, err
	}
	store, err := audit.NewFileStore(filepath.Join(dir, "audit"))
	if err != nil {
		return nil, err
	}
	signer, k, err := deviceKeys(cfg.keys)
	if err != nil {
		return nil, err
	}
	log, err := audit.Open(ctx, store, audit.WithSigner(signer))
	if err != nil {
		return nil, err
	}
	users, err := mfa.New(mfa.NewMemStore(), mfa.WithAuditor(auditor{log}))
	if err != nil {
		return nil, err
	}
	key, err := atrest.NewRawKey("thermo-storage", k)
	if err != nil {
		return nil, err
	}
	t := &thermometer{
		id:  device.Identity{Manufacturer: "Acme Medical", Model: "T-200 thermometer", Serial: "T200-0042", Firmware: "3.1.0"},
		dir: dir, key: key, log: log, users: users,
	}
	if err := t.connect(ctx, cfg); err != nil {
		return nil, err
	}
	// A synthetic patient reading, so there is something to protect.
	if err := t.save(ctx, syntheticPatient, []byte(`{"patient":"`+syntheticPatient+`","name":"`+syntheticName+`","temp_c":"37.2"}`)); err != nil {
		return nil, err
	}
	return t, nil
}

// The synthetic patient every unit is made with (through the same sealed
// save as any reading).
const (
	syntheticPatient = "P-1001"
	syntheticName    = "Ada Synthetic"
)

// auditor records pkg/mfa's and pkg/access's decisions in the device's log,
// naming the interface when they leave the source empty (provisioning) and
// "unauthenticated" when there is no user (an invalid token): every record
// must say who and from where.
type auditor struct{ log *audit.Log }

func (a auditor) Append(ctx context.Context, e audit.Event) (audit.Record, error) {
	if e.Source == "" {
		e.Source = "management-api"
	}
	if e.Actor == "" {
		e.Actor = "unauthenticated"
	}
	return a.log.Append(ctx, e)
}

// Identify reports the firmware that runs: with updates, the version in
// the running image's SBOM.
func (t *thermometer) Identify(ctx context.Context) (device.Identity, error) {
	id := t.id
	if t.fw != nil {
		st, err := t.fw.status(ctx)
		if err != nil {
			return device.Identity{}, err
		}
		id.Firmware = st.Firmware
	}
	return id, nil
}

func (t *thermometer) Close() error { return nil }

// Login and Logout: pkg/mfa does everything (factors, throttling, audit).
func (t *thermometer) Login(ctx context.Context, c device.Credentials) (string, error) {
	s, err := t.users.Login(ctx, mfa.Credentials{User: c.User, Password: c.Password, OTP: c.OTP, Source: c.Source})
	switch {
	case errors.Is(err, mfa.ErrSecondFactorRequired):
		return "", fmt.Errorf("%w: %w", device.ErrDenied, device.ErrSecondFactorRequired)
	case err != nil:
		return "", fmt.Errorf("%w: %w", device.ErrDenied, err)
	}
	return s.Token, nil
}

func (t *thermometer) Logout(ctx context.Context, token string) error {
	if err := t.users.Logout(ctx, token); err != nil {
		return fmt.Errorf("%w: %w", device.ErrUnauthenticated, err)
	}
	return nil
}

// authorize returns the session's user or maps pkg/mfa and pkg/access
// answers to pkg/device's errors (pkg/mfa has recorded the refusal).
func (t *thermometer) authorize(ctx context.Context, token string, perm access.Permission) (string, error) {
	s, err := t.users.Authorize(ctx, token, perm)
	switch {
	case err == nil:
		return s.User, nil
	case errors.Is(err, access.ErrForbidden):
		return "", fmt.Errorf("%w: %w", device.ErrDenied, err)
	case errors.Is(err, mfa.ErrReauthRequired):
		return "", fmt.Errorf("%w: %w", device.ErrReauthRequired, err)
	}
	return "", fmt.Errorf("%w: %w", device.ErrUnauthenticated, err)
}

func (t *thermometer) path(id string) (string, error) {
	if id == "" || strings.ContainsAny(id, `/\`) || strings.HasPrefix(id, ".") {
		return "", fmt.Errorf("%w: bad patient id", device.ErrDenied)
	}
	return filepath.Join(t.dir, "readings", id+".sealed"), nil
}

func (t *thermometer) save(ctx context.Context, id string, data []byte) error {
	p, err := t.path(id)
	if err != nil {
		return err
	}
	sealed, err := atrest.Seal(ctx, data, t.key)
	if err != nil {
		return err
	}
	return atrest.WriteFileAtomic(p, 0o600, func(w io.Writer) error { _, err := w.Write(sealed); return err })
}

// load opens a stored reading.
func (t *thermometer) load(ctx context.Context, id string) ([]byte, error) {
	p, err := t.path(id)
	if err != nil {
		return nil, err
	}
	sealed, err := os.ReadFile(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w: no such patient", device.ErrDenied)
	}
	if err != nil {
		return nil, err
	}
	pt, err := atrest.Open(ctx, sealed, t.key)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", device.ErrIntegrity, err)
	}
	return pt, nil
}

// ReadPatient and WritePatient: authorized by pkg/access through the
// session, sealed at rest with pkg/atrest, recorded in pkg/audit.
func (t *thermometer) ReadPatient(ctx context.Context, token, id string) ([]byte, error) {
	user, err := t.authorize(ctx, token, access.PHIRead)
	if err != nil {
		return nil, err
	}
	pt, err := t.load(ctx, id)
	if err != nil {
		return nil, err
	}
	_, err = t.log.Append(ctx, audit.Event{Actor: user, Source: "management-api", Action: string(access.PHIRead), Object: id, Outcome: audit.Success})
	return pt, err
}

func (t *thermometer) WritePatient(ctx context.Context, token, id string, data []byte) error {
	user, err := t.authorize(ctx, token, access.PHIWrite)
	if err != nil {
		return err
	}
	if err := t.save(ctx, id, data); err != nil {
		return err
	}
	_, err = t.log.Append(ctx, audit.Event{Actor: user, Source: "management-api", Action: string(access.PHIWrite), Object: id, Outcome: audit.Success})
	return err
}

// AuditLog exports the signed log as stored.
func (t *thermometer) AuditLog(context.Context) (device.AuditExport, error) {
	lg, _ := os.ReadFile(filepath.Join(t.dir, "audit", audit.LogFileName))
	cp, _ := os.ReadFile(filepath.Join(t.dir, "audit", audit.CheckpointFileName))
	return device.AuditExport{Log: lg, Checkpoint: cp, PublicKey: t.log.PublicKey(),
		LogPath: "audit/" + audit.LogFileName, CheckpointPath: "audit/" + audit.CheckpointFileName}, nil
}

// devBuild adds what only development builds have: test accounts, TOTP
// enrolment, raw access to the data directory, and the values of the test
// patient it planted.
type devBuild struct{ *thermometer }

// PlantedValues tells the harness the synthetic patient's name, so it can
// search the raw data directory for it. Only the development build says:
// the production build holds the same record but names no test data.
func (d *devBuild) PlantedValues(context.Context) ([]string, error) {
	return []string{syntheticName}, nil
}

// Close removes the unit's data.
func (d *devBuild) Close() error { return os.RemoveAll(d.dir) }

func (d *devBuild) CreateUser(ctx context.Context, user, password, role string) error {
	if err := d.users.CreateUser(ctx, "provisioner", user, access.Role(role), password); err != nil {
		return fmt.Errorf("%w: %w", device.ErrDenied, err)
	}
	return nil
}

// DeleteUser removes a test account (device.AccountRemover), so checks
// leave a unit that keeps its accounts as they found it.
func (d *devBuild) DeleteUser(ctx context.Context, user string) error {
	err := d.users.DeleteUser(ctx, "provisioner", user)
	if err == nil || errors.Is(err, mfa.ErrNotFound) {
		return nil // gone either way
	}
	return fmt.Errorf("%w: %w", device.ErrDenied, err)
}

func (d *devBuild) EnrollTOTP(ctx context.Context, user string) (string, error) {
	uri, err := d.users.EnrollTOTP(ctx, "provisioner", user)
	if err != nil {
		return "", fmt.Errorf("%w: %w", device.ErrDenied, err)
	}
	return uri, nil
}

func (d *devBuild) ListStored(context.Context) ([]string, error) {
	var out []string
	err := filepath.WalkDir(d.dir, func(p string, e fs.DirEntry, err error) error {
		if err == nil && !e.IsDir() {
			rel, _ := filepath.Rel(d.dir, p)
			out = append(out, filepath.ToSlash(rel))
		}
		return err
	})
	slices.Sort(out)
	return out, err
}

func (d *devBuild) local(name string) (string, error) {
	p := filepath.Join(d.dir, filepath.FromSlash(name))
	if rel, err := filepath.Rel(d.dir, p); err != nil || strings.HasPrefix(rel, "..") {
		return "", fmt.Errorf("%w: %q is outside the data directory", device.ErrDenied, name)
	}
	return p, nil
}

func (d *devBuild) ReadStored(_ context.Context, name string) ([]byte, error) {
	p, err := d.local(name)
	if err != nil {
		return nil, err
	}
	return os.ReadFile(p)
}

func (d *devBuild) WriteStored(_ context.Context, name string, data []byte) error {
	p, err := d.local(name)
	if err != nil {
		return err
	}
	return os.WriteFile(p, data, 0o600)
}
