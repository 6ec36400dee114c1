package wardcli

import (
	"crypto/fips140"
	"fmt"
	"runtime"
	"runtime/debug"

	"github.com/spf13/cobra"
)

// baseVersion is the release this tree is heading for; builds from a module
// version (go install ...@vX) report that version instead.
const baseVersion = "0.1.0-dev"

func version() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return baseVersion
	}
	// In a device maker's program built on this package, Ward is a
	// dependency, not the main module.
	m := &bi.Main
	for _, d := range bi.Deps {
		if d.Path == "github.com/wardsec/ward" {
			m = d
		}
	}
	if m.Path == "github.com/wardsec/ward" && m.Version != "" && m.Version != "(devel)" {
		return m.Version
	}
	return baseVersion
}

func newVersionCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print Ward's version, the Go version and whether FIPS 140-3 mode is on",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			fmt.Fprintf(cmd.OutOrStdout(), "ward %s (%s %s/%s, fips140: %v)\n",
				version(), runtime.Version(), runtime.GOOS, runtime.GOARCH, fips140.Enabled())
			return nil
		},
	}
}
