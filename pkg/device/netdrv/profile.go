package netdrv

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"

	"github.com/wardsec/ward/pkg/device"
	"github.com/wardsec/ward/pkg/netprobe"
)

// maxProfile bounds a profile file: it is an input Ward does not trust.
const maxProfile = 1 << 20

// maxProfileCredentials bounds the credentials a profile may add.
const maxProfileCredentials = 64

// Profile describes a device for the net driver: what its maker
// documents and what to try. Every field is optional.
type Profile struct {
	// DocumentedPorts are the ports the device's documentation (its MDS2
	// form) says it opens.
	DocumentedPorts []device.ListeningPort `json:"documented_ports"`
	// UDPPorts are probed with SNMP (v1/v2c, community "public").
	UDPPorts []int `json:"udp_ports"`
	// Credentials are tried after the built-in defaults: the vendor's
	// published service passwords for this model.
	Credentials []netprobe.Credential `json:"credentials"`
	// ServerName is the name the device's certificates must carry
	// (default: the host of the target URI).
	ServerName string `json:"server_name"`
}

// ErrProfile reports a profile that does not parse or validate.
var ErrProfile = errors.New("net profile")

// ParseProfile reads a JSON profile; unknown fields, trailing data and
// out-of-range values are refused.
func ParseProfile(b []byte) (*Profile, error) {
	if len(b) > maxProfile {
		return nil, fmt.Errorf("%w: %d bytes, over the %d limit", ErrProfile, len(b), maxProfile)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var p Profile
	if err := dec.Decode(&p); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrProfile, err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%w: data after the profile object", ErrProfile)
	}
	for _, d := range p.DocumentedPorts {
		if d.Proto != "tcp" && d.Proto != "udp" {
			return nil, fmt.Errorf("%w: documented port %d: proto %q is not tcp or udp", ErrProfile, d.Port, d.Proto)
		}
		if d.Port < 1 || d.Port > netprobe.MaxPort {
			return nil, fmt.Errorf("%w: documented port %d out of range", ErrProfile, d.Port)
		}
	}
	for _, u := range p.UDPPorts {
		if u < 1 || u > netprobe.MaxPort {
			return nil, fmt.Errorf("%w: udp port %d out of range", ErrProfile, u)
		}
	}
	if len(p.Credentials) > maxProfileCredentials {
		return nil, fmt.Errorf("%w: %d credentials, at most %d", ErrProfile, len(p.Credentials), maxProfileCredentials)
	}
	if slices.ContainsFunc(p.Credentials, func(c netprobe.Credential) bool { return c.User == "" }) {
		return nil, fmt.Errorf("%w: a credential has no user", ErrProfile)
	}
	if len(p.ServerName) > 253 {
		return nil, fmt.Errorf("%w: server_name too long", ErrProfile)
	}
	return &p, nil
}
