package wardcli

import (
	"io"
	"regexp"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"github.com/stretchr/testify/assert"
)

// goSymbol matches a Go package-qualified identifier (sim.Weaknesses,
// device.ClockControl): help is for people running ward, who cannot look
// those up; it names commands and documents instead.
var goSymbol = regexp.MustCompile(`\b(?:access|atrest|audit|backup|control|device|evidence|harness|inventory|mfa|monitor|segment|sim|update|repo|https|ssh|netdrv)\.[A-Z][A-Za-z0-9]*`)

// No command's help, flag help included, names a Go symbol.
func TestHelpNamesNoGoSymbols(t *testing.T) {
	var walk func(c *cobra.Command)
	n := 0
	walk = func(c *cobra.Command) {
		n++
		text := c.Use + "\n" + c.Short + "\n" + c.Long + "\n" + c.Example
		c.Flags().VisitAll(func(f *pflag.Flag) { text += "\n--" + f.Name + ": " + f.Usage })
		for _, m := range goSymbol.FindAllString(text, -1) {
			t.Errorf("ward %s: help names the Go symbol %s", strings.TrimPrefix(c.CommandPath(), "ward "), m)
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(newRoot(io.Discard, io.Discard))
	assert.Greater(t, n, 20, "the walk reached the subcommands")
}

// `ward sim serve --help` points at the command that lists the weakness
// toggles.
func TestSimServeHelpNamesWeaknessesCommand(t *testing.T) {
	code, stdout, stderr := ward(t, "sim", "serve", "--help")
	assert.Equal(t, 0, code, stderr)
	assert.Contains(t, stdout, "'ward sim weaknesses' lists them")
	assert.NotContains(t, stdout, "sim.Weaknesses")
}
