package main

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"net/url"
	"os"
	"time"
)

// config is the thermometer's network configuration, from its flags.
type config struct {
	// addr is the device's own address: the source of every flow its
	// egress policy decides, and the address its connections leave from.
	addr netip.Addr
	// ehr is the interface engine readings go to (HTTPS), verified with
	// ehrCA.
	ehr   *url.URL
	ehrCA *x509.CertPool
	// updateRepo is the TUF repository's metadata URL (targets at
	// updateRepo/targets); updateRoot the maker's root.json the device
	// trusts; factory the image provisioned on first start.
	updateRepo *url.URL
	updateRoot []byte
	factory    string
	// keys is where the device keeps its keys (--keys); "" makes new ones
	// at each start.
	keys string
}

// loadConfig checks the flags and reads the files they name.
func loadConfig(addr, ehr, ehrCA, repo, root, factory string) (config, error) {
	var c config
	var err error
	if c.addr, err = netip.ParseAddr(addr); err != nil {
		return c, fmt.Errorf("--addr: %w", err)
	}
	if ehr != "" {
		if c.ehr, err = url.Parse(ehr); err != nil || c.ehr.Scheme != "https" {
			return c, fmt.Errorf("--ehr %q: want an https:// URL", ehr)
		}
		if ehrCA == "" {
			return c, errors.New("--ehr needs --ehr-ca (the CA that issued the EHR's certificate)")
		}
		pem, err := os.ReadFile(ehrCA)
		if err != nil {
			return c, fmt.Errorf("--ehr-ca: %w", err)
		}
		c.ehrCA = x509.NewCertPool()
		if !c.ehrCA.AppendCertsFromPEM(pem) {
			return c, fmt.Errorf("--ehr-ca %s: no PEM certificate", ehrCA)
		}
	}
	if repo != "" {
		// http is fine: TUF signatures, not the channel, protect updates.
		if c.updateRepo, err = url.Parse(repo); err != nil || (c.updateRepo.Scheme != "https" && c.updateRepo.Scheme != "http") {
			return c, fmt.Errorf("--update-repo %q: want an http(s):// URL", repo)
		}
		if root == "" {
			return c, errors.New("--update-repo needs --update-root (the maker's root.json)")
		}
		if c.updateRoot, err = os.ReadFile(root); err != nil {
			return c, fmt.Errorf("--update-root: %w", err)
		}
		c.factory = factory
	}
	return c, nil
}

// connect sets up the thermometer's network side: the egress policy over
// its documented peers, the EHR uplink and the firmware updater, both of
// which dial only through the egress policy.
func (t *thermometer) connect(ctx context.Context, c config) error {
	var peers []peer
	if c.ehr != nil {
		p, err := peerOf("ehr", c.ehr)
		if err != nil {
			return err
		}
		peers = append(peers, p)
	}
	if c.updateRepo != nil {
		p, err := peerOf("update-repo", c.updateRepo)
		if err != nil {
			return err
		}
		peers = append(peers, p)
	}
	eg, err := newEgress(ctx, c.addr, t.log, peers)
	if err != nil {
		return err
	}
	t.egress = eg
	if c.ehr != nil {
		t.ehr = &uplink{url: c.ehr.String(), client: &http.Client{Transport: eg.transport(c.ehrCA), Timeout: 30 * time.Second}}
	}
	if c.updateRepo != nil {
		// The context bounds each update; the fetcher cuts stalled servers.
		fw, err := newFirmware(ctx, t.dir, c.updateRepo.String(), c.updateRoot, c.factory,
			&http.Client{Transport: eg.transport(nil)}, t.log)
		if err != nil {
			return err
		}
		t.fw = fw
	}
	return nil
}
