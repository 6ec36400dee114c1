package evidence

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func TestKeyPEMRoundTrip(t *testing.T) {
	dir := t.TempDir()
	priv, err := MarshalPrivateKeyPEM(vectorKey())
	if err != nil {
		t.Fatal(err)
	}
	pub, err := MarshalPublicKeyPEM(trustedKey())
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "key.pem"), priv, 0o600)
	os.WriteFile(filepath.Join(dir, "key.pub"), pub, 0o644)
	k, err := LoadSigningKey(filepath.Join(dir, "key.pem"))
	if err != nil || !k.Equal(vectorKey()) {
		t.Fatalf("LoadSigningKey = %v, %v", k, err)
	}
	p, err := LoadPublicKey(filepath.Join(dir, "key.pub"))
	if err != nil || !p.Equal(trustedKey()) {
		t.Fatalf("LoadPublicKey = %v, %v", p, err)
	}
	if !strings.HasPrefix(string(priv), "-----BEGIN PRIVATE KEY-----\n") || !strings.HasPrefix(string(pub), "-----BEGIN PUBLIC KEY-----\n") {
		t.Errorf("PEM types:\n%s%s", priv, pub)
	}
	if _, err := MarshalPrivateKeyPEM(make(ed25519.PrivateKey, 10)); err == nil {
		t.Error("MarshalPrivateKeyPEM accepted a short key")
	}
	if _, err := MarshalPublicKeyPEM(make(ed25519.PublicKey, 10)); err == nil {
		t.Error("MarshalPublicKeyPEM accepted a short key")
	}
}

func TestFingerprintIsSHA256OfPKIX(t *testing.T) {
	der, err := x509.MarshalPKIXPublicKey(trustedKey())
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(der)
	if got, want := Fingerprint(trustedKey()), "SHA256:"+hex.EncodeToString(sum[:]); got != want {
		t.Errorf("Fingerprint = %s, want %s", got, want)
	}
}

func TestLoadKeyErrors(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	ecDER, _ := x509.MarshalPKCS8PrivateKey(ec)
	ecPubDER, _ := x509.MarshalPKIXPublicKey(&ec.PublicKey)
	priv, _ := MarshalPrivateKeyPEM(vectorKey())
	pub, _ := MarshalPublicKeyPEM(trustedKey())
	enc := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Headers: map[string]string{"Proc-Type": "4,ENCRYPTED"}, Bytes: []byte{1}})

	for _, tc := range []struct {
		name string
		path string
		load func(string) error
		want string
	}{
		{"private/missing-file", filepath.Join(dir, "nope"), loadPriv, "no such file"},
		{"private/garbage", write("garbage", []byte("hello")), loadPriv, "no PEM block"},
		{"private/ecdsa", write("ec.pem", pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: ecDER})), loadPriv, "key is ECDSA, want Ed25519"},
		{"private/public-key", write("pub-as-priv.pem", pub), loadPriv, `PEM block is "PUBLIC KEY", want "PRIVATE KEY"`},
		{"private/openssh", write("id_ed25519", []byte("-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n-----END OPENSSH PRIVATE KEY-----\n")), loadPriv, "openssl genpkey"},
		{"private/sec1", write("ec-sec1.pem", []byte("-----BEGIN EC PRIVATE KEY-----\nAAAA\n-----END EC PRIVATE KEY-----\n")), loadPriv, "only Ed25519"},
		{"private/encrypted", write("enc.pem", enc), loadPriv, "encrypted"},
		{"private/two-blocks", write("two.pem", append(append([]byte{}, priv...), priv...)), loadPriv, "more than one"},
		{"private/bad-der", write("bad-der.pem", pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: []byte{0x30, 0x00}})), loadPriv, "not a PKCS#8"},
		{"private/huge", write("huge.pem", make([]byte, maxKeyFile+1)), loadPriv, "larger than"},
		{"public/ecdsa", write("ec.pub", pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: ecPubDER})), loadPub, "key is ECDSA, want Ed25519"},
		{"public/private-key", write("priv-as-pub.pem", priv), loadPub, `PEM block is "PRIVATE KEY", want "PUBLIC KEY"`},
		{"public/bad-der", write("bad.pub", pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: []byte{1, 2}})), loadPub, "not a PKIX"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.load(tc.path)
			if err == nil {
				t.Fatal("load succeeded")
			}
			if !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), tc.path) {
				t.Errorf("error %q: want it to contain %q and the path", err, tc.want)
			}
		})
	}
}

func loadPriv(p string) error { _, err := LoadSigningKey(p); return err }
func loadPub(p string) error  { _, err := LoadPublicKey(p); return err }

func TestLoadKeysFromOpenSSL(t *testing.T) {
	openssl, err := exec.LookPath("openssl")
	if err != nil {
		if os.Getenv("WARD_REQUIRE_REAL") == "1" {
			t.Fatal("openssl not found")
		}
		t.Skip("openssl not found")
	}
	dir := t.TempDir()
	key, pub := filepath.Join(dir, "key.pem"), filepath.Join(dir, "pub.pem")
	for _, args := range [][]string{
		{"genpkey", "-algorithm", "ed25519", "-out", key},
		{"pkey", "-in", key, "-pubout", "-out", pub},
	} {
		if out, err := exec.Command(openssl, args...).CombinedOutput(); err != nil {
			t.Skipf("openssl %v: %v\n%s", args, err, out)
		}
	}
	k, err := LoadSigningKey(key)
	if err != nil {
		t.Fatal(err)
	}
	p, err := LoadPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	if !p.Equal(k.Public()) {
		t.Error("openssl public key does not match its private key")
	}
	// A bundle signed with the openssl key verifies under its public key,
	// and openssl's own PEM is byte-identical to manifest.pub.
	d, err := Write(t.Context(), t.TempDir(), sampleRun(), WithSigner(k))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Verify(t.Context(), d, p); err != nil {
		t.Fatal(err)
	}
	a, _ := os.ReadFile(pub)
	b, _ := os.ReadFile(filepath.Join(d, PublicKeyFile))
	if string(a) != string(b) {
		t.Errorf("manifest.pub differs from openssl's PEM:\n%s\n%s", a, b)
	}
}
