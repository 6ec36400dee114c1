package control

import (
	"errors"

	"github.com/hashicorp/hcl/v2"

	"github.com/wardsec/ward/internal/inputlimit"
)

// checkInput refuses an HCL file over inputlimit.MaxConfigFile or nested
// deeper than inputlimit.MaxNesting before HCL's parser sees it: the
// parser recurses per parenthesis, and millions of them overflowed the
// stack after a minute and 4 GB. The diagnostic points at where the
// nesting goes too deep.
func checkInput(name string, data []byte) *hcl.Diagnostic {
	if len(data) > inputlimit.MaxConfigFile {
		return &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "File too large",
			Detail: name + ": more than " + itoa(inputlimit.MaxConfigFile) + " bytes; no control, waiver or attestation file is anywhere near that."}
	}
	err := inputlimit.CheckHCLNesting(data, inputlimit.MaxNesting)
	var de *inputlimit.DepthError
	if errors.As(err, &de) {
		pos := hcl.Pos{Line: de.Line, Column: de.Column, Byte: de.Offset}
		return &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Nested too deeply",
			Detail:  "More than " + itoa(de.Limit) + " brackets, parentheses, braces or templates are open here; the file is not parsed.",
			Subject: &hcl.Range{Filename: name, Start: pos, End: hcl.Pos{Line: pos.Line, Column: pos.Column + 1, Byte: pos.Byte + 1}}}
	}
	return nil
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b [20]byte
	i := len(b)
	for ; n > 0; n /= 10 {
		i--
		b[i] = byte('0' + n%10)
	}
	return string(b[i:])
}
