package update_test

import (
	"context"
	"errors"
	"fmt"
	"net/http/httptest"
	"os"

	"github.com/wardsec/ward/pkg/update"
	"github.com/wardsec/ward/pkg/update/repo"
)

// A device trusts its maker's root, installs version 2 from a repository
// served over HTTP, and refuses an older image afterwards.
func Example() {
	ctx := context.Background()
	// The maker's release pipeline.
	r, _ := repo.New()
	for v := uint64(1); v <= 2; v++ {
		bom, _ := repo.MakeSBOM(repo.Component{Name: "pump-fw", Version: fmt.Sprint(v)})
		r.AddImage(repo.Image{Name: fmt.Sprintf("pump/fw-%d.bin", v), Data: []byte(fmt.Sprintf("firmware %d", v)),
			Version: v, Hardware: []string{"SIM-IP-100"}, SBOM: bom})
	}
	r.Publish()
	srv := httptest.NewServer(r.Handler())
	defer srv.Close()

	// The device.
	state, _ := os.MkdirTemp("", "ward-update-example")
	defer os.RemoveAll(state)
	client, _ := update.NewClient(r.RootJSON(), srv.URL+"/metadata",
		update.WithTargetsURL(srv.URL+"/targets"), update.WithStateDir(state))
	slots := &update.MemSlots{}
	dev, _ := update.NewInstaller(client, slots, state,
		update.WithHardware("SIM-IP-100"),
		update.WithHealthCheck(func(ctx context.Context, s update.SlotInfo) error { return nil }))
	if err := dev.Provision(ctx, "pump/fw-1.bin"); err != nil {
		fmt.Println(err)
		return
	}
	info, err := dev.Update(ctx, update.Request{Target: "pump/fw-2.bin", Actor: "biomed.ravi"})
	fmt.Println("installed version", info.Version, err)
	_, err = dev.Update(ctx, update.Request{Target: "pump/fw-1.bin"})
	fmt.Println("older image:", update.Reason(err), errors.Is(err, update.ErrRollback))
	st, _ := dev.Status(ctx)
	fmt.Printf("running slot %s, version %d, floor %d\n", st.Running, st.Slot.Version, st.Floor)
	// Output:
	// installed version 2 <nil>
	// older image: rollback true
	// running slot b, version 2, floor 2
}

// VerifyStream checks a download against the signed length and hashes
// while it streams.
func ExampleVerifyStream() {
	t := update.Target{Name: "fw.bin", Length: 5, Hashes: map[string][]byte{
		"sha256": mustHex("2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824")}}
	err := update.VerifyStream(stringsReader("hello"), discard{}, t)
	fmt.Println(err)
	err = update.VerifyStream(stringsReader("hellO"), discard{}, t)
	fmt.Println(errors.Is(err, update.ErrHashMismatch))
	err = update.VerifyStream(stringsReader("hello, and then some"), discard{}, t)
	fmt.Println(errors.Is(err, update.ErrLength))
	// Output:
	// <nil>
	// true
	// true
}
