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
