package serve_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wardsec/ward/pkg/device"
	"github.com/wardsec/ward/pkg/hl7"
	"github.com/wardsec/ward/pkg/sim/serve"
)

// api is an outside HL7 engine's view of the management API: plain HTTPS
// and JSON, trusting the service's CA, no Ward driver.
type api struct {
	t    *testing.T
	base string
	c    *http.Client
}

func newAPI(t *testing.T, svc *serve.Service) *api {
	roots := x509.NewCertPool()
	require.True(t, roots.AppendCertsFromPEM(svc.CA))
	return &api{t: t, base: "https://" + svc.Addr, c: &http.Client{Timeout: 10 * time.Second,
		Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots}}}}
}

func (a *api) do(method, path string, body, out any) int {
	a.t.Helper()
	var rd *bytes.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	} else {
		rd = bytes.NewReader(nil)
	}
	req, err := http.NewRequestWithContext(a.t.Context(), method, a.base+path, rd)
	require.NoError(a.t, err)
	res, err := a.c.Do(req)
	require.NoError(a.t, err)
	defer res.Body.Close()
	if out != nil && res.StatusCode/100 == 2 {
		require.NoError(a.t, json.NewDecoder(res.Body).Decode(out))
	}
	return res.StatusCode
}

// feedOf reads a device's HL7 feed endpoint and a fresh client
// certificate from the API under base ("/v1/device" or "/v1/units/ID").
func (a *api) feedOf(base string) (device.Endpoint, tls.Certificate) {
	a.t.Helper()
	var eps struct{ Endpoints []device.Endpoint }
	require.Equal(a.t, 200, a.do("GET", base+"/transport/endpoints", nil, &eps), base)
	var feed device.Endpoint
	for _, e := range eps.Endpoints {
		if e.Name == "hl7-feed" {
			feed = e
		}
	}
	require.NotEmpty(a.t, feed.Address, "no hl7-feed endpoint under %s", base)
	var cc struct {
		Cert []byte `json:"cert_pem"`
		Key  []byte `json:"key_pem"`
	}
	require.Equal(a.t, 200, a.do("POST", base+"/transport/client-certificate", map[string]string{"name": "hl7-engine"}, &cc), base)
	pair, err := tls.X509KeyPair(cc.Cert, cc.Key)
	require.NoError(a.t, err)
	return feed, pair
}

// order sends one infusion order over the feed, as an HL7 engine would,
// and returns the acknowledgement.
func order(t *testing.T, feed device.Endpoint, cert tls.Certificate) *hl7.Message {
	t.Helper()
	roots := x509.NewCertPool()
	require.True(t, roots.AppendCertsFromPEM(feed.CA))
	c, err := tls.Dial("tcp", feed.Address, &tls.Config{RootCAs: roots, ServerName: "127.0.0.1", Certificates: []tls.Certificate{cert}})
	require.NoError(t, err)
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	msg := hl7.NewRGV(hl7.Header{SendingApp: "ENGINE", Time: time.Now(), ControlID: "ORD-1"},
		hl7.Program{PatientID: "MRN-1", OrderID: "O-1", RateMLH: "20"})
	require.NoError(t, hl7.WriteFrame(c, msg.Encode()))
	f, err := hl7.NewReader(c, 0).ReadFrame()
	require.NoError(t, err)
	ack, err := hl7.Parse(f)
	require.NoError(t, err)
	return ack
}

// TestOutsidePeerReachesEveryFeed: an HL7 engine that knows only the
// management API gets the CA and a client certificate for the feed
// `ward sim serve` prints (the resident unit, at /v1/device, in units mode
// too) and for any unit it makes, and exchanges an order over mutual TLS.
func TestOutsidePeerReachesEveryFeed(t *testing.T) {
	for _, single := range []bool{false, true} {
		t.Run(fmt.Sprint("single-unit=", single), func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			svc, err := serve.Start(ctx, serve.Config{Profile: "infusion-pump", SingleUnit: single})
			require.NoError(t, err)
			a := newAPI(t, svc)

			feed, cert := a.feedOf("/v1/device")
			assert.Equal(t, svc.Feed.Address, feed.Address, "the printed feed is the one offered at /v1/device")
			assert.Equal(t, svc.Feed.CA, feed.CA)
			ack := order(t, feed, cert)
			assert.Equal(t, "RRG^O16", ack.Type())
			assert.Equal(t, hl7.AA, ack.Get("MSA-1"), "%s", ack.Encode())

			if !single {
				var u struct{ ID string }
				require.Equal(t, 201, a.do("POST", "/v1/units", nil, &u))
				ufeed, ucert := a.feedOf("/v1/units/" + u.ID)
				assert.NotEqual(t, feed.Address, ufeed.Address, "each unit has its own feed")
				assert.Equal(t, hl7.AA, order(t, ufeed, ucert).Get("MSA-1"))
				// One unit's certificate is no key to another's feed.
				roots := x509.NewCertPool()
				roots.AppendCertsFromPEM(ufeed.CA)
				c, err := tls.Dial("tcp", ufeed.Address, &tls.Config{RootCAs: roots, ServerName: "127.0.0.1", Certificates: []tls.Certificate{cert}})
				if err == nil {
					_ = c.SetDeadline(time.Now().Add(5 * time.Second))
					_, err = hl7.NewReader(c, 0).ReadFrame()
					c.Close()
				}
				assert.Error(t, err, "the resident's client certificate opened a unit's feed")
				// The resident offers its feed only: nothing else of it.
				assert.Equal(t, 400, a.do("GET", "/v1/device/settings", nil, nil), "units mode: make a unit")
			}
			cancel()
			assert.NoError(t, svc.Wait())
		})
	}
}
