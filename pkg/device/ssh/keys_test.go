package ssh_test

import (
	"crypto/ed25519"
	"crypto/rand"

	xssh "golang.org/x/crypto/ssh"
)

func edKey() (ed25519.PublicKey, ed25519.PrivateKey, error) {
	return ed25519.GenerateKey(rand.Reader)
}

func marshal(k xssh.PublicKey) []byte { return xssh.MarshalAuthorizedKey(k) }
