package netprobe

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"errors"

	xssh "golang.org/x/crypto/ssh"
)

var errDenied = errors.New("denied")

func mustB64(s string) []byte { return []byte(base64.StdEncoding.EncodeToString([]byte(s))) }

func ed25519Key() (ed25519.PublicKey, xssh.Signer, error) {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	s, err := xssh.NewSignerFromKey(priv)
	return pub, s, err
}
