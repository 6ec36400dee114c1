package ssh_test

import (
	"crypto/ed25519"
	"crypto/rand"
	"net/url"
	"os"
	"testing"

	"github.com/wardsec/ward/internal/sshdtest"

	xssh "golang.org/x/crypto/ssh"
)

func edKey() (ed25519.PublicKey, ed25519.PrivateKey, error) {
	return ed25519.GenerateKey(rand.Reader)
}

func marshal(k xssh.PublicKey) []byte { return xssh.MarshalAuthorizedKey(k) }

func mustURL(t testing.TB, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// killListener stops a test sshd's listener (its children live on).
func killListener(s *sshdtest.Server) error {
	p, err := os.FindProcess(s.PID)
	if err != nil {
		return err
	}
	return p.Kill()
}
