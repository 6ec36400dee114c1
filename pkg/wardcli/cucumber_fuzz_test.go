package wardcli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// FuzzEachFeature: the streaming reader merge copies an input's
// cucumber.json with agrees with json.Unmarshal of the whole array: what
// it accepts is an array of that many objects, each feature it yields is
// one of them, compacted.
func FuzzEachFeature(f *testing.F) {
	f.Add([]byte(`[{"name":"a","elements":[]},{"name":"b"}]`))
	f.Add([]byte("[\n]\n"))
	f.Add([]byte(`[{"a":1}] [`))
	f.Add([]byte(`{"not":"an array"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		p := filepath.Join(t.TempDir(), "cucumber.json")
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		var got []json.RawMessage
		err := eachFeature(t.Context(), p, func(feat json.RawMessage) error {
			got = append(got, append(json.RawMessage(nil), feat...))
			return nil
		})
		if err != nil {
			return
		}
		var want []map[string]any
		if err := json.Unmarshal(data, &want); err != nil {
			t.Fatalf("accepted what json.Unmarshal refuses as an array of objects: %v", err)
		}
		if len(got) != len(want) {
			t.Fatalf("%d features, json.Unmarshal %d", len(got), len(want))
		}
		for i, g := range got {
			var m map[string]any
			if err := json.Unmarshal(g, &m); err != nil || m == nil {
				t.Fatalf("feature %d is not an object: %q", i, g)
			}
		}
	})
}
