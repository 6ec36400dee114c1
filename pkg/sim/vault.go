package sim

import (
	"bytes"
	"context"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sync"

	"github.com/wardsec/ward/pkg/atrest"
	"github.com/wardsec/ward/pkg/backup"
	"github.com/wardsec/ward/pkg/device"
)

// vault seals what the pump stores. Its key-encryption key models a secure
// element: it is not in the storage map an attacker can dump.
type vault interface {
	seal(ctx context.Context, name string, plaintext []byte) ([]byte, error)
	// open fails with an error matching device.ErrIntegrity when the
	// sealed bytes do not authenticate.
	open(ctx context.Context, name string, sealed []byte) ([]byte, error)
	// export returns the key id and bytes (test builds only), or
	// device.ErrKeyDestroyed after destroy.
	export() (string, []byte, error)
	// destroy is the crypto-erase: the key is gone for good.
	destroy() error
}

// sharedFirmwareKey is the weakness shared-device-key: one key compiled
// into every unit's firmware. Deliberately bad; never do this.
const sharedFirmwareKey = "ward-sim-firmware-key-shared-by-every-unit"

// secureElement holds one 256-bit key and can destroy it.
type secureElement struct {
	mu  sync.Mutex
	id  string
	key []byte
}

func newSecureElement(shared bool) (*secureElement, error) {
	key := make([]byte, 32)
	if shared {
		k, err := hkdf.Key(sha256.New, []byte(sharedFirmwareKey), nil, "ward sim storage key", 32)
		if err != nil {
			return nil, err
		}
		key = k
	} else if _, err := rand.Read(key); err != nil {
		return nil, fmt.Errorf("sim: storage key: %w", err)
	}
	sum := sha256.Sum256(key)
	return &secureElement{id: "se-" + hex.EncodeToString(sum[:6]), key: key}, nil
}

func (s *secureElement) export() (string, []byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.key == nil {
		return "", nil, fmt.Errorf("sim: storage key %s: %w", s.id, device.ErrKeyDestroyed)
	}
	return s.id, append([]byte(nil), s.key...), nil
}

func (s *secureElement) destroy() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	clear(s.key)
	s.key = nil
	return nil
}

// plainVault is the weakness plaintext-storage: the unit has a key but
// stores everything in the clear.
type plainVault struct{ *secureElement }

func (plainVault) seal(_ context.Context, _ string, pt []byte) ([]byte, error) {
	return append([]byte(nil), pt...), nil
}

func (plainVault) open(_ context.Context, _ string, b []byte) ([]byte, error) {
	return append([]byte(nil), b...), nil
}

func newVault(weak weakSet) (vault, error) {
	se, err := newSecureElement(weak["shared-device-key"])
	if err != nil {
		return nil, err
	}
	if weak["plaintext-storage"] {
		return plainVault{se}, nil
	}
	if weak["unapproved-crypto"] {
		return chachaVault{se}, nil
	}
	return newSealedVault(se)
}

// sealedVault seals each stored file with pkg/atrest under the unit's own
// key. The file's storage name is not bound, so the per-file header digest
// and the key id are what tie a file to this unit.
type sealedVault struct{ *secureElement }

func newSealedVault(se *secureElement) (vault, error) { return sealedVault{se}, nil }

func (v sealedVault) key() (*atrest.RawKey, error) {
	id, k, err := v.export()
	if err != nil {
		return nil, err
	}
	return atrest.NewRawKey(id, k)
}

func (v sealedVault) seal(ctx context.Context, _ string, pt []byte) ([]byte, error) {
	k, err := v.key()
	if err != nil {
		return nil, err
	}
	return atrest.Seal(ctx, pt, k)
}

func (v sealedVault) open(ctx context.Context, name string, sealed []byte) ([]byte, error) {
	k, err := v.key()
	if err != nil {
		return nil, err
	}
	pt, err := atrest.Open(ctx, sealed, k)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %w", device.ErrIntegrity, name, err)
	}
	return pt, nil
}

// siteBackupKey is the simulator's stand-in for a hospital's backup key,
// which its key-management service hands to every unit of a site so any
// unit can restore another's backup. The simulator derives it from a fixed
// label; a real site key comes from a KMS or HSM, never from firmware.
func siteBackupKey() []byte {
	k, err := hkdf.Key(sha256.New, []byte("ward-sim-site-backup-key"), nil, "ward sim site backup key", 32) // 24 bytes: FIPS 140 mode refuses HKDF keys under 112 bits
	if err != nil {
		panic(err) // fixed inputs of valid lengths
	}
	return k
}

// sealBackup seals a backup archive under the site key; plaintext-backup
// writes it as is.
func (p *Pump) sealBackup(ctx context.Context, files []backup.File) ([]byte, error) {
	if p.weak["plaintext-backup"] {
		return mustJSON(files), nil
	}
	k, err := atrest.NewRawKey("sim-site-backup", p.backupKey)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if _, err := backup.Write(ctx, &buf, p.id.Serial, p.now(), files, k); err != nil {
		return nil, fmt.Errorf("sim: backup: %w", err)
	}
	return buf.Bytes(), nil
}

// openBackup verifies and opens a backup; every failure matches
// device.ErrIntegrity. plaintext-backup trusts whatever it is given.
func (p *Pump) openBackup(ctx context.Context, b []byte) ([]backup.File, error) {
	if p.weak["plaintext-backup"] {
		var files []backup.File
		if err := json.Unmarshal(b, &files); err != nil {
			return nil, fmt.Errorf("%w: backup: %v", device.ErrIntegrity, err)
		}
		return files, nil
	}
	k, err := atrest.NewRawKey("sim-site-backup", p.backupKey)
	if err != nil {
		return nil, err
	}
	_, files, err := backup.Read(ctx, bytes.NewReader(b), k)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", device.ErrIntegrity, err)
	}
	return files, nil
}
