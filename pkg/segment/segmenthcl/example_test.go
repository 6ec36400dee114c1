package segmenthcl_test

import (
	"fmt"
	"os"

	"github.com/wardsec/ward/pkg/segment/segmenthcl"
)

func ExampleLoad() {
	src := []byte(`
zone "medical" {
  cidrs = ["10.0.10.0/24"]
}
device "pump-1" {
  address = "10.0.10.5"
  zone    = "medical"
  allow "ehr" {
    direction = "egress"
    peer      = "cidr:10.0.30.0/24"
    proto     = "tcp"
    ports     = ["443", "80000"]
  }
}
`)
	_, f, diags := segmenthcl.Load("site.hcl", src)
	if err := segmenthcl.WriteDiagnostics(os.Stdout, f, diags); err != nil {
		panic(err)
	}
	fmt.Println(diags.HasErrors())
	// Output:
	// site.hcl:12:25: Error: Invalid port
	//
	//   on site.hcl line 12, in device "pump-1":
	//   12:     ports     = ["443", "80000"]
	//
	// device pump-1 rule "ehr": port range "80000": segment: invalid: port "80000": want 1-65535
	//
	// true
}
