package https

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wardsec/ward/pkg/device"
)

// deviceDecls parses pkg/device's source for its capability interfaces and
// its sentinel errors.
func deviceDecls(t *testing.T) (ifaces, sentinels []string) {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("..", "*.go"))
	require.NoError(t, err)
	fset := token.NewFileSet()
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		file, err := parser.ParseFile(fset, f, nil, 0)
		require.NoError(t, err)
		for _, d := range file.Decls {
			g, ok := d.(*ast.GenDecl)
			if !ok {
				continue
			}
			for _, s := range g.Specs {
				switch s := s.(type) {
				case *ast.TypeSpec:
					if _, ok := s.Type.(*ast.InterfaceType); ok && s.Name.IsExported() {
						ifaces = append(ifaces, s.Name.Name)
					}
				case *ast.ValueSpec:
					for _, n := range s.Names {
						if g.Tok == token.VAR && strings.HasPrefix(n.Name, "Err") {
							sentinels = append(sentinels, n.Name)
						}
					}
				}
			}
		}
	}
	require.NotEmpty(t, ifaces)
	return ifaces, sentinels
}

// Every capability pkg/device defines is forwarded: a table line, a
// client method (the driver's Device implements it) and a documented row.
// A capability added to pkg/device without them fails here, rather than
// as a check that is silently not applicable over the network.
func TestEveryDeviceCapabilityIsForwarded(t *testing.T) {
	ifaces, _ := deviceDecls(t)
	doc, err := os.ReadFile(filepath.Join("..", "..", "..", "docs", "management-api.md"))
	require.NoError(t, err)
	byType := map[string]string{}
	for _, c := range capabilities {
		byType[c.typ.Name()] = c.name
		drv := reflect.TypeFor[*Device]()
		if c.name == "network" {
			drv = reflect.TypeFor[*NetworkDevice]()
		}
		assert.True(t, drv.Implements(c.typ), "the driver implements %s", c.typ.Name())
		assert.True(t, strings.Contains(string(doc), "| "+c.name+" | `"), "docs/management-api.md has no row for %s", c.name)
	}
	for _, c := range errorCodes {
		assert.True(t, strings.Contains(string(doc), "| `"+c.code+"` |"), "docs/management-api.md has no row for error code %s", c.code)
	}
	for _, name := range ifaces {
		switch name {
		case "Device", "CapabilitySet": // the core, and how drivers say what they have
			continue
		case "ServiceProber": // probes come from the network, never through a device's own API
			assert.False(t, reflect.TypeFor[*Device]().Implements(reflect.TypeFor[device.ServiceProber]()))
			continue
		case "Scratch": // the driver answers it: true on a simulator's unit
			assert.True(t, reflect.TypeFor[*Device]().Implements(reflect.TypeFor[interface{ ScratchUnit() bool }]()))
			continue
		case "Composite": // several drivers' devices in one process, never one device's API
			assert.False(t, reflect.TypeFor[*Device]().Implements(reflect.TypeFor[interface{ Parts() []device.Device }]()))
			continue
		case "Local": // never forwarded: a device reached over the network is not in Ward's process
			assert.False(t, reflect.TypeFor[*Device]().Implements(reflect.TypeFor[interface{ InProcess() bool }]()))
			assert.False(t, reflect.TypeFor[*NetworkDevice]().Implements(reflect.TypeFor[interface{ InProcess() bool }]()))
			continue
		}
		assert.Contains(t, byType, name, "pkg/device.%s is not forwarded by the management API", name)
	}
}

// Every sentinel a device can return has an error code (by convention the
// sentinel's name in snake case), so errors.Is keeps working over the
// network.
func TestEveryDeviceSentinelHasACode(t *testing.T) {
	_, sentinels := deviceDecls(t)
	codes := map[string]bool{}
	for _, c := range errorCodes {
		codes[strings.ReplaceAll(c.code, "_", "")] = true
	}
	for _, name := range sentinels {
		switch name {
		case "ErrBadTarget": // a usage error of the caller's target, never the device's answer
			continue
		case "ErrCleartext": // the driver's own finding about the channel, before any answer
			continue
		}
		assert.True(t, codes[strings.ToLower(strings.TrimPrefix(name, "Err"))], "pkg/device.%s has no error code in wire.go", name)
	}
}
