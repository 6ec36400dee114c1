package device_test

import (
	"context"
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wardsec/ward/pkg/device"
)

// notCapabilities are this package's interfaces that are not capabilities
// a check asks a device for: the core, and how drivers describe their
// devices to the runner.
var notCapabilities = map[string]string{
	"Device":        "the core every driver implements",
	"Composite":     "several drivers' devices as one unit",
	"CapabilitySet": "how a driver says which capabilities its device really has",
	"Local":         "whether the device runs in Ward's process (the runner asks, for reachability)",
	"Scratch":       "whether the unit is thrown away after the check (the runner asks, for destructive scenarios)",
}

// interfaceNames parses this package's source for its exported interfaces.
func interfaceNames(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob("*.go")
	require.NoError(t, err)
	var names []string
	fset := token.NewFileSet()
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		file, err := parser.ParseFile(fset, f, nil, 0)
		require.NoError(t, err)
		ast.Inspect(file, func(n ast.Node) bool {
			if s, ok := n.(*ast.TypeSpec); ok && s.Name.IsExported() {
				if _, ok := s.Type.(*ast.InterfaceType); ok {
					names = append(names, s.Name.Name)
				}
			}
			return true
		})
	}
	require.Greater(t, len(names), 30, "the parse found the package's interfaces")
	return names
}

// Every capability interface the package defines has its row in the table,
// so no check can ask for one the docs, the management API and the
// not-applicable reasons do not know.
func TestEveryCapabilityInterfaceIsInTheTable(t *testing.T) {
	inTable := map[string]bool{}
	for _, c := range device.Capabilities() {
		require.Equal(t, reflect.Interface, c.Type.Kind(), c.Name)
		assert.Equal(t, "github.com/wardsec/ward/pkg/device", c.Type.PkgPath(), c.Name)
		inTable[c.Type.Name()] = true
	}
	for _, name := range interfaceNames(t) {
		if why, ok := notCapabilities[name]; ok {
			assert.False(t, inTable[name], "%s is %s, not a capability", name, why)
			continue
		}
		assert.True(t, inTable[name], "device.%s has no row in the capability table (capabilities.go)", name)
	}
}

// The table's words are usable everywhere they go: every name, label,
// not-applicable line and wire name is distinct (a reason names one
// capability), and test-build capabilities say so.
func TestCapabilityTableIsConsistent(t *testing.T) {
	wire := regexp.MustCompile(`^[a-z]+(-[a-z]+)*$`)
	seen := map[string]string{}
	once := func(kind, v, who string) {
		t.Helper()
		if prev, dup := seen[kind+v]; dup {
			t.Errorf("%s %q of %s is also %s's", kind, v, who, prev)
		}
		seen[kind+v] = who
	}
	caps := device.Capabilities()
	require.Len(t, caps, len(interfaceNames(t))-len(notCapabilities))
	for _, c := range caps {
		who := c.Type.Name()
		once("type", who, who)
		once("label", c.Label(), who)
		once("needs", c.Needs(), who)
		require.NotEmpty(t, c.Name, who)
		require.NotEmpty(t, c.Lacks, who)
		assert.Equal(t, strings.TrimSpace(c.Name), c.Name, who)
		assert.NotContains(t, c.Name+c.Lacks, "\n", who)
		if c.Wire != "" {
			once("wire", c.Wire, who)
			assert.Regexp(t, wire, c.Wire, who)
		}
		assert.Equal(t, c.TestBuild, strings.HasSuffix(c.Label(), " (test builds)"), who)
		assert.Equal(t, c.TestBuild, strings.HasSuffix(c.Needs(), " (a test build can)"), who)
		got, ok := device.CapabilityLabelled(c.Label())
		assert.True(t, ok, who)
		assert.Equal(t, c.Type, got.Type, who)
	}
	// The test-build capabilities the interfaces' own docs name as such.
	for _, tb := range []reflect.Type{
		reflect.TypeFor[device.KeyCustodian](), reflect.TypeFor[device.MFAProvisioner](),
		reflect.TypeFor[device.ClockControl](), reflect.TypeFor[device.UpdatePublisher](),
		reflect.TypeFor[device.ClientCertIssuer](), reflect.TypeFor[device.OutageControl](),
	} {
		for _, c := range caps {
			if c.Type == tb {
				assert.True(t, c.TestBuild, tb.Name())
			}
		}
	}
}

// Capabilities hands out a copy: a caller that edits it changes nobody
// else's labels.
func TestCapabilitiesIsACopy(t *testing.T) {
	a := device.Capabilities()
	a[0].Name = "edited"
	assert.NotEqual(t, "edited", device.Capabilities()[0].Name)
	assert.NotEqual(t, "edited", device.Label[device.Authenticator]())
}

// One name per capability: a check asking As for the clock gets the
// table's label, and the error names it the same way everywhere.
func TestLabelNamesTheCapabilityInErrors(t *testing.T) {
	var d device.Device = thermometer{serial: "1"}
	_, err := device.As[device.ClockControl](d, device.Label[device.ClockControl]())
	require.ErrorIs(t, err, device.ErrUnsupported)
	var ue *device.UnsupportedError
	require.True(t, errors.As(err, &ue))
	c, ok := device.CapabilityLabelled(ue.Capability)
	require.True(t, ok, ue.Capability)
	assert.Equal(t, reflect.TypeFor[device.ClockControl](), c.Type)
	assert.Equal(t, "clock control (test builds)", ue.Capability)
	assert.Equal(t, "does not let a test move its clock (a test build can)", c.Needs())

	// An interface the table does not know (a maker's own) is named by
	// its Go name and found by no label.
	type thermostat interface {
		SetPoint(context.Context) (float64, error)
	}
	assert.Equal(t, "device_test.thermostat", device.Label[thermostat]())
	_, ok = device.CapabilityOf[thermostat]()
	assert.False(t, ok)
	_, ok = device.CapabilityLabelled("thermostat")
	assert.False(t, ok)

	assert.Equal(t, "a site inventory or provisioned identity (test builds)",
		device.LabelOr[device.ProvisionedIdentity]("a site inventory"))
}

// A check names what it needs from the table; the not-applicable outcome
// then says what the device would have to offer.
func ExampleLabel() {
	var d device.Device = thermometer{serial: "T1-0042"}
	_, err := device.As[device.ClockControl](d, device.Label[device.ClockControl]())
	fmt.Println(err)
	c, _ := device.CapabilityOf[device.ClockControl]()
	fmt.Println(c.Wire, c.TestBuild)
	fmt.Println(c.Needs())
	// Output:
	// target does not support clock control (test builds)
	// clock-control true
	// does not let a test move its clock (a test build can)
}

// The capabilities production firmware must not implement: a check that
// needs one is not applicable on a production unit.
func ExampleCapabilities() {
	for _, c := range device.Capabilities() {
		if c.TestBuild {
			fmt.Printf("%s (%s)\n", c.Type.Name(), c.Wire)
		}
	}
	// Output:
	// KeyCustodian (key-custodian)
	// MFAProvisioner (mfa-provisioner)
	// ClockControl (clock-control)
	// ClientCertIssuer (client-cert-issuer)
	// UpdatePublisher (update-publisher)
	// ProvisionedIdentity (provisioned-identity)
	// PatchBulletin (patch-bulletin)
	// SecureBaseline (secure-baseline)
	// OutageControl (outage-control)
}
