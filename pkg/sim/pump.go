package sim

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/wardsec/ward/pkg/access"
	"github.com/wardsec/ward/pkg/audit"
	"github.com/wardsec/ward/pkg/device"
	"github.com/wardsec/ward/pkg/mfa"
)

// Storage names inside the simulated device's persistent storage.
const (
	auditLogFile        = "audit/log.jsonl"
	auditCheckpointFile = "audit/checkpoint.json"
	patientPrefix       = "patients/"
)

// Profiles lists the device profiles the simulator can play.
func Profiles() []string { return []string{"infusion-pump", "patient-monitor"} }

// Option configures a simulated device.
type Option func(*config) error

type config struct {
	serial     string
	weaknesses []string
	now        func() time.Time
	auditKey   ed25519.PrivateKey
	sinks      []audit.Sink
	hashing    mfa.PasswordPolicy
	netns      bool // WithNetworkNamespaces
	line       *Line
}

// WithSerial sets the serial number the device reports.
func WithSerial(s string) Option {
	return func(c *config) error {
		if s == "" {
			return fmt.Errorf("%w: empty serial", device.ErrBadTarget)
		}
		c.serial = s
		return nil
	}
}

// WithWeaknesses switches protections off by name (see Weaknesses).
func WithWeaknesses(names ...string) Option {
	return func(c *config) error {
		c.weaknesses = append(c.weaknesses, names...)
		return nil
	}
}

// WithClock injects the device's clock (default time.Now).
func WithClock(now func() time.Time) Option {
	return func(c *config) error { c.now = now; return nil }
}

// WithAuditKey sets the key that signs the device's audit checkpoints
// (default: a fresh per-device key).
func WithAuditKey(k ed25519.PrivateKey) Option {
	return func(c *config) error { c.auditKey = k; return nil }
}

// WithProductionHashing makes the pump hash passwords with pkg/mfa's
// production parameters (argon2id t=2, 19 MiB; PBKDF2 600,000 iterations in
// FIPS mode) instead of the simulator's cheap ones (see simHashing). Logins
// then cost what they cost on a device: 20–100 ms each.
func WithProductionHashing() Option {
	return func(c *config) error {
		d := mfa.DefaultPolicy().Password
		c.hashing = mfa.PasswordPolicy{Argon2Time: d.Argon2Time, Argon2MemoryKiB: d.Argon2MemoryKiB,
			Argon2Threads: d.Argon2Threads, PBKDF2Iterations: d.PBKDF2Iterations}
		return nil
	}
}

// WithAuditSink forwards the device's audit records, as a real device
// forwards them to a collector.
func WithAuditSink(s audit.Sink) Option {
	return func(c *config) error { c.sinks = append(c.sinks, s); return nil }
}

// Pump is a simulated infusion pump. It implements device.Device and the
// capabilities device.Authenticator, device.PatientData, device.AuditSource,
// device.RawStorage, device.Provisioner, device.AccountRemover, device.KeyCustodian,
// device.Decommissioner, device.Backupper, device.ConfigExporter,
// device.Operator, device.EmergencyAccess, device.ActivityReviewer,
// device.Updater, device.Network and, as a test build, device.MFAProvisioner,
// device.ClockControl, device.UpdatePublisher and device.OutageControl. Logins,
// sessions and authorization are pkg/mfa's and pkg/access's (auth.go). It
// is safe for concurrent use.
type Pump struct {
	id      device.Identity
	factory device.Identity // its profile's reference unit (identity.go)
	weak    weakSet
	now     func() time.Time
	offset  atomic.Int64 // ClockControl: nanoseconds added to the clock
	hashing mfa.PasswordPolicy

	verifier atomic.Pointer[mfa.Verifier]
	access   *access.Policy

	mu       sync.Mutex
	storage  map[string][]byte
	accounts map[string]mfa.User      // the account table, by name
	legacy   map[string]legacySession // sessions of the weak code paths
	alerts   []mfa.Alert              // raised, as shown on the display

	audit *audit.Log // nil when the log is weakened away or replaced
	// auditOrder makes appending a record (line and checkpoint) and
	// handing it to the collector one step: records leave in the order of
	// their sequence numbers, and an export never sees a record without
	// its checkpoint. Take it before mu.
	auditOrder sync.Mutex
	auditPub   ed25519.PublicKey

	// vault seals what the pump stores; its key lives outside storage, as
	// in a secure element.
	vault vault
	// backupKey is the site's backup key (see siteBackupKey).
	backupKey []byte
	sec       secSettings // security settings (config.go)
	// lastWritten is the patient written most recently (lossy-backup
	// leaves it out).
	lastWritten string

	// upd is the update subsystem (update.go), built on first use from
	// what line ships (line.go).
	upd  lazyUpdater
	line *Line

	// net is the unit's network side: HL7 feed, log forwarding (feed.go).
	net netState

	// site is the pump's place in the modelled site network (network.go).
	site *simNet

	// outage is the state of its back-end links: emergency mode (outage.go).
	outage outageState
}

// New builds a simulated device of the given profile.
func New(ctx context.Context, profile string, opts ...Option) (*Pump, error) {
	if !slices.Contains(Profiles(), profile) {
		return nil, fmt.Errorf("%w: unknown simulator profile %q (known: %v)", device.ErrBadTarget, profile, Profiles())
	}
	c := config{now: time.Now, hashing: simHashing}
	for _, o := range opts {
		if err := o(&c); err != nil {
			return nil, err
		}
	}
	weak, err := parseWeaknesses(c.weaknesses)
	if err != nil {
		return nil, err
	}
	id := unitIdentity(profile, 1)
	if c.serial != "" {
		id.Serial, id.UDI = c.serial, "(01)00000000000000(21)"+c.serial
	}
	p := &Pump{
		id:       id,
		factory:  unitIdentity(profile, 0),
		weak:     weak,
		hashing:  c.hashing,
		line:     c.line,
		storage:  map[string][]byte{},
		accounts: map[string]mfa.User{},
		legacy:   map[string]legacySession{},
		net:      netState{monitor: profile == "patient-monitor"},
	}
	p.now = func() time.Time { return c.now().Add(time.Duration(p.offset.Load())).UTC() }
	if p.line == nil {
		p.line = NewLine()
	}
	if p.vault, err = newVault(weak); err != nil {
		return nil, err
	}
	p.backupKey = siteBackupKey()
	for _, pt := range seedPatients() {
		sealed, err := p.vault.seal(ctx, patientPrefix+pt.ID, mustJSON(pt))
		if err != nil {
			return nil, err
		}
		p.storage[patientPrefix+pt.ID] = sealed
	}
	if weak["default-credentials"] {
		hash, err := p.simHash(factoryPassword)
		if err != nil {
			return nil, err
		}
		p.accounts[factoryUser] = mfa.User{Name: factoryUser, Role: access.Administrator, Password: hash, Created: p.now()}
	}
	if err := p.saveAccountsLocked(ctx); err != nil {
		return nil, err
	}
	if !weak["no-audit"] && !weak["mutable-audit"] {
		key := c.auditKey
		if key == nil {
			if _, key, err = ed25519.GenerateKey(rand.Reader); err != nil {
				return nil, fmt.Errorf("sim: audit key: %w", err)
			}
		}
		aopts := []audit.Option{audit.WithSigner(key), audit.WithClock(p.now)}
		for _, s := range c.sinks {
			aopts = append(aopts, audit.WithSink(s))
		}
		p.audit, err = audit.Open(ctx, storageStore{p}, aopts...)
		if err != nil {
			return nil, fmt.Errorf("sim: audit log: %w", err)
		}
		p.auditPub = p.audit.PublicKey()
	}
	p.access, err = access.NewPolicy(pumpTable(), access.WithAuditor(pumpAuditor{p}))
	if err != nil {
		return nil, fmt.Errorf("sim: access policy: %w", err)
	}
	if err := p.resetSessions(); err != nil {
		return nil, err
	}
	if err := p.initNetwork(ctx, c.netns); err != nil {
		return nil, err
	}
	return p, nil
}

// Weaknesses reports the protections switched off on this device.
func (p *Pump) Weaknesses() []string { return p.weak.list() }

// Identify implements device.Device.
func (p *Pump) Identify(context.Context) (device.Identity, error) { return p.discoveryIdentity(), nil }

// ScratchUnit implements device.Scratch: a simulated unit holds nothing
// anyone needs, so checks that destroy it may run unasked.
func (p *Pump) ScratchUnit() bool { return true }

// InProcess implements device.Local: the unit's network services (its
// HL7 feed) listen on loopback inside Ward's process.
func (p *Pump) InProcess() bool { return true }

// Close implements device.Device. It stops the unit's network services
// and, in network-namespace mode, tears down its namespaces.
func (p *Pump) Close() error {
	err := p.closeNet()
	if p.site != nil && p.site.real != nil {
		err = errors.Join(err, p.site.real.close())
	}
	return err
}

// record writes an audit event the way the device is configured to: to the
// signed chain, to a plain unprotected log (mutable-audit) or nowhere
// (no-audit). A failure to audit fails the operation: a device that cannot
// record must not act unrecorded.
func (p *Pump) record(ctx context.Context, e audit.Event) error {
	_, err := p.appendAudit(ctx, e)
	return err
}

// appendAudit is record, returning the record written.
func (p *Pump) appendAudit(ctx context.Context, e audit.Event) (audit.Record, error) {
	if e.Source == "" {
		// The pump's own subsystems (traffic monitor, segment guard,
		// updater) act from the device itself; a record without a source
		// fails HIPAA 164.312(b)'s "from where".
		e.Source = ifaceOf(ctx)
	}
	switch {
	case p.weak["no-audit"]:
		return audit.Record{}, nil
	case p.weak["mutable-audit"]:
		if e.Time.IsZero() {
			e.Time = p.now()
		}
		p.mu.Lock()
		defer p.mu.Unlock()
		seq := uint64(len(splitLines(p.storage[auditLogFile]))) + 1
		r := audit.Record{
			Seq: seq, Time: e.Time, Actor: e.Actor, Source: e.Source, Action: e.Action,
			Object: e.Object, Outcome: e.Outcome, Detail: e.Detail,
		}
		p.storage[auditLogFile] = append(p.storage[auditLogFile], append(mustJSON(r), '\n')...)
		p.forwardOrHold(r)
		return r, nil
	default:
		p.auditOrder.Lock()
		defer p.auditOrder.Unlock()
		r, err := p.audit.Append(ctx, e)
		if err != nil {
			return r, fmt.Errorf("sim: audit: %w", err)
		}
		p.forwardOrHold(r)
		return r, nil
	}
}

// ReadPatient implements device.PatientData.
func (p *Pump) ReadPatient(ctx context.Context, token, id string) ([]byte, error) {
	return p.patientOp(ctx, token, id, access.PHIRead, nil)
}

// WritePatient implements device.PatientData.
func (p *Pump) WritePatient(ctx context.Context, token, id string, data []byte) error {
	_, err := p.patientOp(ctx, token, id, access.PHIWrite, data)
	return err
}

func (p *Pump) patientOp(ctx context.Context, token, id string, perm access.Permission, data []byte) ([]byte, error) {
	ctx = via(ctx, "management-api")
	action := string(perm)
	c, err := p.authorize(ctx, token, perm)
	if err != nil && p.weak["no-auth"] && errors.Is(err, device.ErrUnauthenticated) {
		// The weakness: a caller without a valid session is served anyway.
		c, err = caller{Subject: access.Subject{User: "anonymous"}}, nil
	}
	ev := audit.Event{Actor: c.User, Source: "management-api", Action: action, Object: id, Outcome: audit.Success}
	if err != nil {
		if ev.Actor == "" {
			ev.Actor = "unauthenticated"
		}
		ev.Outcome = audit.Denied
		if rerr := p.recordAs(ctx, c, ev); rerr != nil {
			return nil, rerr
		}
		return nil, fmt.Errorf("sim: %s %s: %w", action, id, err)
	}
	name := patientPrefix + id
	p.mu.Lock()
	sealed, ok := p.storage[name]
	p.mu.Unlock()
	var cur []byte
	if ok {
		if cur, err = p.vault.open(ctx, name, sealed); err != nil {
			ev.Outcome = audit.Failure
			ev.Detail = map[string]string{"reason": "stored record failed its integrity check"}
			if rerr := p.recordAs(ctx, c, ev); rerr != nil {
				return nil, rerr
			}
			return nil, fmt.Errorf("sim: %s %s: %w", action, id, err)
		}
	}
	if ok && data != nil {
		resealed, err := p.vault.seal(ctx, name, data)
		if err != nil {
			return nil, err
		}
		p.mu.Lock()
		p.storage[name] = resealed
		p.lastWritten = id
		p.mu.Unlock()
	}
	if !ok {
		ev.Outcome = audit.Failure
		ev.Detail = map[string]string{"reason": "no such patient"}
	}
	if err := p.recordAs(ctx, c, ev); err != nil {
		return nil, err
	}
	if !ok {
		return nil, fmt.Errorf("sim: %s %s: %w: no such patient", action, id, device.ErrDenied)
	}
	return cur, nil
}

// AuditLog implements device.AuditSource.
func (p *Pump) AuditLog(context.Context) (device.AuditExport, error) {
	// A record and its checkpoint are written one after the other: the
	// export waits for an append in progress, so the log it gives ends
	// where its signed checkpoint does.
	p.auditOrder.Lock()
	defer p.auditOrder.Unlock()
	p.mu.Lock()
	defer p.mu.Unlock()
	return device.AuditExport{
		Log:            slices.Clone(p.storage[auditLogFile]),
		Checkpoint:     slices.Clone(p.storage[auditCheckpointFile]),
		PublicKey:      p.auditPub,
		LogPath:        auditLogFile,
		CheckpointPath: auditCheckpointFile,
	}, nil
}

// ListStored implements device.RawStorage.
func (p *Pump) ListStored(context.Context) ([]string, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Sorted(maps.Keys(p.storage)), nil
}

// ReadStored implements device.RawStorage.
func (p *Pump) ReadStored(_ context.Context, name string) ([]byte, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	b, ok := p.storage[name]
	if !ok {
		return nil, fmt.Errorf("sim: read stored %q: %w", name, errNotStored)
	}
	return slices.Clone(b), nil
}

// WriteStored implements device.RawStorage. It bypasses every protection,
// as an attacker writing to the flash chip would.
func (p *Pump) WriteStored(_ context.Context, name string, data []byte) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.storage[name] = slices.Clone(data)
	return nil
}

var errNotStored = errors.New("no such stored file")

// storageStore keeps the audit log in the device's raw storage, where a
// storage-level attacker can reach it, exactly as on a real device.
type storageStore struct{ p *Pump }

func (s storageStore) Load(context.Context) ([]byte, []byte, error) {
	s.p.mu.Lock()
	defer s.p.mu.Unlock()
	return slices.Clone(s.p.storage[auditLogFile]), slices.Clone(s.p.storage[auditCheckpointFile]), nil
}

func (s storageStore) Append(_ context.Context, line []byte) error {
	s.p.mu.Lock()
	defer s.p.mu.Unlock()
	s.p.storage[auditLogFile] = append(s.p.storage[auditLogFile], line...)
	return nil
}

func (s storageStore) SaveCheckpoint(_ context.Context, cp []byte) error {
	s.p.mu.Lock()
	defer s.p.mu.Unlock()
	s.p.storage[auditCheckpointFile] = slices.Clone(cp)
	return nil
}

type patient struct {
	ID        string `json:"id"`
	Name      string `json:"name"`
	BirthDate string `json:"birth_date"`
	MRN       string `json:"mrn"`
	Drug      string `json:"drug"`
	RateMLH   string `json:"rate_ml_h"`
}

// seedPatients are synthetic records; no real person.
func seedPatients() []patient {
	return []patient{
		{ID: "P-1001", Name: "Ada Synthetic", BirthDate: "1961-04-12", MRN: "MRN-44120981", Drug: "heparin 25000 U/250 mL", RateMLH: "8.0"},
		{ID: "P-1002", Name: "Bo Fictional", BirthDate: "1979-11-30", MRN: "MRN-50877312", Drug: "normal saline", RateMLH: "125"},
	}
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // only fixed, marshalable types reach here
	}
	return b
}

func splitLines(b []byte) [][]byte {
	var out [][]byte
	for len(b) > 0 {
		i := slices.Index(b, '\n')
		if i < 0 {
			out = append(out, b)
			break
		}
		out = append(out, b[:i])
		b = b[i+1:]
	}
	return out
}
