// Package wardtest runs Ward's control catalogue against a device from the
// device maker's own go test:
//
//	func TestWard(t *testing.T) {
//		reg := device.NewRegistry()
//		require.NoError(t, reg.Register("acme", acme.Open))
//		wardtest.Check(t, reg, "acme://bench", wardtest.WithSteps(acme.Steps()), wardtest.WithCatalogue(acme.Controls, acme.Features))
//	}
//
// Check lints the catalogue (the embedded one plus the maker's), refuses
// scenario steps no definition matches, runs every control verified by
// scenarios alone, reports each control that is not satisfied (or ended in
// error) with t.Errorf, logs the rest with their reasons, and returns the
// target's results for further assertions. A not-applicable control is
// never a pass: it is logged with the reason, and the returned results
// say which.
package wardtest
