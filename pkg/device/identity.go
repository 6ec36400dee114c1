package device

import "context"

// IdentityQuerier is a device whose management interface answers an
// authenticated identity query (FDA premarket guidance, Appendix 1:
// a device identifies itself, its UDI, model, serial and software
// versions, to an authorised party), so an asset inventory can be checked
// against what the unit itself says.
type IdentityQuerier interface {
	// QueryIdentity returns the identity in the session behind token; it
	// fails with ErrUnauthenticated without a live session.
	QueryIdentity(ctx context.Context, token string) (Identity, error)
}

// ProvisionedIdentity is a test build or simulator that can state the
// identity it was provisioned with at the factory (what its label says and
// a site inventory would list), independent of what it announces. Checks
// of the asset inventory use it as a one-record reference when no site
// inventory is given; without either they are not-applicable. Production
// firmware lacks it.
type ProvisionedIdentity interface {
	ProvisionedIdentity(ctx context.Context) (Identity, error)
}
