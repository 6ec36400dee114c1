package device

import "context"

// SecurityConfig is a device whose security settings an authorised
// session can read, change and reset to the trusted default (FDA
// premarket guidance, Appendix 1: configuration integrity; IEC 62443-4-2
// CR 7.6). Settings are named strings, values strings.
type SecurityConfig interface {
	SecuritySettings(ctx context.Context, token string) (map[string]string, error)
	// ChangeSecuritySetting sets one setting; ErrDenied for a value the
	// device does not accept.
	ChangeSecuritySetting(ctx context.Context, token, name, value string) error
	// ResetSecuritySettings restores the trusted default configuration.
	ResetSecuritySettings(ctx context.Context, token string) error
}

// SecureBaseline is a simulator or test build that carries its maker's
// approved security baseline (the documented secure configuration), so
// drift can be checked without a site baseline.
type SecureBaseline interface {
	SecureBaseline(ctx context.Context) (map[string]string, error)
}
