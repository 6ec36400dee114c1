package https

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"reflect"
	"strings"
	"sync"
	"time"

	"github.com/wardsec/ward/pkg/audit"
	"github.com/wardsec/ward/pkg/device"
)

// Body limits: backups and stored files may be large, everything else is
// a small JSON object.
const (
	maxJSONBody = 1 << 20
	maxDataBody = 256 << 20
	maxUnits    = 4096
	// maxSBOM bounds the SBOM an update status carries: CycloneDX
	// documents of real firmware are a few MiB at most, and the status is
	// one JSON response held in memory on both ends.
	maxSBOM = 16 << 20
)

// Server serves any device.Device over the management API
// (docs/management-api.md), exposing exactly the capabilities the device
// has. Device makers serve their own device with it; `ward sim serve`
// serves simulated ones.
type Server struct {
	dev     device.Device
	factory func(context.Context) (device.Device, error)
	self    []device.Endpoint
	mux     *http.ServeMux

	mu    sync.Mutex
	units map[string]device.Device
}

// ServerOption configures a Server.
type ServerOption func(*Server)

// WithUnits puts the server in simulator mode: POST /v1/units makes a fresh
// device with factory, addressed at /v1/units/{id}/..., so each check runs
// on its own unit. A real device serves just itself and never uses this.
func WithUnits(factory func(context.Context) (device.Device, error)) ServerOption {
	return func(s *Server) { s.factory = factory }
}

// WithEndpoint lists the server's own listener (the management API) among
// the device's endpoints, so transport checks probe it too.
func WithEndpoint(e device.Endpoint) ServerOption {
	return func(s *Server) { s.self = append(s.self, e) }
}

// NewServer returns a server for dev (nil in simulator mode, with
// WithUnits).
func NewServer(dev device.Device, opts ...ServerOption) (*Server, error) {
	s := &Server{dev: dev, units: map[string]device.Device{}, mux: http.NewServeMux()}
	for _, o := range opts {
		o(s)
	}
	if (dev == nil) == (s.factory == nil) {
		return nil, errors.New("https: NewServer needs a device, or WithUnits and no device")
	}
	s.routes()
	return s, nil
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	s.mux.ServeHTTP(w, r)
}

// Close closes every unit made in simulator mode.
func (s *Server) Close() error {
	s.mu.Lock()
	units := s.units
	s.units = map[string]device.Device{}
	s.mu.Unlock()
	var errs []error
	for _, d := range units {
		errs = append(errs, d.Close())
	}
	return errors.Join(errs...)
}

// TLSConfig is the server side TLS the management API needs: TLS 1.3 only,
// with cert (its chain should end in the CA a target URI pins), and client
// certificates required and verified against clientCAs when it is not nil.
func TLSConfig(cert tls.Certificate, clientCAs *x509.CertPool) *tls.Config {
	cfg := &tls.Config{MinVersion: tls.VersionTLS13, Certificates: []tls.Certificate{cert}}
	if clientCAs != nil {
		cfg.ClientAuth = tls.RequireAndVerifyClientCert
		cfg.ClientCAs = clientCAs
	}
	return cfg
}

// Serve serves h over TLS on ln until ctx ends, then shuts down, giving
// requests in flight five seconds.
func Serve(ctx context.Context, ln net.Listener, h http.Handler, cfg *tls.Config) error {
	var mu sync.Mutex
	fresh := map[net.Conn]bool{} // connections that have not sent a request yet
	srv := &http.Server{Handler: h, TLSConfig: cfg, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 90 * time.Second,
		// Peers failing TLS (probes, clients without a certificate) are
		// the client's error to report, not a line on the device's stderr.
		ErrorLog:    log.New(io.Discard, "", 0),
		BaseContext: func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
		ConnState: func(c net.Conn, st http.ConnState) {
			mu.Lock()
			defer mu.Unlock()
			if st == http.StateNew {
				fresh[c] = true
			} else {
				delete(fresh, c)
			}
		}}
	// HTTP/1.1 with keep-alive: a shutdown then closes idle connections at
	// once, where HTTP/2's graceful GOAWAY waits a second for the client.
	var protos http.Protocols
	protos.SetHTTP1(true)
	srv.Protocols = &protos
	done := make(chan error, 1)
	go func() { done <- srv.ServeTLS(ln, "", "") }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	shut := make(chan error, 1)
	go func() { shut <- srv.Shutdown(sctx) }()
	// Shutdown waits for connections that never sent a request (a client
	// dialled one spare); they hold no work, so close them now.
	time.Sleep(10 * time.Millisecond)
	mu.Lock()
	for c := range fresh {
		_ = c.Close()
	}
	mu.Unlock()
	err := <-shut
	if e := <-done; !errors.Is(e, http.ErrServerClosed) && err == nil {
		err = e
	}
	return err
}

type handler func(w http.ResponseWriter, r *http.Request, d device.Device) error

// route registers h for the single device (/v1/device/...) and for units
// (/v1/units/{unit}/...).
func (s *Server) route(method, path string, h handler) {
	wrap := func(w http.ResponseWriter, r *http.Request) {
		// Records the device makes while serving this request, with no
		// source of their own, name the client (audit.WithSource).
		r = r.WithContext(audit.WithSource(r.Context(), r.RemoteAddr))
		d, err := s.deviceOf(r)
		if err == nil {
			err = h(w, r, d)
		}
		if err != nil {
			writeError(w, err)
		}
	}
	s.mux.HandleFunc(method+" /v1/device"+path, wrap)
	s.mux.HandleFunc(method+" /v1/units/{unit}"+path, wrap)
}

var errNoUnit = errors.New("no such unit")

func (s *Server) deviceOf(r *http.Request) (device.Device, error) {
	id := r.PathValue("unit")
	if id == "" {
		if s.dev == nil {
			return nil, fmt.Errorf("%w: this is a simulator: make a unit with POST /v1/units", errBadRequest)
		}
		return s.dev, nil
	}
	s.mu.Lock()
	d, ok := s.units[id]
	s.mu.Unlock()
	if !ok {
		return nil, fmt.Errorf("%w: %w %q", errBadRequest, errNoUnit, id)
	}
	return d, nil
}

func writeError(w http.ResponseWriter, err error) {
	status, body := encodeError(err)
	if errors.Is(err, errNoUnit) {
		status = http.StatusNotFound
	}
	writeJSON(w, status, body)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status, b = 500, []byte(`{"error":{"codes":[],"message":"encode response"}}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}

func writeBytes(w http.ResponseWriter, b []byte) {
	w.Header().Set("Content-Type", "application/octet-stream")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(b)
}

func noContent(w http.ResponseWriter) { w.WriteHeader(http.StatusNoContent) }

// readJSON decodes the body strictly: unknown fields and trailing data are
// refused, so a malformed request never half-applies.
func readJSON(w http.ResponseWriter, r *http.Request, v any) error {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxJSONBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("%w: body: %v", errBadRequest, err)
	}
	if dec.More() {
		return fmt.Errorf("%w: body: trailing data", errBadRequest)
	}
	return nil
}

func readBytes(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxDataBody))
	if err != nil {
		return nil, fmt.Errorf("%w: body: %v", errBadRequest, err)
	}
	return b, nil
}

// bearer is the session token of the request ("" when none: the device
// then decides, as it would for a missing session).
func bearer(r *http.Request) string {
	tok, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	return tok
}

// capOf returns d's capability C, or an error naming it as pkg/device's
// table labels it (device.Label), which the client reports.
func capOf[C any](d device.Device) (C, error) { return device.As[C](d, device.Label[C]()) }

// capsOf lists the capabilities d offers: the interfaces its type
// implements, less those it says it lacks (device.CapabilitySet), so a
// device that has an interface's methods but not the function behind them
// (an update client with no repository configured) is served without it.
func (s *Server) capsOf(d device.Device) []string {
	out := []string{}
	t := reflect.TypeOf(d)
	cs, partial := d.(device.CapabilitySet)
	for _, c := range capabilities {
		has := t.Implements(c.typ) && (!partial || cs.HasCapability(c.typ))
		if has || (c.name == "transport" && len(s.self) > 0) {
			out = append(out, c.name)
		}
	}
	return out
}

func (s *Server) routes() {
	s.mux.HandleFunc("GET /v1/service", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, serviceInfo{API: APIVersion, Units: s.factory != nil})
	})
	s.mux.HandleFunc("POST /v1/units", s.newUnit)
	s.mux.HandleFunc("DELETE /v1/units/{unit}", s.deleteUnit)
	s.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 404, errorBody{Error: struct {
			Codes      []string `json:"codes"`
			Message    string   `json:"message"`
			Capability string   `json:"capability,omitempty"`
		}{Codes: []string{}, Message: "no such resource: " + r.Method + " " + r.URL.Path}})
	})

	s.route("GET", "/identity", func(w http.ResponseWriter, r *http.Request, d device.Device) error {
		id, err := d.Identify(r.Context())
		if err != nil {
			return err
		}
		writeJSON(w, 200, id)
		return nil
	})
	s.route("GET", "/capabilities", func(w http.ResponseWriter, r *http.Request, d device.Device) error {
		writeJSON(w, 200, capsInfo{Capabilities: s.capsOf(d)})
		return nil
	})
	s.authRoutes()
	s.dataRoutes()
	s.testBuildRoutes()
	s.transportRoutes()
	s.updateRoutes()
	s.inventoryRoutes()
	s.networkRoutes()
	s.outageRoutes()
}

func (s *Server) newUnit(w http.ResponseWriter, r *http.Request) {
	if s.factory == nil {
		writeError(w, &device.UnsupportedError{Capability: "units (simulator mode)"})
		return
	}
	s.mu.Lock()
	n := len(s.units)
	s.mu.Unlock()
	if n >= maxUnits {
		writeError(w, fmt.Errorf("too many units (%d): delete some", maxUnits))
		return
	}
	d, err := s.factory(r.Context())
	if err != nil {
		writeError(w, err)
		return
	}
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	id := hex.EncodeToString(b)
	s.mu.Lock()
	s.units[id] = d
	s.mu.Unlock()
	writeJSON(w, http.StatusCreated, unitInfo{ID: id})
}

func (s *Server) deleteUnit(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("unit")
	s.mu.Lock()
	d, ok := s.units[id]
	delete(s.units, id)
	s.mu.Unlock()
	if !ok {
		writeError(w, fmt.Errorf("%w: %w %q", errBadRequest, errNoUnit, id))
		return
	}
	if err := d.Close(); err != nil {
		writeError(w, err)
		return
	}
	noContent(w)
}

func (s *Server) authRoutes() {
	s.route("POST", "/login", func(w http.ResponseWriter, r *http.Request, d device.Device) error {
		a, err := capOf[device.Authenticator](d)
		if err != nil {
			return err
		}
		var c credentials
		if err := readJSON(w, r, &c); err != nil {
			return err
		}
		tok, err := a.Login(r.Context(), device.Credentials{User: c.User, Password: c.Password, Source: c.Source, OTP: c.OTP})
		if err != nil {
			return err
		}
		writeJSON(w, 200, tokenInfo{Token: tok})
		return nil
	})
	s.route("POST", "/logout", func(w http.ResponseWriter, r *http.Request, d device.Device) error {
		a, err := capOf[device.Authenticator](d)
		if err != nil {
			return err
		}
		if err := a.Logout(r.Context(), bearer(r)); err != nil {
			return err
		}
		noContent(w)
		return nil
	})
	s.route("POST", "/break-glass", func(w http.ResponseWriter, r *http.Request, d device.Device) error {
		e, err := capOf[device.EmergencyAccess](d)
		if err != nil {
			return err
		}
		var req breakGlassReq
		if err := readJSON(w, r, &req); err != nil {
			return err
		}
		c := req.credentials
		tok, err := e.BreakGlass(r.Context(), device.Credentials{User: c.User, Password: c.Password, Source: c.Source, OTP: c.OTP}, req.Reason)
		if err != nil {
			return err
		}
		writeJSON(w, 200, tokenInfo{Token: tok})
		return nil
	})
	s.route("POST", "/operations/{op}", func(w http.ResponseWriter, r *http.Request, d device.Device) error {
		o, err := capOf[device.Operator](d)
		if err != nil {
			return err
		}
		if err := o.Perform(r.Context(), bearer(r), r.PathValue("op")); err != nil {
			return err
		}
		noContent(w)
		return nil
	})
	s.route("GET", "/activity", func(w http.ResponseWriter, r *http.Request, d device.Device) error {
		a, err := capOf[device.ActivityReviewer](d)
		if err != nil {
			return err
		}
		var from, to time.Time
		for name, t := range map[string]*time.Time{"from": &from, "to": &to} {
			if v := r.URL.Query().Get(name); v != "" {
				if *t, err = time.Parse(time.RFC3339Nano, v); err != nil {
					return fmt.Errorf("%w: %s: %v", errBadRequest, name, err)
				}
			}
		}
		rep, err := a.ReviewActivity(r.Context(), bearer(r), from, to)
		if err != nil {
			return err
		}
		writeJSON(w, 200, rep)
		return nil
	})
}

func (s *Server) dataRoutes() {
	s.route("GET", "/patients/{id}", func(w http.ResponseWriter, r *http.Request, d device.Device) error {
		p, err := capOf[device.PatientData](d)
		if err != nil {
			return err
		}
		b, err := p.ReadPatient(r.Context(), bearer(r), r.PathValue("id"))
		if err != nil {
			return err
		}
		writeBytes(w, b)
		return nil
	})
	s.route("PUT", "/patients/{id}", func(w http.ResponseWriter, r *http.Request, d device.Device) error {
		p, err := capOf[device.PatientData](d)
		if err != nil {
			return err
		}
		b, err := readBytes(w, r)
		if err != nil {
			return err
		}
		if err := p.WritePatient(r.Context(), bearer(r), r.PathValue("id"), b); err != nil {
			return err
		}
		noContent(w)
		return nil
	})
	s.route("GET", "/audit", func(w http.ResponseWriter, r *http.Request, d device.Device) error {
		a, err := capOf[device.AuditSource](d)
		if err != nil {
			return err
		}
		exp, err := a.AuditLog(r.Context())
		if err != nil {
			return err
		}
		writeJSON(w, 200, exp)
		return nil
	})
	s.route("POST", "/backups", func(w http.ResponseWriter, r *http.Request, d device.Device) error {
		b, err := capOf[device.Backupper](d)
		if err != nil {
			return err
		}
		out, err := b.CreateBackup(r.Context(), bearer(r))
		if err != nil {
			return err
		}
		writeBytes(w, out)
		return nil
	})
	s.route("POST", "/restore", func(w http.ResponseWriter, r *http.Request, d device.Device) error {
		b, err := capOf[device.Backupper](d)
		if err != nil {
			return err
		}
		in, err := readBytes(w, r)
		if err != nil {
			return err
		}
		if err := b.RestoreBackup(r.Context(), bearer(r), in); err != nil {
			return err
		}
		noContent(w)
		return nil
	})
	s.route("GET", "/config", func(w http.ResponseWriter, r *http.Request, d device.Device) error {
		c, err := capOf[device.ConfigExporter](d)
		if err != nil {
			return err
		}
		out, err := c.ExportConfig(r.Context(), bearer(r))
		if err != nil {
			return err
		}
		writeBytes(w, out)
		return nil
	})
	s.route("POST", "/decommission", func(w http.ResponseWriter, r *http.Request, d device.Device) error {
		c, err := capOf[device.Decommissioner](d)
		if err != nil {
			return err
		}
		if err := c.Decommission(r.Context(), bearer(r)); err != nil {
			return err
		}
		noContent(w)
		return nil
	})
}

// testBuildRoutes are the capabilities of test builds and simulators:
// raw storage, provisioning, key export, TOTP enrolment, clock control.
func (s *Server) testBuildRoutes() {
	s.route("GET", "/storage", func(w http.ResponseWriter, r *http.Request, d device.Device) error {
		st, err := capOf[device.RawStorage](d)
		if err != nil {
			return err
		}
		names, err := st.ListStored(r.Context())
		if err != nil {
			return err
		}
		writeJSON(w, 200, namesInfo{Names: names})
		return nil
	})
	s.route("GET", "/storage/{name...}", func(w http.ResponseWriter, r *http.Request, d device.Device) error {
		st, err := capOf[device.RawStorage](d)
		if err != nil {
			return err
		}
		b, err := st.ReadStored(r.Context(), r.PathValue("name"))
		if err != nil {
			return err
		}
		writeBytes(w, b)
		return nil
	})
	s.route("PUT", "/storage/{name...}", func(w http.ResponseWriter, r *http.Request, d device.Device) error {
		st, err := capOf[device.RawStorage](d)
		if err != nil {
			return err
		}
		b, err := readBytes(w, r)
		if err != nil {
			return err
		}
		if err := st.WriteStored(r.Context(), r.PathValue("name"), b); err != nil {
			return err
		}
		noContent(w)
		return nil
	})
	s.route("POST", "/users", func(w http.ResponseWriter, r *http.Request, d device.Device) error {
		p, err := capOf[device.Provisioner](d)
		if err != nil {
			return err
		}
		var u userReq
		if err := readJSON(w, r, &u); err != nil {
			return err
		}
		if err := p.CreateUser(r.Context(), u.User, u.Password, u.Role); err != nil {
			return err
		}
		w.WriteHeader(http.StatusCreated)
		return nil
	})
	s.route("DELETE", "/users/{user}", func(w http.ResponseWriter, r *http.Request, d device.Device) error {
		rm, err := capOf[device.AccountRemover](d)
		if err != nil {
			return err
		}
		if err := rm.DeleteUser(r.Context(), r.PathValue("user")); err != nil {
			return err
		}
		noContent(w)
		return nil
	})
	s.route("POST", "/storage-key", func(w http.ResponseWriter, r *http.Request, d device.Device) error {
		k, err := capOf[device.KeyCustodian](d)
		if err != nil {
			return err
		}
		id, key, err := k.ExportStorageKey(r.Context())
		if err != nil {
			return err
		}
		writeJSON(w, 200, keyInfo{ID: id, Key: key})
		return nil
	})
	s.route("POST", "/totp", func(w http.ResponseWriter, r *http.Request, d device.Device) error {
		m, err := capOf[device.MFAProvisioner](d)
		if err != nil {
			return err
		}
		var req totpReq
		if err := readJSON(w, r, &req); err != nil {
			return err
		}
		uri, err := m.EnrollTOTP(r.Context(), req.User)
		if err != nil {
			return err
		}
		writeJSON(w, 200, totpInfo{URI: uri})
		return nil
	})
	s.route("GET", "/clock", func(w http.ResponseWriter, r *http.Request, d device.Device) error {
		c, err := capOf[device.ClockControl](d)
		if err != nil {
			return err
		}
		t, err := c.DeviceTime(r.Context())
		if err != nil {
			return err
		}
		writeJSON(w, 200, clockInfo{Time: t})
		return nil
	})
	s.route("POST", "/clock/advance", func(w http.ResponseWriter, r *http.Request, d device.Device) error {
		c, err := capOf[device.ClockControl](d)
		if err != nil {
			return err
		}
		var req advanceReq
		if err := readJSON(w, r, &req); err != nil {
			return err
		}
		if err := c.AdvanceClock(r.Context(), time.Duration(req.Nanoseconds)); err != nil {
			return err
		}
		noContent(w)
		return nil
	})
}

func (s *Server) transportRoutes() {
	s.route("GET", "/transport/endpoints", func(w http.ResponseWriter, r *http.Request, d device.Device) error {
		eps := []device.Endpoint{}
		if t, err := capOf[device.Transport](d); err == nil {
			got, err := t.Endpoints(r.Context())
			if err != nil {
				return err
			}
			eps = append(eps, got...)
		} else if len(s.self) == 0 {
			return &device.UnsupportedError{Capability: device.Label[device.Transport]()}
		}
		writeJSON(w, 200, endpointsInfo{Endpoints: append(eps, s.self...)})
		return nil
	})
	s.route("POST", "/transport/client-certificate", func(w http.ResponseWriter, r *http.Request, d device.Device) error {
		c, err := capOf[device.ClientCertIssuer](d)
		if err != nil {
			return err
		}
		var req clientCertReq
		if err := readJSON(w, r, &req); err != nil {
			return err
		}
		cert, key, err := c.IssueClientCertificate(r.Context(), req.Name, req.NotBefore, req.NotAfter)
		if err != nil {
			return err
		}
		writeJSON(w, 200, clientCertInfo{Cert: cert, Key: key})
		return nil
	})
	s.route("GET", "/settings", func(w http.ResponseWriter, r *http.Request, d device.Device) error {
		c, err := capOf[device.ClinicalSettings](d)
		if err != nil {
			return err
		}
		set, err := c.Settings(r.Context())
		if err != nil {
			return err
		}
		writeJSON(w, 200, settingsInfo{Settings: set})
		return nil
	})
	s.route("PUT", "/log-forwarding", func(w http.ResponseWriter, r *http.Request, d device.Device) error {
		f, err := capOf[device.LogForwarder](d)
		if err != nil {
			return err
		}
		var c device.LogCollector
		if err := readJSON(w, r, &c); err != nil {
			return err
		}
		if err := f.ForwardLogs(r.Context(), bearer(r), c); err != nil {
			return err
		}
		noContent(w)
		return nil
	})
}

// updateRoutes serve firmware updates, and (update-publisher, development
// builds and simulators only) the test release pipeline and power cuts.
func (s *Server) updateRoutes() {
	s.route("GET", "/update", func(w http.ResponseWriter, r *http.Request, d device.Device) error {
		u, err := capOf[device.Updater](d)
		if err != nil {
			return err
		}
		st, err := u.UpdateStatus(r.Context())
		if err != nil {
			return err
		}
		if len(st.SBOM) > maxSBOM {
			return fmt.Errorf("https: running image's SBOM is %d bytes, over the API's %d", len(st.SBOM), maxSBOM)
		}
		writeJSON(w, 200, st)
		return nil
	})
	s.route("POST", "/update/install", func(w http.ResponseWriter, r *http.Request, d device.Device) error {
		u, err := capOf[device.Updater](d)
		if err != nil {
			return err
		}
		var req installReq
		if err := readJSON(w, r, &req); err != nil {
			return err
		}
		if err := u.InstallUpdate(r.Context(), bearer(r), req.Target); err != nil {
			return err
		}
		noContent(w)
		return nil
	})
	s.route("POST", "/update/restart", func(w http.ResponseWriter, r *http.Request, d device.Device) error {
		u, err := capOf[device.Updater](d)
		if err != nil {
			return err
		}
		if err := u.Restart(r.Context()); err != nil {
			return err
		}
		noContent(w)
		return nil
	})
	s.route("POST", "/update/releases", func(w http.ResponseWriter, r *http.Request, d device.Device) error {
		p, err := capOf[device.UpdatePublisher](d)
		if err != nil {
			return err
		}
		var req releaseReq
		if err := readJSON(w, r, &req); err != nil {
			return err
		}
		target, err := p.PublishRelease(r.Context(), device.Release{Newer: req.Newer, Signer: req.Signer, Tampered: req.Tampered,
			Expired: req.Expired, NoSBOM: req.NoSBOM, FailsHealthCheck: req.FailsHealthCheck})
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusCreated, targetInfo{Target: target})
		return nil
	})
	s.route("POST", "/update/interrupt", func(w http.ResponseWriter, r *http.Request, d device.Device) error {
		p, err := capOf[device.UpdatePublisher](d)
		if err != nil {
			return err
		}
		var req phaseReq
		if err := readJSON(w, r, &req); err != nil {
			return err
		}
		if err := p.InterruptNextUpdate(r.Context(), req.Phase); err != nil {
			return err
		}
		noContent(w)
		return nil
	})
}

// inventoryRoutes serve what asset-inventory, patch, configuration and
// encryption-at-rest checks read. provisioned-identity, patch-bulletin,
// secure-baseline and planted-data belong to test builds and simulators.
func (s *Server) inventoryRoutes() {
	s.route("GET", "/identity/session", func(w http.ResponseWriter, r *http.Request, d device.Device) error {
		q, err := capOf[device.IdentityQuerier](d)
		if err != nil {
			return err
		}
		id, err := q.QueryIdentity(r.Context(), bearer(r))
		if err != nil {
			return err
		}
		writeJSON(w, 200, id)
		return nil
	})
	s.route("GET", "/identity/provisioned", func(w http.ResponseWriter, r *http.Request, d device.Device) error {
		p, err := capOf[device.ProvisionedIdentity](d)
		if err != nil {
			return err
		}
		id, err := p.ProvisionedIdentity(r.Context())
		if err != nil {
			return err
		}
		writeJSON(w, 200, id)
		return nil
	})
	s.route("GET", "/ports", func(w http.ResponseWriter, r *http.Request, d device.Device) error {
		p, err := capOf[device.PortLister](d)
		if err != nil {
			return err
		}
		ports, err := p.ListeningPorts(r.Context())
		if err != nil {
			return err
		}
		writeJSON(w, 200, portsInfo{Ports: nonNil(ports)})
		return nil
	})
	s.route("GET", "/ports/documented", func(w http.ResponseWriter, r *http.Request, d device.Device) error {
		p, err := capOf[device.PortLister](d)
		if err != nil {
			return err
		}
		ports, err := p.DocumentedPorts(r.Context())
		if err != nil {
			return err
		}
		writeJSON(w, 200, portsInfo{Ports: nonNil(ports)})
		return nil
	})
	s.route("GET", "/patches", func(w http.ResponseWriter, r *http.Request, d device.Device) error {
		p, err := capOf[device.PatchReporter](d)
		if err != nil {
			return err
		}
		ids, err := p.InstalledPatches(r.Context(), bearer(r))
		if err != nil {
			return err
		}
		writeJSON(w, 200, patchesInfo{Patches: nonNil(ids)})
		return nil
	})
	s.route("GET", "/patches/released", func(w http.ResponseWriter, r *http.Request, d device.Device) error {
		p, err := capOf[device.PatchBulletin](d)
		if err != nil {
			return err
		}
		rel, err := p.ReleasedPatches(r.Context())
		if err != nil {
			return err
		}
		out := bulletinInfo{Patches: []releasedPatch{}}
		for _, p := range rel {
			out.Patches = append(out.Patches, releasedPatch{ID: p.ID, Released: p.Released, Criticality: p.Criticality})
		}
		writeJSON(w, 200, out)
		return nil
	})
	s.route("GET", "/security-settings", func(w http.ResponseWriter, r *http.Request, d device.Device) error {
		c, err := capOf[device.SecurityConfig](d)
		if err != nil {
			return err
		}
		set, err := c.SecuritySettings(r.Context(), bearer(r))
		if err != nil {
			return err
		}
		writeJSON(w, 200, settingsInfo{Settings: set})
		return nil
	})
	s.route("PUT", "/security-settings/{name}", func(w http.ResponseWriter, r *http.Request, d device.Device) error {
		c, err := capOf[device.SecurityConfig](d)
		if err != nil {
			return err
		}
		var req valueReq
		if err := readJSON(w, r, &req); err != nil {
			return err
		}
		if err := c.ChangeSecuritySetting(r.Context(), bearer(r), r.PathValue("name"), req.Value); err != nil {
			return err
		}
		noContent(w)
		return nil
	})
	s.route("POST", "/security-settings/reset", func(w http.ResponseWriter, r *http.Request, d device.Device) error {
		c, err := capOf[device.SecurityConfig](d)
		if err != nil {
			return err
		}
		if err := c.ResetSecuritySettings(r.Context(), bearer(r)); err != nil {
			return err
		}
		noContent(w)
		return nil
	})
	s.route("GET", "/security-baseline", func(w http.ResponseWriter, r *http.Request, d device.Device) error {
		b, err := capOf[device.SecureBaseline](d)
		if err != nil {
			return err
		}
		set, err := b.SecureBaseline(r.Context())
		if err != nil {
			return err
		}
		writeJSON(w, 200, settingsInfo{Settings: set})
		return nil
	})
	s.route("GET", "/planted", func(w http.ResponseWriter, r *http.Request, d device.Device) error {
		p, err := capOf[device.PlantedData](d)
		if err != nil {
			return err
		}
		vals, err := p.PlantedValues(r.Context())
		if err != nil {
			return err
		}
		writeJSON(w, 200, valuesInfo{Values: nonNil(vals)})
		return nil
	})
	s.route("GET", "/host-config", func(w http.ResponseWriter, r *http.Request, d device.Device) error {
		h, err := capOf[device.HostConfig](d)
		if err != nil {
			return err
		}
		f, err := h.HostFacts(r.Context())
		if err != nil {
			return err
		}
		writeJSON(w, 200, f)
		return nil
	})
}

// nonNil makes an empty list [] on the wire, not null.
func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// networkRoutes serve device.Network: simulators and test builds on a test
// network only (it makes the device send traffic bursts and answers probes
// from the modelled site zones).
func (s *Server) networkRoutes() {
	s.route("POST", "/network/probe", func(w http.ResponseWriter, r *http.Request, d device.Device) error {
		n, err := capOf[device.Network](d)
		if err != nil {
			return err
		}
		var req probeReq
		if err := readJSON(w, r, &req); err != nil {
			return err
		}
		res, err := n.ProbeFrom(r.Context(), req.Zone, req.Proto, req.Port)
		if err != nil {
			return err
		}
		writeJSON(w, 200, probeInfo{Reachable: res.Reachable, Detail: res.Detail})
		return nil
	})
	s.route("POST", "/network/connect", func(w http.ResponseWriter, r *http.Request, d device.Device) error {
		n, err := capOf[device.Network](d)
		if err != nil {
			return err
		}
		var req connectReq
		if err := readJSON(w, r, &req); err != nil {
			return err
		}
		if err := n.Connect(r.Context(), req.Peer, req.Port); err != nil {
			return err
		}
		noContent(w)
		return nil
	})
	ports := func(documented bool) handler {
		return func(w http.ResponseWriter, r *http.Request, d device.Device) error {
			n, err := capOf[device.Network](d)
			if err != nil {
				return err
			}
			list := n.ListeningPorts
			if documented {
				list = n.DocumentedPorts
			}
			got, err := list(r.Context())
			if err != nil {
				return err
			}
			out := netPortsInfo{Ports: []netPort{}}
			for _, p := range got {
				out.Ports = append(out.Ports, netPort{Proto: p.Proto, Port: p.Port, Service: p.Service})
			}
			writeJSON(w, 200, out)
			return nil
		}
	}
	s.route("GET", "/network/ports", ports(false))
	s.route("GET", "/network/ports/documented", ports(true))
	s.route("POST", "/network/traffic", func(w http.ResponseWriter, r *http.Request, d device.Device) error {
		n, err := capOf[device.Network](d)
		if err != nil {
			return err
		}
		var req trafficReq
		if err := readJSON(w, r, &req); err != nil {
			return err
		}
		if err := n.InjectTraffic(r.Context(), req.Flows); err != nil {
			return err
		}
		noContent(w)
		return nil
	})
	s.route("GET", "/network/events", func(w http.ResponseWriter, r *http.Request, d device.Device) error {
		n, err := capOf[device.Network](d)
		if err != nil {
			return err
		}
		evs, err := n.NetworkEvents(r.Context())
		if err != nil {
			return err
		}
		out := netEventsInfo{Events: []netEvent{}}
		for _, e := range evs {
			out.Events = append(out.Events, netEvent{Time: e.Time, Kind: e.Kind, Peer: e.Peer, Detail: e.Detail, Notified: e.Notified})
		}
		writeJSON(w, 200, out)
		return nil
	})
	s.route("GET", "/network/quarantine", func(w http.ResponseWriter, r *http.Request, d device.Device) error {
		n, err := capOf[device.Network](d)
		if err != nil {
			return err
		}
		q, err := n.Quarantine(r.Context())
		if err != nil {
			return err
		}
		writeJSON(w, 200, quarantineInfo{Device: q.Device, Segment: q.Segment})
		return nil
	})
}
