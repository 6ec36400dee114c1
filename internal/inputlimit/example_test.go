package inputlimit_test

import (
	"fmt"
	"strings"

	"github.com/wardsec/ward/internal/inputlimit"
)

func ExampleCheckHCLNesting() {
	src := "control \"X-1\" {\n  title = " + strings.Repeat("(", 1_000_000) + "\n}\n"
	fmt.Println(inputlimit.CheckHCLNesting([]byte(src), inputlimit.MaxNesting))
	// Output: line 2, column 74: nested more than 64 levels deep
}
