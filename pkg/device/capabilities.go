package device

import (
	"reflect"
	"strings"
)

// Capability is one optional capability interface of this package: the one
// place that names it, for checks (the reason a check is not applicable),
// for people (what a device without it does not offer), for the management
// API (its wire name) and for the docs (docs/capabilities.md).
type Capability struct {
	// Type is the interface (reflect.TypeFor[ClockControl]()).
	Type reflect.Type
	// Name says what it is, in words: "clock control".
	Name string
	// TestBuild marks a capability of test builds and simulators only:
	// production firmware must not implement it, and the checks that need
	// it are not applicable there.
	TestBuild bool
	// Lacks says what a device without it does not offer, in words, as a
	// not-applicable reason reads: "does not let a test move its clock".
	Lacks string
	// Wire is its name in the management API (docs/management-api.md);
	// "" when the API does not carry it.
	Wire string
}

// Label names the capability as checks ask for it (As's name, and so
// UnsupportedError.Capability): Name, marked "(test builds)" for a
// test-build capability.
func (c Capability) Label() string {
	if c.TestBuild {
		return c.Name + " (test builds)"
	}
	return c.Name
}

// Needs is the one line a not-applicable outcome gives for a device
// without the capability: Lacks, plus who has it for a test-build
// capability.
func (c Capability) Needs() string {
	if c.TestBuild {
		return c.Lacks + " (a test build can)"
	}
	return c.Lacks
}

// capabilities is the table, in the order the docs and the management API
// list it. It is never changed: Capabilities hands out copies.
var capabilities = [...]Capability{
	{reflect.TypeFor[Authenticator](), "login", false, "exposes no login", "authenticator"},
	{reflect.TypeFor[PatientData](), "patient data", false, "exposes no patient records", "patient-data"},
	{reflect.TypeFor[AuditSource](), "audit log export", false, "exports no audit log", "audit-source"},
	{reflect.TypeFor[RawStorage](), "raw storage access", false, "gives no access to its raw storage", "raw-storage"},
	{reflect.TypeFor[Provisioner](), "account provisioning", false, "exposes no account management", "provisioner"},
	{reflect.TypeFor[AccountRemover](), "account removal", false, "does not let a test remove the accounts it made", "account-remover"},
	{reflect.TypeFor[KeyCustodian](), "storage key export", true, "does not hand out its storage key", "key-custodian"},
	{reflect.TypeFor[Decommissioner](), "decommissioning", false, "cannot be decommissioned (crypto-erased)", "decommissioner"},
	{reflect.TypeFor[Backupper](), "backup and restore", false, "makes no backups to restore", "backupper"},
	{reflect.TypeFor[ConfigExporter](), "configuration export", false, "exports no configuration", "config-exporter"},
	{reflect.TypeFor[MFAProvisioner](), "TOTP enrolment of test accounts", true, "cannot enrol test accounts in a second factor", "mfa-provisioner"},
	{reflect.TypeFor[Operator](), "operations by name", false, "exposes no operations to try by role", "operator"},
	{reflect.TypeFor[EmergencyAccess](), "emergency access", false, "exposes no emergency (break-glass) access", "emergency-access"},
	{reflect.TypeFor[ClockControl](), "clock control", true, "does not let a test move its clock", "clock-control"},
	{reflect.TypeFor[ActivityReviewer](), "activity review", false, "gives no review of privileged activity", "activity-reviewer"},
	{reflect.TypeFor[Transport](), "network service endpoints", false, "does not list its network services", "transport"},
	{reflect.TypeFor[ClientCertIssuer](), "client certificates for test peers", true, "cannot issue certificates for test peers", "client-cert-issuer"},
	{reflect.TypeFor[ClinicalSettings](), "clinical settings", false, "exposes no clinical settings", "clinical-settings"},
	{reflect.TypeFor[LogForwarder](), "log forwarding", false, "cannot forward its logs to a collector", "log-forwarder"},
	{reflect.TypeFor[Updater](), "firmware update", false, "exposes no firmware update", "updater"},
	{reflect.TypeFor[UpdatePublisher](), "test update releases and power cuts", true, "cannot be given test update releases or have an update interrupted", "update-publisher"},
	{reflect.TypeFor[PlantedData](), "known test data", false, "has no test data entered on it", "planted-data"},
	{reflect.TypeFor[PortLister](), "port listing", false, "does not list its listening ports", "port-lister"},
	{reflect.TypeFor[IdentityQuerier](), "authenticated identity query", false, "answers no authenticated identity query", "identity-querier"},
	{reflect.TypeFor[ProvisionedIdentity](), "provisioned identity", true, "does not state the identity it was provisioned with", "provisioned-identity"},
	{reflect.TypeFor[PatchReporter](), "installed-patch report", false, "does not report its installed patches", "patch-reporter"},
	{reflect.TypeFor[PatchBulletin](), "the maker's patch bulletin", true, "carries no patch bulletin", "patch-bulletin"},
	{reflect.TypeFor[SecurityConfig](), "security configuration", false, "exposes no security settings", "security-config"},
	{reflect.TypeFor[SecureBaseline](), "the maker's approved security baseline", true, "has no approved security baseline to compare with", "secure-baseline"},
	{reflect.TypeFor[HostConfig](), "host configuration", false, "gives no view of its host configuration", "host-config"},
	{reflect.TypeFor[OutageControl](), "outage control", true, "cannot be put through a simulated outage", "outage-control"},
	{reflect.TypeFor[Network](), "network segmentation", false, "offers no view of its network segment", "network"},
	// Probes come from the network (the net driver), never through a
	// device's own management API.
	{reflect.TypeFor[ServiceProber](), "network service probes", false, "cannot be probed from the network", ""},
}

// Capabilities returns the capability table, in its documented order.
func Capabilities() []Capability {
	return append([]Capability(nil), capabilities[:]...)
}

// CapabilityOf returns the table's row for interface C; false when C is
// not one of this package's capabilities (a device maker's own, say).
func CapabilityOf[C any]() (Capability, bool) {
	t := reflect.TypeFor[C]()
	for _, c := range capabilities {
		if c.Type == t {
			return c, true
		}
	}
	return Capability{}, false
}

// Label is the label of capability C (Capability.Label), for As:
//
//	cc, err := device.As[device.ClockControl](d, device.Label[device.ClockControl]())
//
// For an interface not in the table it is the interface's Go name.
func Label[C any]() string {
	if c, ok := CapabilityOf[C](); ok {
		return c.Label()
	}
	return reflect.TypeFor[C]().String()
}

// CapabilityLabelled returns the row whose Label is label, so a reason
// that names a capability can be worded as what the device lacks.
func CapabilityLabelled(label string) (Capability, bool) {
	for _, c := range capabilities {
		if c.Label() == label {
			return c, true
		}
	}
	return Capability{}, false
}

// LabelOr names capability C as one of two ways a check can learn what it
// needs: "alternative or <C's label>". Reasons keep saying both.
func LabelOr[C any](alternative string) string {
	return strings.TrimSpace(alternative) + " or " + Label[C]()
}
