package harness

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

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

// sealedInfos inspects every sealed file of the dump, without any key, in
// name order. Files in other formats are left out.
func sealedInfos(dump map[string][]byte) (names []string, infos []atrest.Info) {
	for _, name := range slices.Sorted(maps.Keys(dump)) {
		in, err := atrest.Inspect(bytes.NewReader(dump[name]))
		if err != nil {
			continue
		}
		names, infos = append(names, name), append(infos, in)
	}
	return names, infos
}

func stepSealedCurrentFormat(ctx context.Context) error {
	w := worldFrom(ctx)
	if err := needDump(w); err != nil {
		return err
	}
	names, infos := sealedInfos(w.data.dump)
	if len(names) == 0 {
		return fmt.Errorf("none of the %d stored files is sealed in a format Ward can inspect, "+
			"so nothing shows which cryptography protects them", len(w.data.dump))
	}
	for i, in := range infos {
		if in.Version != atrest.Version {
			return fmt.Errorf("%q is sealed in at-rest format version %d, not the current version %d",
				names[i], in.Version, atrest.Version)
		}
	}
	w.observe("%d of %d stored files are sealed, all in at-rest format version %d (unsealed: %s)",
		len(names), len(w.data.dump), atrest.Version, unsealedNames(w.data.dump, names))
	return nil
}

func stepApprovedWrapping(ctx context.Context) error {
	w := worldFrom(ctx)
	if err := needDump(w); err != nil {
		return err
	}
	names, infos := sealedInfos(w.data.dump)
	if len(names) == 0 {
		return errors.New("no stored file is sealed, so no key wrapping can be checked")
	}
	types := map[string]bool{}
	for i, in := range infos {
		for _, r := range in.Recipients {
			if !atrest.FIPSApproved(r.Type) {
				return fmt.Errorf("the key %q that opens %q is wrapped with %q, which FIPS 140-3 does not approve",
					r.KeyID, names[i], r.Type)
			}
			types[r.Type] = true
		}
	}
	w.observe("every key of %d sealed files is wrapped with an approved scheme: %s",
		len(names), strings.Join(slices.Sorted(maps.Keys(types)), ", "))
	return nil
}

// unsealedNames lists the stored files that are not sealed, for the
// evidence: a reviewer checks that none of them should have been.
func unsealedNames(dump map[string][]byte, sealed []string) string {
	var out []string
	for _, name := range slices.Sorted(maps.Keys(dump)) {
		if !slices.Contains(sealed, name) {
			out = append(out, name)
		}
	}
	if len(out) == 0 {
		return "none"
	}
	return strings.Join(out, ", ")
}
