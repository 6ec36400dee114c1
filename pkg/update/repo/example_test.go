package repo_test

import (
	"fmt"

	"github.com/wardsec/ward/pkg/update/repo"
)

// A maker's release: add an image with its SBOM, publish, rotate the
// targets key.
func Example() {
	r, err := repo.New(repo.WithThreshold(repo.Root, 2))
	if err != nil {
		fmt.Println(err)
		return
	}
	bom, _ := repo.MakeSBOM(repo.Component{Name: "pump-fw", Version: "1.5.0", SupportEnd: "2031-12-31"},
		repo.Component{Name: "openssl", Version: "3.0.13", SupportEnd: "2030-09-07"})
	err = r.AddImage(repo.Image{Name: "pump/fw-1.5.0.bin", Data: []byte("…"), Version: 15,
		Hardware: []string{"SIM-IP-100"}, SBOM: bom})
	fmt.Println(err, r.Publish())
	fmt.Println(r.Versions())
	fmt.Println(r.RotateRoot(repo.Targets), r.Versions()[repo.Root])
	// Output:
	// <nil> <nil>
	// map[root:1 snapshot:2 targets:2 timestamp:2]
	// <nil> 2
}

// A fleet of test devices of one maker: each gets its own copy of the
// maker's repository (same keys, no new signing) and publishes to it alone.
func ExampleRepo_Clone() {
	maker, err := repo.New()
	if err != nil {
		fmt.Println(err)
		return
	}
	unit, err := maker.Clone()
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(unit.AddTarget("pump/fw-1.5.1.bin", []byte("…"), nil), unit.Publish())
	fmt.Println(maker.Versions()[repo.Targets], unit.Versions()[repo.Targets])
	// Output:
	// <nil> <nil>
	// 1 2
}
