package webauthnfactor

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/protocol/webauthncbor"
	"github.com/go-webauthn/webauthn/protocol/webauthncose"
	"github.com/go-webauthn/webauthn/webauthn"

	"github.com/wardsec/ward/pkg/access"
	"github.com/wardsec/ward/pkg/mfa"
)

const (
	rpID   = "pump.local"
	origin = "https://pump.local"
)

var b64 = base64.RawURLEncoding

// authenticator is a software security key: a P-256 key pair and a
// signature counter, producing the JSON a browser would return.
type authenticator struct {
	t     testing.TB
	key   *ecdsa.PrivateKey
	id    []byte
	count uint32
}

func newAuthenticator(t testing.TB) *authenticator {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	id := make([]byte, 16)
	_, _ = rand.Read(id)
	return &authenticator{t: t, key: k, id: id}
}

// credential is what registration would have stored.
func (a *authenticator) credential() webauthn.Credential {
	pub := webauthncose.EC2PublicKeyData{
		PublicKeyData: webauthncose.PublicKeyData{KeyType: int64(webauthncose.EllipticKey), Algorithm: int64(webauthncose.AlgES256)},
		Curve:         1, // P-256
		XCoord:        a.key.X.FillBytes(make([]byte, 32)),
		YCoord:        a.key.Y.FillBytes(make([]byte, 32)),
	}
	cose, err := webauthncbor.Marshal(pub)
	if err != nil {
		a.t.Fatal(err)
	}
	return webauthn.Credential{ID: a.id, PublicKey: cose, AttestationType: "none",
		Flags: webauthn.CredentialFlags{UserPresent: true}}
}

// assert answers the challenge in opts as a browser would, for origin.
func (a *authenticator) assert(opts *protocol.CredentialAssertion, origin string, handle []byte) []byte {
	a.count++
	client, _ := json.Marshal(map[string]any{
		"type": "webauthn.get", "challenge": opts.Response.Challenge.String(), "origin": origin, "crossOrigin": false,
	})
	rp := sha256.Sum256([]byte(opts.Response.RelyingPartyID))
	authData := append(rp[:], byte(protocol.FlagUserPresent|protocol.FlagUserVerified))
	authData = binary.BigEndian.AppendUint32(authData, a.count)
	clientHash := sha256.Sum256(client)
	digest := sha256.Sum256(append(append([]byte{}, authData...), clientHash[:]...))
	sig, err := ecdsa.SignASN1(rand.Reader, a.key, digest[:])
	if err != nil {
		a.t.Fatal(err)
	}
	out, _ := json.Marshal(map[string]any{
		"id": b64.EncodeToString(a.id), "rawId": b64.EncodeToString(a.id), "type": "public-key",
		"response": map[string]string{
			"clientDataJSON": b64.EncodeToString(client), "authenticatorData": b64.EncodeToString(authData),
			"signature": b64.EncodeToString(sig), "userHandle": b64.EncodeToString(handle),
		},
	})
	return out
}

type fixture struct {
	f     *Factor
	store *MemStore
	key   *authenticator
	now   time.Time
}

func newFixture(t *testing.T) *fixture {
	w, err := webauthn.New(&webauthn.Config{RPID: rpID, RPDisplayName: "SIM-IP-100 infusion pump", RPOrigins: []string{origin}})
	if err != nil {
		t.Fatal(err)
	}
	fx := &fixture{store: NewMemStore(), key: newAuthenticator(t), now: time.Date(2025, 3, 14, 9, 30, 0, 0, time.UTC)}
	fx.store.Add("bo.biomed", fx.key.credential())
	fx.f, err = New(w, fx.store, WithClock(func() time.Time { return fx.now }))
	if err != nil {
		t.Fatal(err)
	}
	return fx
}

func (fx *fixture) proof(t *testing.T, origin string) []byte {
	opts, err := fx.f.Begin(t.Context(), "bo.biomed")
	if err != nil {
		t.Fatal(err)
	}
	handle, _, _ := fx.store.Credentials(t.Context(), "bo.biomed")
	return fx.key.assert(opts, origin, handle)
}

func TestSecurityKeyLogin(t *testing.T) {
	fx := newFixture(t)
	if err := fx.f.Verify(t.Context(), "bo.biomed", fx.proof(t, origin)); err != nil {
		t.Fatal(err)
	}
	_, creds, _ := fx.store.Credentials(t.Context(), "bo.biomed")
	if creds[0].Authenticator.SignCount != 1 {
		t.Fatalf("sign count not stored: %+v", creds[0].Authenticator)
	}
}

func TestReplayedAssertionRefused(t *testing.T) {
	fx := newFixture(t)
	p := fx.proof(t, origin)
	if err := fx.f.Verify(t.Context(), "bo.biomed", p); err != nil {
		t.Fatal(err)
	}
	if err := fx.f.Verify(t.Context(), "bo.biomed", p); !errors.Is(err, ErrNoChallenge) {
		t.Fatalf("replay: %v", err)
	}
	// Even with a fresh challenge outstanding, the old answer is wrong.
	if _, err := fx.f.Begin(t.Context(), "bo.biomed"); err != nil {
		t.Fatal(err)
	}
	if err := fx.f.Verify(t.Context(), "bo.biomed", p); err == nil {
		t.Fatal("old assertion accepted for a new challenge")
	}
}

func TestPhishingOriginRefused(t *testing.T) {
	fx := newFixture(t)
	if err := fx.f.Verify(t.Context(), "bo.biomed", fx.proof(t, "https://pump.local.evil.example")); err == nil {
		t.Fatal("assertion made for another origin accepted")
	}
}

func TestClonedAuthenticatorRefused(t *testing.T) {
	fx := newFixture(t)
	if err := fx.f.Verify(t.Context(), "bo.biomed", fx.proof(t, origin)); err != nil {
		t.Fatal(err)
	}
	fx.key.count = 0 // the clone's counter lags behind
	if err := fx.f.Verify(t.Context(), "bo.biomed", fx.proof(t, origin)); !errors.Is(err, ErrCloned) {
		t.Fatalf("got %v", err)
	}
}

func TestExpiredChallengeRefused(t *testing.T) {
	fx := newFixture(t)
	p := fx.proof(t, origin)
	fx.now = fx.now.Add(3 * time.Minute)
	if err := fx.f.Verify(t.Context(), "bo.biomed", p); !errors.Is(err, ErrNoChallenge) {
		t.Fatalf("got %v", err)
	}
}

func TestOtherUsersKeyRefused(t *testing.T) {
	fx := newFixture(t)
	other := newAuthenticator(t)
	fx.store.Add("kim.lee", other.credential())
	opts, _ := fx.f.Begin(t.Context(), "bo.biomed")
	handle, _, _ := fx.store.Credentials(t.Context(), "bo.biomed")
	if err := fx.f.Verify(t.Context(), "bo.biomed", other.assert(opts, origin, handle)); err == nil {
		t.Fatal("another user's key accepted")
	}
}

func TestWebAuthnAsSecondFactorInVerifier(t *testing.T) {
	fx := newFixture(t)
	ctx := context.Background()
	v, err := mfa.New(mfa.NewMemStore(), mfa.WithFactor(fx.f), mfa.WithClock(func() time.Time { return fx.now }))
	if err != nil {
		t.Fatal(err)
	}
	if err := v.CreateUser(ctx, "factory", "bo.biomed", access.Biomed, "violet kettle mirror 42"); err != nil {
		t.Fatal(err)
	}
	s, err := v.Login(ctx, mfa.Credentials{User: "bo.biomed", Password: "violet kettle mirror 42",
		Proofs: map[string][]byte{Name: fx.proof(t, origin)}})
	if err != nil || s.Level != mfa.AAL2 || s.Factors[1] != Name {
		t.Fatalf("%+v %v", s, err)
	}
	fx.now = fx.now.Add(time.Minute)
	_, err = v.Login(ctx, mfa.Credentials{User: "bo.biomed", Password: "violet kettle mirror 42",
		Proofs: map[string][]byte{Name: []byte(`{"id":"garbage"}`)}})
	if !errors.Is(err, mfa.ErrDenied) {
		t.Fatalf("got %v", err)
	}
}
