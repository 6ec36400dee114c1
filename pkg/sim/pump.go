package sim

import (
	"context"
	"crypto/ed25519"
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/wardsec/ward/pkg/audit"
	"github.com/wardsec/ward/pkg/device"
)

// Storage names inside the simulated device's persistent storage.
const (
	auditLogFile        = "audit/log.jsonl"
	auditCheckpointFile = "audit/checkpoint.json"
	patientPrefix       = "patients/"
)

// pbkdf2Iterations is deliberately low: the simulator hashes a password per
// scenario and must stay fast. It is not a recommendation; pkg/mfa owns the
// production parameters.
const pbkdf2Iterations = 4096

// Profiles lists the device profiles the simulator can play.
func Profiles() []string { return []string{"infusion-pump"} }

// Option configures a simulated device.
type Option func(*config) error

type config struct {
	serial     string
	weaknesses []string
	now        func() time.Time
	auditKey   ed25519.PrivateKey
	sinks      []audit.Sink
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

// WithAuditSink forwards the device's audit records, as a real device
// forwards them to a collector.
func WithAuditSink(s audit.Sink) Option {
	return func(c *config) error { c.sinks = append(c.sinks, s); return nil }
}

type account struct {
	Role string
	Salt []byte
	Hash []byte
}

type session struct {
	user    string
	created time.Time
}

// Pump is a simulated infusion pump. It implements device.Device and the
// capabilities device.Authenticator, device.PatientData, device.AuditSource,
// device.RawStorage and device.Provisioner. It is safe for concurrent use.
type Pump struct {
	id   device.Identity
	weak weakSet
	now  func() time.Time

	mu       sync.Mutex
	storage  map[string][]byte
	accounts map[string]account
	sessions map[string]session

	audit    *audit.Log // nil when the log is weakened away or replaced
	auditPub ed25519.PublicKey
}

// New builds a simulated device of the given profile.
func New(ctx context.Context, profile string, opts ...Option) (*Pump, error) {
	if !slices.Contains(Profiles(), profile) {
		return nil, fmt.Errorf("%w: unknown simulator profile %q (known: %v)", device.ErrBadTarget, profile, Profiles())
	}
	c := config{serial: "SIM-IP-000001", now: time.Now}
	for _, o := range opts {
		if err := o(&c); err != nil {
			return nil, err
		}
	}
	weak, err := parseWeaknesses(c.weaknesses)
	if err != nil {
		return nil, err
	}
	p := &Pump{
		id: device.Identity{
			Manufacturer: "Ward Simulated Devices",
			Model:        "SIM-IP-100 infusion pump",
			Serial:       c.serial,
			Firmware:     "1.4.2",
			UDI:          "(01)00000000000000(21)" + c.serial,
		},
		weak:     weak,
		now:      func() time.Time { return c.now().UTC() },
		storage:  map[string][]byte{},
		accounts: map[string]account{},
		sessions: map[string]session{},
	}
	for _, pt := range seedPatients() {
		p.storage[patientPrefix+pt.ID] = mustJSON(pt)
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
	return p, nil
}

// Weaknesses reports the protections switched off on this device.
func (p *Pump) Weaknesses() []string { return p.weak.list() }

// Identify implements device.Device.
func (p *Pump) Identify(context.Context) (device.Identity, error) { return p.id, nil }

// Close implements device.Device.
func (p *Pump) Close() error { return nil }

// record writes an audit event the way the device is configured to: to the
// signed chain, to a plain unprotected log (mutable-audit) or nowhere
// (no-audit). A failure to audit fails the operation: a device that cannot
// record must not act unrecorded.
func (p *Pump) record(ctx context.Context, e audit.Event) error {
	switch {
	case p.weak["no-audit"]:
		return nil
	case p.weak["mutable-audit"]:
		e.Time = p.now()
		p.mu.Lock()
		defer p.mu.Unlock()
		seq := uint64(len(splitLines(p.storage[auditLogFile]))) + 1
		line := mustJSON(audit.Record{
			Seq: seq, Time: e.Time, Actor: e.Actor, Source: e.Source, Action: e.Action,
			Object: e.Object, Outcome: e.Outcome, Detail: e.Detail,
		})
		p.storage[auditLogFile] = append(p.storage[auditLogFile], append(line, '\n')...)
		return nil
	default:
		if _, err := p.audit.Append(ctx, e); err != nil {
			return fmt.Errorf("sim: audit: %w", err)
		}
		return nil
	}
}

// CreateUser implements device.Provisioner: development builds and the
// simulator let the harness create the test accounts a scenario needs.
func (p *Pump) CreateUser(ctx context.Context, user, password, role string) error {
	if user == "" || password == "" {
		return fmt.Errorf("sim: create user: %w: empty user or password", device.ErrDenied)
	}
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return err
	}
	h, err := pbkdf2.Key(sha256.New, password, salt, pbkdf2Iterations, 32)
	if err != nil {
		return fmt.Errorf("sim: hash password: %w", err)
	}
	p.mu.Lock()
	_, exists := p.accounts[user]
	if !exists {
		p.accounts[user] = account{Role: role, Salt: salt, Hash: h}
	}
	p.mu.Unlock()
	outcome := audit.Success
	if exists {
		outcome = audit.Failure
	}
	if err := p.record(ctx, audit.Event{Actor: "provisioner", Source: "provisioning", Action: "user.create", Object: user, Outcome: outcome, Detail: map[string]string{"role": role}}); err != nil {
		return err
	}
	if exists {
		return fmt.Errorf("sim: create user %q: %w: already exists", user, device.ErrDenied)
	}
	return nil
}

// Login implements device.Authenticator.
func (p *Pump) Login(ctx context.Context, c device.Credentials) (string, error) {
	p.mu.Lock()
	acct, ok := p.accounts[c.User]
	p.mu.Unlock()
	// Hash even for unknown users so response time does not reveal which
	// user names exist.
	salt, want := acct.Salt, acct.Hash
	if !ok {
		salt, want = make([]byte, 16), make([]byte, 32)
	}
	got, err := pbkdf2.Key(sha256.New, c.Password, salt, pbkdf2Iterations, 32)
	if err != nil {
		return "", fmt.Errorf("sim: login: %w", err)
	}
	good := subtle.ConstantTimeCompare(got, want) == 1 && ok
	ev := audit.Event{Actor: c.User, Source: c.Source, Action: "login", Object: "session", Outcome: audit.Failure}
	if !good {
		if err := p.record(ctx, ev); err != nil {
			return "", err
		}
		return "", fmt.Errorf("sim: login %q: %w", c.User, device.ErrDenied)
	}
	tok := make([]byte, 32)
	if _, err := rand.Read(tok); err != nil {
		return "", err
	}
	token := hex.EncodeToString(tok)
	ev.Outcome = audit.Success
	if err := p.record(ctx, ev); err != nil {
		return "", err
	}
	p.mu.Lock()
	p.sessions[token] = session{user: c.User, created: p.now()}
	p.mu.Unlock()
	return token, nil
}

// Logout implements device.Authenticator.
func (p *Pump) Logout(ctx context.Context, token string) error {
	p.mu.Lock()
	s, ok := p.sessions[token]
	delete(p.sessions, token)
	p.mu.Unlock()
	if !ok {
		return fmt.Errorf("sim: logout: %w", device.ErrUnauthenticated)
	}
	return p.record(ctx, audit.Event{Actor: s.user, Source: "session", Action: "logout", Object: "session", Outcome: audit.Success})
}

// caller resolves a session token. With the no-auth weakness any token,
// even none, is taken as an anonymous caller.
func (p *Pump) caller(token string) (string, error) {
	p.mu.Lock()
	s, ok := p.sessions[token]
	p.mu.Unlock()
	if ok {
		return s.user, nil
	}
	if p.weak["no-auth"] {
		return "anonymous", nil
	}
	return "", device.ErrUnauthenticated
}

// ReadPatient implements device.PatientData.
func (p *Pump) ReadPatient(ctx context.Context, token, id string) ([]byte, error) {
	return p.patientOp(ctx, token, id, "phi.read", nil)
}

// WritePatient implements device.PatientData.
func (p *Pump) WritePatient(ctx context.Context, token, id string, data []byte) error {
	_, err := p.patientOp(ctx, token, id, "phi.write", data)
	return err
}

func (p *Pump) patientOp(ctx context.Context, token, id, action string, data []byte) ([]byte, error) {
	user, err := p.caller(token)
	ev := audit.Event{Actor: user, Source: "management-api", Action: action, Object: id, Outcome: audit.Success}
	if err != nil {
		ev.Actor, ev.Outcome = "unauthenticated", audit.Denied
		if rerr := p.record(ctx, ev); rerr != nil {
			return nil, rerr
		}
		return nil, fmt.Errorf("sim: %s %s: %w", action, id, err)
	}
	p.mu.Lock()
	cur, ok := p.storage[patientPrefix+id]
	if ok && data != nil {
		p.storage[patientPrefix+id] = slices.Clone(data)
	}
	p.mu.Unlock()
	if !ok {
		ev.Outcome = audit.Failure
		ev.Detail = map[string]string{"reason": "no such patient"}
	}
	if err := p.record(ctx, ev); err != nil {
		return nil, err
	}
	if !ok {
		return nil, fmt.Errorf("sim: %s %s: %w: no such patient", action, id, device.ErrDenied)
	}
	return slices.Clone(cur), nil
}

// AuditLog implements device.AuditSource.
func (p *Pump) AuditLog(context.Context) (device.AuditExport, error) {
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
