package netprobe

import (
	"fmt"
	"strings"
)

// Credential is a user name and password pair to try.
type Credential struct {
	User     string `json:"user"`
	Password string `json:"password"`
}

func (c Credential) String() string {
	if c.Password == "" {
		return c.User + "/(empty)"
	}
	return c.User + "/" + c.Password
}

// DefaultCredentials are the vendor defaults tried on every login
// mechanism found, most common first. Sources: the credential table of
// the Mirai botnet source (2016), which took over hundreds of thousands of
// appliances with exactly these; CISA ICS medical advisories on hard-coded
// and default accounts (e.g. ICSMA-20-049-01, ICSMA-19-080-01); and the
// pairs Ward's own default-credentials scenario lists. Kept short: each
// try costs the device a failed login, and lockout must not be provoked.
func DefaultCredentials() []Credential {
	return []Credential{
		{"admin", "admin"},
		{"root", "root"},
		{"admin", "password"},
		{"admin", "1234"},
		{"service", "service"},
		{"root", ""},
		{"admin", ""},
		{"user", "user"},
		{"biomed", "biomed"},
		{"guest", "guest"},
	}
}

// ParseCredential reads "user:password".
func ParseCredential(s string) (Credential, error) {
	u, p, ok := strings.Cut(s, ":")
	if !ok || u == "" {
		return Credential{}, fmt.Errorf("netprobe: credential %q is not user:password", s)
	}
	return Credential{User: u, Password: p}, nil
}
