package sim

import (
	"context"
	"errors"
	"fmt"
	"maps"

	"github.com/wardsec/ward/pkg/access"
	"github.com/wardsec/ward/pkg/audit"
	"github.com/wardsec/ward/pkg/mfa"
)

// DeleteUser implements device.AccountRemover (the simulator is a test
// build): it removes the account through pkg/mfa, which ends its sessions
// and records "user.delete". An account a weak code path created under a
// name pkg/mfa refuses (shared-account: "nurse") is removed from the table
// as it was made, with its weak-path sessions, and recorded too. No such
// account is not an error: the account is gone either way.
func (p *Pump) DeleteUser(ctx context.Context, user string) error {
	ctx = via(ctx, "provisioning")
	var err error
	if _, nameErr := access.CanonicalName(user); nameErr != nil {
		err = p.weakDeleteUser(ctx, user)
	} else {
		err = p.verifier.Load().DeleteUser(ctx, "provisioner", user)
	}
	switch {
	case err == nil:
		p.endLegacySessions(user)
		return nil
	case errors.Is(err, mfa.ErrNotFound):
		return nil
	}
	return fmt.Errorf("sim: delete user %q: %w", clipName(user), err)
}

// weakDeleteUser removes an account stored under a name pkg/mfa would not
// accept, recording it as pkg/mfa records its own deletions.
func (p *Pump) weakDeleteUser(ctx context.Context, user string) error {
	err := accountStore{p}.Delete(ctx, user)
	if errors.Is(err, mfa.ErrNotFound) {
		return err
	}
	outcome := audit.Success
	if err != nil {
		outcome = audit.Failure
	}
	if rerr := p.record(ctx, audit.Event{Actor: "provisioner", Source: "provisioning", Action: "user.delete", Object: clipName(user),
		Outcome: outcome}); rerr != nil && err == nil {
		err = rerr
	}
	return err
}

// endLegacySessions ends the weak-path sessions of user.
func (p *Pump) endLegacySessions(user string) {
	canon, err := access.CanonicalName(user)
	if err != nil {
		canon = user
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	maps.DeleteFunc(p.legacy, func(_ string, ls legacySession) bool { return ls.user == user || ls.user == canon })
}
