package inputlimit_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"

	"github.com/wardsec/ward/internal/inputlimit"
)

func TestCheckHCLNesting(t *testing.T) {
	for _, tc := range []struct {
		name string
		src  string
		deep bool
	}{
		{"ok/plain", "a = 1\nb { c = [1, (2)] }\n", false},
		{"ok/brackets in strings", `a = "` + strings.Repeat("(", 500) + `"`, false},
		{"ok/brackets in comments", "# " + strings.Repeat("(", 500) + "\n// " + strings.Repeat("[", 500) + "\n/* " + strings.Repeat("{", 500) + " */\n", false},
		{"ok/heredoc", "a = <<EOT\n" + strings.Repeat("(", 500) + "\nEOT\nb = 1\n", false},
		{"ok/indented heredoc", "a = <<-EOT\n  " + strings.Repeat("[", 500) + "\n  EOT\n", false},
		{"ok/escaped interpolation", `a = "$${` + strings.Repeat("(", 500) + `"`, false},
		{"ok/at the limit", "a = " + strings.Repeat("(", 64) + "1" + strings.Repeat(")", 64), false},
		{"fail/one over", "a = " + strings.Repeat("(", 65) + "1" + strings.Repeat(")", 65), true},
		{"fail/parentheses", "a = " + strings.Repeat("(", 1_000_000), true},
		{"fail/brackets", "a = " + strings.Repeat("[", 100), true},
		{"fail/blocks", strings.Repeat("b {\n", 100), true},
		{"fail/interpolation", `a = "${` + strings.Repeat("(", 100) + `"`, true},
		{"fail/nested templates", strings.Repeat(`"${`, 40), true},
		{"fail/heredoc interpolation", "a = <<EOT\n${" + strings.Repeat("(", 100) + "\nEOT\n", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := inputlimit.CheckHCLNesting([]byte(tc.src), inputlimit.MaxNesting)
			if tc.deep != (err != nil) {
				t.Fatalf("CheckHCLNesting = %v, want deep=%v", err, tc.deep)
			}
			if tc.deep && !errors.Is(err, inputlimit.ErrTooDeep) {
				t.Fatalf("error %v does not match ErrTooDeep", err)
			}
		})
	}
}

// What the check lets through, HCL's parser parses without trouble: the
// embedded catalogue passes.
func TestCatalogueFilesPass(t *testing.T) {
	files, _ := filepath.Glob("../../controls/*.hcl")
	more, _ := filepath.Glob("../../examples/*/*.hcl")
	files = append(files, more...)
	if len(files) == 0 {
		t.Fatal("no HCL files found")
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if err := inputlimit.CheckHCLNesting(b, inputlimit.MaxNesting); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
}

func TestReadRefusesLargeInput(t *testing.T) {
	_, err := inputlimit.Read(bytes.NewReader(make([]byte, 11)), "f", 10)
	if !errors.Is(err, inputlimit.ErrTooLarge) {
		t.Fatalf("Read = %v", err)
	}
	b, err := inputlimit.Read(bytes.NewReader(make([]byte, 10)), "f", 10)
	if err != nil || len(b) != 10 {
		t.Fatalf("Read = %d bytes, %v", len(b), err)
	}
}

func FuzzCheckHCLNesting(f *testing.F) {
	for _, s := range []string{"a = (1)", `a = "${(1)}"`, "a = <<EOT\n(\nEOT\n", "/* ( */", "a = \"\\\"(\""} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		err := inputlimit.CheckHCLNesting(src, 8)
		if err == nil && len(src) < 4096 {
			// Whatever passes, the parser handles.
			_, _ = hclsyntax.ParseConfig(src, "f.hcl", hcl.InitialPos)
		}
	})
}
