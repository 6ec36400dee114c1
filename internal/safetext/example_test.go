package safetext_test

import (
	"fmt"

	"github.com/wardsec/ward/internal/safetext"
)

func ExampleEscape() {
	firmware := "1.0\x1b]0;owned\x07"
	fmt.Println("firmware " + safetext.Escape(firmware))
	// Output: firmware 1.0\x1b]0;owned\x07
}
