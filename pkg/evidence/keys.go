package evidence

import (
	"bytes"
	"crypto/ed25519"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"os"
)

// PEM block types of the key files.
const (
	pemPrivateKey = "PRIVATE KEY"
	pemPublicKey  = "PUBLIC KEY"
)

// maxKeyFile bounds how much of a key file is read.
const maxKeyFile = 64 << 10

// LoadSigningKey reads an Ed25519 private key from a PKCS#8 PEM file
// ("-----BEGIN PRIVATE KEY-----"), as written by MarshalPrivateKeyPEM or
// `openssl genpkey -algorithm ed25519`.
func LoadSigningKey(path string) (ed25519.PrivateKey, error) {
	data, err := readKeyFile(path)
	if err != nil {
		return nil, err
	}
	key, err := parsePrivateKeyPEM(data)
	if err != nil {
		return nil, fmt.Errorf("signing key %s: %w", path, err)
	}
	return key, nil
}

// LoadPublicKey reads an Ed25519 public key from a PKIX PEM file
// ("-----BEGIN PUBLIC KEY-----"), such as a bundle's manifest.pub or the
// output of `openssl pkey -pubout`.
func LoadPublicKey(path string) (ed25519.PublicKey, error) {
	data, err := readKeyFile(path)
	if err != nil {
		return nil, err
	}
	key, err := parsePublicKeyPEM(data)
	if err != nil {
		return nil, fmt.Errorf("public key %s: %w", path, err)
	}
	return key, nil
}

// MarshalPrivateKeyPEM encodes key as PKCS#8 PEM ("PRIVATE KEY").
func MarshalPrivateKeyPEM(key ed25519.PrivateKey) ([]byte, error) {
	if len(key) != ed25519.PrivateKeySize {
		return nil, fmt.Errorf("evidence: Ed25519 private key is %d bytes, want %d", len(key), ed25519.PrivateKeySize)
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, fmt.Errorf("evidence: encoding private key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: pemPrivateKey, Bytes: der}), nil
}

// MarshalPublicKeyPEM encodes pub as PKIX PEM ("PUBLIC KEY"), the content of
// manifest.pub.
func MarshalPublicKeyPEM(pub ed25519.PublicKey) ([]byte, error) {
	if len(pub) != ed25519.PublicKeySize {
		return nil, fmt.Errorf("evidence: Ed25519 public key is %d bytes, want %d", len(pub), ed25519.PublicKeySize)
	}
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return nil, fmt.Errorf("evidence: encoding public key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: pemPublicKey, Bytes: der}), nil
}

func readKeyFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err // *PathError names the file
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxKeyFile+1))
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	if len(data) > maxKeyFile {
		return nil, fmt.Errorf("%s: larger than %d bytes, not a key file", path, maxKeyFile)
	}
	return data, nil
}

// decodeOnePEM returns the only PEM block in data, which must have type want.
func decodeOnePEM(data []byte, want string) (*pem.Block, error) {
	block, rest := pem.Decode(data)
	if block == nil {
		return nil, fmt.Errorf("no PEM block found, want %q", want)
	}
	if block.Type != want {
		hint := ""
		switch block.Type {
		case "OPENSSH PRIVATE KEY":
			hint = " (an OpenSSH key; Ward needs PKCS#8: `openssl genpkey -algorithm ed25519`)"
		case "PRIVATE KEY", "PUBLIC KEY":
		default:
			hint = " (only Ed25519 keys in PKCS#8/PKIX form are supported)"
		}
		return nil, fmt.Errorf("PEM block is %q, want %q%s", block.Type, want, hint)
	}
	if len(block.Headers) != 0 {
		return nil, errors.New("PEM block has headers (encrypted keys are not supported)")
	}
	if next, _ := pem.Decode(rest); next != nil {
		return nil, errors.New("more than one PEM block")
	}
	return block, nil
}

func parsePrivateKeyPEM(data []byte) (ed25519.PrivateKey, error) {
	block, err := decodeOnePEM(data, pemPrivateKey)
	if err != nil {
		return nil, err
	}
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("not a PKCS#8 private key: %w", err)
	}
	key, ok := k.(ed25519.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("key is %s, want Ed25519", keyKind(k))
	}
	return key, nil
}

func parsePublicKeyPEM(data []byte) (ed25519.PublicKey, error) {
	block, err := decodeOnePEM(data, pemPublicKey)
	if err != nil {
		return nil, err
	}
	k, err := x509.ParsePKIXPublicKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("not a PKIX public key: %w", err)
	}
	key, ok := k.(ed25519.PublicKey)
	if !ok {
		return nil, fmt.Errorf("key is %s, want Ed25519", keyKind(k))
	}
	return key, nil
}

// parseCanonicalPublicKey parses manifest.pub, which must be exactly what
// MarshalPublicKeyPEM writes, so that every byte of the file matters.
func parseCanonicalPublicKey(data []byte) (ed25519.PublicKey, error) {
	key, err := parsePublicKeyPEM(data)
	if err != nil {
		return nil, err
	}
	canon, err := MarshalPublicKeyPEM(key)
	if err != nil {
		return nil, err
	}
	if !bytes.Equal(canon, data) {
		return nil, errors.New("not in canonical form (one PEM block, 64-column base64, final newline)")
	}
	return key, nil
}

func keyKind(k any) string {
	s := fmt.Sprintf("%T", k)
	switch s {
	case "*rsa.PrivateKey", "*rsa.PublicKey":
		return "RSA"
	case "*ecdsa.PrivateKey", "*ecdsa.PublicKey":
		return "ECDSA"
	case "*ecdh.PrivateKey", "*ecdh.PublicKey":
		return "X25519/ECDH"
	}
	return s
}
