package harness_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wardsec/ward/pkg/device"
	"github.com/wardsec/ward/pkg/harness"
)

// capabilityUse is one place the harness's code asks for a pkg/device
// interface.
type capabilityUse struct {
	pos   string
	iface string   // "ClockControl"
	how   string   // "device.As", "capability", "withSession", "type assertion"
	label ast.Expr // the label argument; nil for a type assertion
}

// capabilityUses parses the harness's non-test source for every capability
// request: generic calls with a device.X type argument and type assertions
// to device.X.
func capabilityUses(t *testing.T) []capabilityUse {
	t.Helper()
	files, err := filepath.Glob("*.go")
	require.NoError(t, err)
	fset := token.NewFileSet()
	var uses []capabilityUse
	deviceType := func(e ast.Expr) string {
		if s, ok := e.(*ast.SelectorExpr); ok {
			if id, ok := s.X.(*ast.Ident); ok && id.Name == "device" {
				return s.Sel.Name
			}
		}
		return ""
	}
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		file, err := parser.ParseFile(fset, f, nil, 0)
		require.NoError(t, err)
		ast.Inspect(file, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.TypeAssertExpr:
				if name := deviceType(n.Type); name != "" {
					uses = append(uses, capabilityUse{fset.Position(n.Pos()).String(), name, "type assertion", nil})
				}
			case *ast.CallExpr:
				ix, ok := n.Fun.(*ast.IndexExpr)
				if !ok {
					return true
				}
				name := deviceType(ix.Index)
				if name == "" {
					return true
				}
				var how string
				switch fn := ix.X.(type) {
				case *ast.Ident:
					how = fn.Name
				case *ast.SelectorExpr:
					if id, ok := fn.X.(*ast.Ident); ok {
						how = id.Name + "." + fn.Sel.Name
					}
				}
				switch how {
				case "device.As", "capability", "withSession":
					require.GreaterOrEqual(t, len(n.Args), 2, "%s: %s call", fset.Position(n.Pos()), how)
					uses = append(uses, capabilityUse{fset.Position(n.Pos()).String(), name, how, n.Args[1]})
				}
			}
			return true
		})
	}
	return uses
}

// Every interface a step asks a device for is a row of pkg/device's
// capability table, asked for through device.As (directly or through the
// harness's helpers) so a composite target's parts and a driver's
// CapabilitySet are honoured, and named by the table's label for that same
// interface: one name per capability in every not-applicable reason.
func TestStepsNameCapabilitiesFromTheTable(t *testing.T) {
	inTable := map[string]bool{}
	for _, c := range device.Capabilities() {
		inTable[c.Type.Name()] = true
	}
	runnerOnly := map[string]bool{"Local": true, "Scratch": true, "Identity": true} // questions to the driver, and a value type
	uses := capabilityUses(t)
	require.Greater(t, len(uses), 60, "the parse found the harness's capability requests")
	for _, u := range uses {
		if u.how == "type assertion" {
			assert.True(t, runnerOnly[u.iface] && !inTable[u.iface],
				"%s: a type assertion to device.%s skips composite targets and CapabilitySet: use device.As", u.pos, u.iface)
			continue
		}
		assert.True(t, inTable[u.iface], "%s: device.%s is not in the capability table", u.pos, u.iface)
		call, ok := u.label.(*ast.CallExpr)
		if !assert.True(t, ok, "%s: the label of device.%s is not device.Label/LabelOr", u.pos, u.iface) {
			continue
		}
		ix, ok := call.Fun.(*ast.IndexExpr)
		if !assert.True(t, ok, "%s: the label of device.%s is not device.Label/LabelOr", u.pos, u.iface) {
			continue
		}
		fn, _ := ix.X.(*ast.SelectorExpr)
		arg, _ := ix.Index.(*ast.SelectorExpr)
		if !assert.True(t, fn != nil && arg != nil, "%s: label of device.%s", u.pos, u.iface) {
			continue
		}
		assert.Contains(t, []string{"Label", "LabelOr"}, fn.Sel.Name, "%s: label of device.%s", u.pos, u.iface)
		assert.Equal(t, u.iface, arg.Sel.Name, "%s: device.%s is asked for under another capability's label", u.pos, u.iface)
	}
}

// The not-applicable line of every capability in the table is what a
// reason naming its label becomes.
func TestOfferUsesTheTable(t *testing.T) {
	for _, c := range device.Capabilities() {
		err := &device.UnsupportedError{Capability: c.Label()}
		assert.Equal(t, c.Needs(), harness.Offer("scenario: "+err.Error()), c.Type.Name())
	}
	// A check that can learn what it needs in two ways says both.
	assert.Equal(t, "does not state the identity it was provisioned with (a test build can), and no site inventory (ward check --inventory FILE) was given",
		harness.Offer("target does not support "+device.LabelOr[device.ProvisionedIdentity]("a site inventory (ward check --inventory FILE)")))
}
