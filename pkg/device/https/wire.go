package https

import (
	"encoding/json"
	"errors"
	"reflect"
	"time"

	"github.com/wardsec/ward/pkg/device"
)

// APIVersion names the management API this package speaks
// (docs/management-api.md).
const APIVersion = "ward-management/1"

// capabilities are pkg/device's capabilities that the API carries, under
// their wire names (device.Capability.Wire): the table in pkg/device names
// them. Adding a capability is a row there with a wire name, one handler
// (server.go) and one client method (client.go). The driver's
// *NetworkDevice implements "network" (its port methods differ from
// "port-lister"'s), see client.go.
var capabilities = wireCapabilities()

type wireCapability struct {
	name string
	typ  reflect.Type
}

func wireCapabilities() []wireCapability {
	var out []wireCapability
	for _, c := range device.Capabilities() {
		if c.Wire != "" {
			out = append(out, wireCapability{c.Wire, c.Type})
		}
	}
	return out
}

// Capabilities lists the capability names of the API, in order.
func Capabilities() []string {
	out := make([]string, len(capabilities))
	for i, c := range capabilities {
		out[i] = c.name
	}
	return out
}

// Error codes: each names one pkg/device sentinel error. An error response
// lists every code its error matches, so errors.Is works as it did on the
// device (a missing second factor is also a refusal).
var errorCodes = []struct {
	code   string
	err    error
	status int
}{
	{"unsupported", device.ErrUnsupported, 501},
	{"unauthenticated", device.ErrUnauthenticated, 401},
	{"reauth_required", device.ErrReauthRequired, 403},
	{"second_factor_required", device.ErrSecondFactorRequired, 403},
	{"denied", device.ErrDenied, 403},
	{"integrity", device.ErrIntegrity, 422},
	{"key_destroyed", device.ErrKeyDestroyed, 410},
	{"update_refused", device.ErrUpdateRefused, 409},
	{"power_loss", device.ErrPowerLoss, 503},
	{"blocked", device.ErrBlocked, 403},
	{"bad_request", errBadRequest, 400},
}

var errBadRequest = errors.New("bad request")

// errorBody is every error response's body.
type errorBody struct {
	Error struct {
		Codes      []string `json:"codes"`
		Message    string   `json:"message"`
		Capability string   `json:"capability,omitempty"`
	} `json:"error"`
}

// encodeError picks the status and codes for err.
func encodeError(err error) (int, errorBody) {
	var b errorBody
	b.Error.Message = err.Error()
	status := 500
	for _, c := range errorCodes {
		if errors.Is(err, c.err) {
			if status == 500 {
				status = c.status
			}
			b.Error.Codes = append(b.Error.Codes, c.code)
		}
	}
	var ue *device.UnsupportedError
	if errors.As(err, &ue) {
		b.Error.Capability = ue.Capability
	}
	if b.Error.Codes == nil {
		b.Error.Codes = []string{}
	}
	return status, b
}

// RemoteError is an error the device reported through the API. It matches
// the pkg/device sentinel errors its codes name.
type RemoteError struct {
	Status  int
	Codes   []string
	Message string
}

func (e *RemoteError) Error() string { return e.Message }

// Is matches the sentinels named by the error's codes.
func (e *RemoteError) Is(target error) bool {
	for _, code := range e.Codes {
		for _, c := range errorCodes {
			if c.code == code && c.err == target {
				return true
			}
		}
	}
	return false
}

func decodeError(status int, body []byte) error {
	var b errorBody
	if err := json.Unmarshal(body, &b); err != nil || b.Error.Message == "" {
		msg := string(body)
		if len(msg) > 200 {
			msg = msg[:200] + "…"
		}
		return &RemoteError{Status: status, Message: "device answered HTTP " + itoa(status) + ": " + msg}
	}
	for _, c := range b.Error.Codes {
		if c == "unsupported" {
			name := b.Error.Capability
			if name == "" {
				name = b.Error.Message
			}
			return &device.UnsupportedError{Capability: name}
		}
	}
	msg := b.Error.Message
	if len(msg) > maxErrorMessage {
		msg = msg[:maxErrorMessage] + "…"
	}
	return &RemoteError{Status: status, Codes: b.Error.Codes, Message: msg}
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

// Request and response bodies.
type (
	serviceInfo struct {
		API   string `json:"api"`
		Units bool   `json:"units"` // simulator mode: POST /v1/units makes a fresh unit
	}
	unitInfo struct {
		ID string `json:"id"`
	}
	capsInfo struct {
		Capabilities []string `json:"capabilities"`
	}
	credentials struct {
		User     string `json:"user"`
		Password string `json:"password"`
		Source   string `json:"source,omitempty"`
		OTP      string `json:"otp,omitempty"`
	}
	tokenInfo struct {
		Token string `json:"token"`
	}
	breakGlassReq struct {
		credentials
		Reason string `json:"reason"`
	}
	userReq struct {
		User     string `json:"user"`
		Password string `json:"password"`
		Role     string `json:"role"`
	}
	keyInfo struct {
		ID  string `json:"id"`
		Key []byte `json:"key"`
	}
	totpReq struct {
		User string `json:"user"`
	}
	totpInfo struct {
		URI string `json:"otpauth_uri"`
	}
	clockInfo struct {
		Time time.Time `json:"time"`
	}
	advanceReq struct {
		Nanoseconds int64 `json:"nanoseconds"`
	}
	namesInfo struct {
		Names []string `json:"names"`
	}
	endpointsInfo struct {
		Endpoints []device.Endpoint `json:"endpoints"`
	}
	clientCertReq struct {
		Name      string    `json:"name"`
		NotBefore time.Time `json:"not_before"`
		NotAfter  time.Time `json:"not_after"`
	}
	clientCertInfo struct {
		Cert []byte `json:"cert_pem"`
		Key  []byte `json:"key_pem"`
	}
	settingsInfo struct {
		Settings map[string]string `json:"settings"`
	}
	installReq struct {
		Target string `json:"target"`
	}
	releaseReq struct {
		Newer            bool   `json:"newer"`
		Signer           string `json:"signer"`
		Tampered         bool   `json:"tampered"`
		Expired          bool   `json:"expired"`
		NoSBOM           bool   `json:"no_sbom"`
		FailsHealthCheck bool   `json:"fails_health_check"`
	}
	targetInfo struct {
		Target string `json:"target"`
	}
	phaseReq struct {
		Phase string `json:"phase"`
	}
	valuesInfo struct {
		Values []string `json:"values"`
	}
	portsInfo struct {
		Ports []device.ListeningPort `json:"ports"`
	}
	patchesInfo struct {
		Patches []string `json:"patches"`
	}
	releasedPatch struct {
		ID          string    `json:"id"`
		Released    time.Time `json:"released"`
		Criticality string    `json:"criticality"`
	}
	bulletinInfo struct {
		Patches []releasedPatch `json:"patches"`
	}
	valueReq struct {
		Value string `json:"value"`
	}
	probeReq struct {
		Zone  string `json:"zone"`
		Proto string `json:"proto"`
		Port  int    `json:"port"`
	}
	probeInfo struct {
		Reachable bool   `json:"reachable"`
		Detail    string `json:"detail"`
	}
	connectReq struct {
		Peer string `json:"peer"`
		Port int    `json:"port"`
	}
	netPort struct {
		Proto   string `json:"proto"`
		Port    int    `json:"port"`
		Service string `json:"service"`
	}
	netPortsInfo struct {
		Ports []netPort `json:"ports"`
	}
	trafficReq struct {
		Flows int `json:"flows"`
	}
	netEvent struct {
		Time     time.Time `json:"time"`
		Kind     string    `json:"kind"`
		Peer     string    `json:"peer,omitempty"`
		Detail   string    `json:"detail,omitempty"`
		Notified time.Time `json:"notified"` // zero: not sent
	}
	netEventsInfo struct {
		Events []netEvent `json:"events"`
	}
	quarantineInfo struct {
		Device  bool `json:"device"`
		Segment bool `json:"segment"`
	}
)
