package https

import (
	"context"
	"net/http"

	"github.com/wardsec/ward/pkg/device"
)

// The outage-control capability (test builds): provoke an outage of the
// device's back end and read its emergency status. See
// docs/management-api.md, "Outage control".

type outageReq struct {
	Kind string `json:"kind"`
}

// outageRoutes serve device.OutageControl.
func (s *Server) outageRoutes() {
	s.route("POST", "/outage", func(w http.ResponseWriter, r *http.Request, d device.Device) error {
		o, err := capOf[device.OutageControl](d)
		if err != nil {
			return err
		}
		var req outageReq
		if err := readJSON(w, r, &req); err != nil {
			return err
		}
		if err := o.BeginOutage(r.Context(), req.Kind); err != nil {
			return err
		}
		noContent(w)
		return nil
	})
	s.route("DELETE", "/outage", func(w http.ResponseWriter, r *http.Request, d device.Device) error {
		o, err := capOf[device.OutageControl](d)
		if err != nil {
			return err
		}
		if err := o.EndOutage(r.Context()); err != nil {
			return err
		}
		noContent(w)
		return nil
	})
	s.route("GET", "/emergency", func(w http.ResponseWriter, r *http.Request, d device.Device) error {
		o, err := capOf[device.OutageControl](d)
		if err != nil {
			return err
		}
		st, err := o.EmergencyStatus(r.Context())
		if err != nil {
			return err
		}
		writeJSON(w, 200, st)
		return nil
	})
}

// BeginOutage implements device.OutageControl.
func (d *Device) BeginOutage(ctx context.Context, kind string) error {
	return d.post(ctx, "/outage", "", outageReq{Kind: kind}, nil)
}

// EndOutage implements device.OutageControl.
func (d *Device) EndOutage(ctx context.Context) error {
	return d.call(ctx, "DELETE", d.base+"/outage", "", nil, nil)
}

// EmergencyStatus implements device.OutageControl.
func (d *Device) EmergencyStatus(ctx context.Context) (device.EmergencyStatus, error) {
	var st device.EmergencyStatus
	err := d.get(ctx, "/emergency", "", &st)
	return st, err
}

var _ device.OutageControl = (*Device)(nil)
