package harness

import (
	"bytes"
	"context"

	"github.com/wardsec/ward/pkg/atrest"
)

// isSealed reports whether data is a pkg/atrest sealed file: its header
// parses. Devices that use another format are searched in the clear only.
func isSealed(data []byte) bool {
	_, err := atrest.Inspect(bytes.NewReader(data))
	return err == nil
}

// openSealed tries to open a sealed file with a raw key, as an attacker who
// extracted it would.
func openSealed(ctx context.Context, data []byte, keyID string, key []byte) ([]byte, error) {
	k, err := atrest.NewRawKey(keyID, key)
	if err != nil {
		return nil, err
	}
	return atrest.Open(ctx, data, k)
}
