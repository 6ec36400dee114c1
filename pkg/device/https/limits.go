package https

import (
	"errors"

	"github.com/wardsec/ward/pkg/device"
)

// Caps on what the driver accepts from a device, by kind of answer
// (docs/threat-model.md gives the reasons). An answer over its cap is an
// error matching ErrTooLarge, read no further than the cap: a hostile
// device cannot make Ward hold more than that per request in flight.
const (
	// MaxSmallAnswer bounds small JSON documents: identity, service and
	// capability descriptions, tokens, clock, probe results. An identity
	// of four short fields and a UDI is well under 1 KiB.
	MaxSmallAnswer = 64 << 10
	// MaxJSONAnswer bounds other JSON documents and listings (activity
	// reviews, settings, ports, events, storage listings).
	MaxJSONAnswer = 4 << 20
	// MaxEmbeddedAnswer bounds JSON documents that carry binary data in
	// base64: the audit export and the update status with its SBOM (at most
	// 16 MiB, 21.4 MiB in base64).
	MaxEmbeddedAnswer = 32 << 20
	// MaxBinaryAnswer bounds binary dumps: stored files, backups, config
	// exports, patient records.
	MaxBinaryAnswer = 64 << 20
	// MaxListing bounds the entries of any listing a device returns
	// (storage names, ports, patches, events, settings, endpoints).
	MaxListing = 10000
	// maxErrorMessage bounds the message of an error answer kept.
	maxErrorMessage = 1024
)

// ErrTooLarge reports a device answer over the driver's cap for its kind.
var ErrTooLarge = errors.New("https: device answer too large")

// answerLimit is the cap for an answer decoded into out.
func answerLimit(out any) int64 {
	switch out.(type) {
	case *[]byte:
		return MaxBinaryAnswer
	case *device.AuditExport, *device.UpdateStatus:
		return MaxEmbeddedAnswer
	case nil, *device.Identity, *serviceInfo, *unitInfo, *capsInfo, *tokenInfo, *totpInfo, *clockInfo,
		*targetInfo, *probeInfo, *quarantineInfo, *keyInfo, *clientCertInfo:
		return MaxSmallAnswer
	default:
		return MaxJSONAnswer
	}
}

// listing is an answer made of entries, each of which a check may act on.
type listing interface{ entries() int }

func (n namesInfo) entries() int     { return len(n.Names) }
func (e endpointsInfo) entries() int { return len(e.Endpoints) }
func (s settingsInfo) entries() int  { return len(s.Settings) }
func (v valuesInfo) entries() int    { return len(v.Values) }
func (p portsInfo) entries() int     { return len(p.Ports) }
func (p patchesInfo) entries() int   { return len(p.Patches) }
func (b bulletinInfo) entries() int  { return len(b.Patches) }
func (p netPortsInfo) entries() int  { return len(p.Ports) }
func (e netEventsInfo) entries() int { return len(e.Events) }
func (c capsInfo) entries() int      { return len(c.Capabilities) }
