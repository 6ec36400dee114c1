package device

import (
	"context"
	"fmt"
	"net/url"
	"sort"
	"strings"
	"sync"
)

// Opener opens a target URI whose scheme it was registered for. It returns
// an error matching ErrBadTarget when the URI is malformed for its driver.
type Opener func(ctx context.Context, target *url.URL) (Device, error)

// Registry maps URI schemes to drivers. There is no global registry: the
// program that runs checks builds one and registers the drivers it links in,
// so device makers add their own drivers from Go without touching Ward.
type Registry struct {
	mu      sync.RWMutex
	openers map[string]Opener
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry {
	return &Registry{openers: map[string]Opener{}}
}

// Register adds a driver for scheme. Registering a scheme twice is an error
// so one driver never silently replaces another.
func (r *Registry) Register(scheme string, open Opener) error {
	scheme = strings.ToLower(scheme)
	if scheme == "" || open == nil {
		return fmt.Errorf("device: register: empty scheme or nil opener")
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, dup := r.openers[scheme]; dup {
		return fmt.Errorf("device: register: scheme %q already registered", scheme)
	}
	r.openers[scheme] = open
	return nil
}

// Schemes lists the registered schemes, sorted.
func (r *Registry) Schemes() []string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	out := make([]string, 0, len(r.openers))
	for s := range r.openers {
		out = append(out, s)
	}
	sort.Strings(out)
	return out
}

// Open parses target and opens it with the driver for its scheme.
func (r *Registry) Open(ctx context.Context, target string) (Device, error) {
	u, err := url.Parse(target)
	if err != nil {
		return nil, fmt.Errorf("%w: %q: %v", ErrBadTarget, target, err)
	}
	if u.Scheme == "" {
		return nil, fmt.Errorf("%w: %q has no scheme (want one of %s)", ErrBadTarget, target, strings.Join(r.Schemes(), ", "))
	}
	r.mu.RLock()
	open, ok := r.openers[strings.ToLower(u.Scheme)]
	r.mu.RUnlock()
	if !ok {
		return nil, fmt.Errorf("%w: unknown scheme %q in %q (known: %s)", ErrBadTarget, u.Scheme, target, strings.Join(r.Schemes(), ", "))
	}
	d, err := open(ctx, u)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", target, err)
	}
	return d, nil
}
