package sim

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/wardsec/ward/pkg/audit"
	"github.com/wardsec/ward/pkg/backup"
	"github.com/wardsec/ward/pkg/device"
	"github.com/wardsec/ward/pkg/mfa"
)

const accountsFile = "accounts"

// saveAccountsLocked seals the account table into storage. The caller holds
// p.mu (or owns p exclusively, as New does).
func (p *Pump) saveAccountsLocked(ctx context.Context) error {
	sealed, err := p.vault.seal(ctx, accountsFile, mustJSON(p.accounts))
	if err != nil {
		return fmt.Errorf("sim: save accounts: %w", err)
	}
	p.storage[accountsFile] = sealed
	return nil
}

// ExportStorageKey implements device.KeyCustodian: the simulator is a test
// build, so it hands out its storage key for per-device-key and
// crypto-erase checks.
func (p *Pump) ExportStorageKey(context.Context) (string, []byte, error) {
	return p.vault.export()
}

// Decommission implements device.Decommissioner: crypto-erase (destroy the
// storage key) and then delete the data. The no-crypto-erase weakness only
// deletes the files, leaving the key, so earlier copies stay readable.
func (p *Pump) Decommission(ctx context.Context, token string) error {
	ctx = via(ctx, "management-api")
	c, err := p.begin(ctx, token, permDecommission, p.id.Serial)
	if err != nil {
		return fmt.Errorf("sim: decommission: %w", err)
	}
	if !p.weak["no-crypto-erase"] {
		if err := p.vault.destroy(); err != nil {
			return fmt.Errorf("sim: decommission: %w", err)
		}
	}
	p.mu.Lock()
	for name := range p.storage {
		if strings.HasPrefix(name, patientPrefix) || name == accountsFile {
			delete(p.storage, name)
		}
	}
	p.accounts = map[string]mfa.User{}
	p.mu.Unlock()
	if err := p.resetSessions(); err != nil {
		return err
	}
	return p.recordAs(ctx, c, audit.Event{Actor: c.User, Source: "management-api", Action: "device.decommission", Object: p.id.Serial, Outcome: audit.Success,
		Detail: map[string]string{"crypto_erase": fmt.Sprint(!p.weak["no-crypto-erase"])}})
}

// ExportConfig implements device.ConfigExporter. It exports settings and
// account names and roles, never secrets, unless secrets-in-logs is on.
func (p *Pump) ExportConfig(ctx context.Context, token string) ([]byte, error) {
	ctx = via(ctx, "management-api")
	c, err := p.begin(ctx, token, permConfigExport, "configuration")
	if err != nil {
		return nil, fmt.Errorf("sim: export config: %w", err)
	}
	p.mu.Lock()
	users := map[string]string{}
	for name, a := range p.accounts {
		users[name] = string(a.Role)
	}
	p.mu.Unlock()
	cfg := map[string]any{
		"device":   p.id,
		"settings": map[string]any{"max_rate_ml_h": 999, "occlusion_alarm": "high", "audit_forwarding": "disabled"},
		"users":    users,
	}
	id, key, kerr := p.vault.export()
	if kerr == nil {
		cfg["storage_key_id"] = id
		if p.weak["secrets-in-logs"] {
			cfg["storage_key"] = hex.EncodeToString(key)
		}
	}
	if err := p.recordAs(ctx, c, audit.Event{Actor: c.User, Source: "management-api", Action: "config.export", Object: "configuration", Outcome: audit.Success}); err != nil {
		return nil, err
	}
	return json.MarshalIndent(cfg, "", "  ")
}

// CreateBackup implements device.Backupper. The backup holds the patient
// records and the account table decrypted, sealed as a whole under the
// site's backup key (pkg/backup), so a clean unit can restore it under its
// own storage key.
func (p *Pump) CreateBackup(ctx context.Context, token string) ([]byte, error) {
	ctx = via(ctx, "management-api")
	c, err := p.begin(ctx, token, permBackupCreate, "data store")
	if err != nil {
		return nil, fmt.Errorf("sim: backup: %w", err)
	}
	p.mu.Lock()
	snapshot := maps.Clone(p.storage)
	last := p.lastWritten
	accounts := maps.Clone(p.accounts)
	p.mu.Unlock()
	var files []backup.File
	for _, name := range slices.Sorted(maps.Keys(snapshot)) {
		id, isPatient := strings.CutPrefix(name, patientPrefix)
		if !isPatient && name != accountsFile {
			continue
		}
		if p.weak["lossy-backup"] && isPatient && id == last {
			continue // the weakness: the newest change misses the backup
		}
		if !isPatient {
			table, err := p.exportAccounts(accounts)
			if err != nil {
				return nil, fmt.Errorf("sim: backup %s: %w", name, err)
			}
			files = append(files, backup.File{Name: name, Data: table})
			continue
		}
		pt, err := p.vault.open(ctx, name, snapshot[name])
		if err != nil {
			return nil, fmt.Errorf("sim: backup %s: %w", name, err)
		}
		files = append(files, backup.File{Name: name, Data: pt})
	}
	out, err := p.sealBackup(ctx, files)
	if err != nil {
		return nil, err
	}
	if err := p.recordAs(ctx, c, audit.Event{Actor: c.User, Source: "management-api", Action: "backup.create", Object: "data store", Outcome: audit.Success,
		Detail: map[string]string{"files": fmt.Sprint(len(files)), "bytes": fmt.Sprint(len(out))}}); err != nil {
		return nil, err
	}
	return out, nil
}

// RestoreBackup implements device.Backupper. The whole backup is verified
// and every record re-sealed before anything is replaced; on any error the
// device's data is untouched.
func (p *Pump) RestoreBackup(ctx context.Context, token string, b []byte) error {
	ctx = via(ctx, "management-api")
	c, err := p.begin(ctx, token, permBackupRestore, "data store")
	if err != nil {
		return fmt.Errorf("sim: restore: %w", err)
	}
	ev := audit.Event{Actor: c.User, Source: "management-api", Action: "backup.restore", Object: "data store", Outcome: audit.Failure}
	files, err := p.openBackup(ctx, b)
	staged := map[string][]byte{}
	var accounts map[string]mfa.User
	for _, f := range files {
		if err != nil {
			break
		}
		switch {
		case f.Name == accountsFile:
			accounts, err = p.importAccounts(f.Data)
		case strings.HasPrefix(f.Name, patientPrefix):
			staged[f.Name], err = p.vault.seal(ctx, f.Name, f.Data)
		default:
			err = fmt.Errorf("%w: unexpected file %q in backup", device.ErrIntegrity, f.Name)
		}
	}
	if err == nil && accounts == nil {
		err = fmt.Errorf("%w: backup holds no account table", device.ErrIntegrity)
	}
	if err != nil {
		ev.Detail = map[string]string{"reason": err.Error()}
		_ = p.recordAs(ctx, c, ev)
		return fmt.Errorf("sim: restore: %w", err)
	}
	p.mu.Lock()
	for name := range p.storage {
		if strings.HasPrefix(name, patientPrefix) {
			delete(p.storage, name)
		}
	}
	maps.Copy(p.storage, staged)
	p.accounts = accounts
	err = p.saveAccountsLocked(ctx)
	p.mu.Unlock()
	if err != nil {
		return err
	}
	// The account table changed under every session: all of them end.
	if err := p.resetSessions(); err != nil {
		return err
	}
	ev.Outcome = audit.Success
	ev.Detail = map[string]string{"patients": fmt.Sprint(len(staged)), "accounts": fmt.Sprint(len(accounts))}
	return p.recordAs(ctx, c, ev)
}

// backupAccount is an account as a backup carries it: the OTP seed opened
// (the backup as a whole is sealed under the site's key) so that another
// unit can seal it again under its own key.
type backupAccount struct {
	mfa.User
	SeedContext []byte `json:"seed_context,omitempty"`
	Seed        []byte `json:"seed,omitempty"`
}

// exportAccounts is the account table of a backup.
func (p *Pump) exportAccounts(accounts map[string]mfa.User) ([]byte, error) {
	out := make(map[string]backupAccount, len(accounts))
	for name, u := range accounts {
		ba := backupAccount{User: u}
		if u.OTP != nil {
			var err error
			if ba.SeedContext, ba.Seed, err = (seedSealer{p}).open(u.OTP.Sealed); err != nil {
				return nil, fmt.Errorf("account %q: OTP seed: %w", name, err)
			}
			o := *u.OTP
			o.Sealed = nil
			ba.OTP = &o
		}
		out[name] = ba
	}
	return mustJSON(out), nil
}

// importAccounts reads a backup's account table, sealing OTP seeds under
// this unit's key.
func (p *Pump) importAccounts(b []byte) (map[string]mfa.User, error) {
	var in map[string]backupAccount
	if err := json.Unmarshal(b, &in); err != nil {
		return nil, fmt.Errorf("%w: backup account table: %v", device.ErrIntegrity, err)
	}
	out := make(map[string]mfa.User, len(in))
	for name, ba := range in {
		u := ba.User
		if u.Name != name {
			return nil, fmt.Errorf("%w: backup account table: %q filed under %q", device.ErrIntegrity, u.Name, name)
		}
		if u.OTP != nil {
			sealed, err := (seedSealer{p}).Seal(ba.Seed, ba.SeedContext)
			if err != nil {
				return nil, fmt.Errorf("sim: restore account %q: %w", name, err)
			}
			o := *u.OTP
			o.Sealed = sealed
			u.OTP = &o
		}
		out[name] = u
	}
	return out, nil
}

var _ device.Backupper = (*Pump)(nil)
