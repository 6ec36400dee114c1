package oscal_test

import (
	"fmt"
	"strings"

	"github.com/wardsec/ward/pkg/oscal"
)

// A finding that cites an observation the document does not hold.
func ExampleCheckReferences() {
	doc := `{"assessment-results": {"uuid": "a", "results": [{"uuid": "r",
		"reviewed-controls": {"control-selections": [{"include-all": {}}]},
		"findings": [{"uuid": "f", "target": {"type": "objective-id", "target-id": "c-1"},
			"related-observations": [{"observation-uuid": "o-missing"}]}]}]}}`
	problems, err := oscal.CheckReferences(strings.NewReader(doc))
	if err != nil {
		fmt.Println("not OSCAL:", err)
		return
	}
	for _, p := range problems {
		fmt.Println(p)
	}
	// Output:
	// /assessment-results/results/0/findings/0/related-observations/0/observation-uuid: observation-uuid o-missing names no observation in the document
}
