package device

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
)

// Composite is one unit reached through several drivers at once: a login
// over SSH, which sees the device from inside, and network probes of the
// same host, which see it as any peer on the network does. As looks for a
// capability in each part in turn, so a check uses the first part that
// has it.
type Composite interface {
	Device
	// Parts are the drivers' devices, the primary first.
	Parts() []Device
}

// RegisterCombined registers scheme (conventionally "a+b", such as
// "ssh+net") as the combination of schemes already registered or still to
// be registered, primary first. A combined target such as
//
//	ssh+net://root@10.0.0.7:22?key=id&known_hosts=kh&net.ports=1-1024
//
// opens the primary with the URI as written, less every parameter named
// PART.NAME, and each other part as PART://HOST?NAME=... (the host without
// user, port or path, and only its own parameters, prefix removed).
// Identity comes from the primary. A parameter for a part the scheme does
// not combine is a usage error.
func (r *Registry) RegisterCombined(scheme string, parts ...string) error {
	if len(parts) < 2 {
		return fmt.Errorf("device: register %q: combine at least two schemes", scheme)
	}
	for i, p := range parts {
		parts[i] = strings.ToLower(p)
	}
	return r.Register(scheme, func(ctx context.Context, u *url.URL) (Device, error) {
		urls, err := splitCombined(u, parts)
		if err != nil {
			return nil, err
		}
		c := &combined{}
		for _, pu := range urls {
			d, err := r.Open(ctx, pu.String())
			if err != nil {
				_ = c.Close()
				return nil, err
			}
			c.parts = append(c.parts, d)
		}
		return c, nil
	})
}

// splitCombined builds each part's URI from the combined one.
func splitCombined(u *url.URL, parts []string) ([]*url.URL, error) {
	q, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return nil, fmt.Errorf("%w: query: %v", ErrBadTarget, err)
	}
	own := make([]url.Values, len(parts))
	for i := range own {
		own[i] = url.Values{}
	}
	for k, vs := range q {
		prefix, name, ok := strings.Cut(k, ".")
		i := 0
		if ok {
			i = indexOf(parts, strings.ToLower(prefix))
			if i <= 0 {
				return nil, fmt.Errorf("%w: parameter %q: %q is not a secondary part of %s (parts: %s)",
					ErrBadTarget, k, prefix, u.Scheme, strings.Join(parts, ", "))
			}
			k = name
		}
		own[i][k] = vs
	}
	host := u.Hostname()
	if host == "" {
		return nil, fmt.Errorf("%w: %s target needs a host", ErrBadTarget, u.Scheme)
	}
	out := make([]*url.URL, len(parts))
	first := *u
	first.Scheme, first.RawQuery = parts[0], own[0].Encode()
	out[0] = &first
	for i := 1; i < len(parts); i++ {
		h := host
		if strings.Contains(h, ":") {
			h = "[" + h + "]" // an IPv6 literal
		}
		out[i] = &url.URL{Scheme: parts[i], Host: h, RawQuery: own[i].Encode()}
	}
	return out, nil
}

func indexOf(s []string, v string) int {
	for i, x := range s {
		if x == v {
			return i
		}
	}
	return -1
}

// combined is a Composite of opened parts.
type combined struct{ parts []Device }

func (c *combined) Parts() []Device { return append([]Device(nil), c.parts...) }

// Identify asks the primary part.
func (c *combined) Identify(ctx context.Context) (Identity, error) {
	return c.parts[0].Identify(ctx)
}

// Close closes every part.
func (c *combined) Close() error {
	var errs []error
	for _, p := range c.parts {
		errs = append(errs, p.Close())
	}
	return errors.Join(errs...)
}

// ScratchUnit implements Scratch: a combination is scratch only if every
// part is.
func (c *combined) ScratchUnit() bool {
	for _, p := range c.parts {
		if s, ok := p.(Scratch); !ok || !s.ScratchUnit() {
			return false
		}
	}
	return len(c.parts) > 0
}
