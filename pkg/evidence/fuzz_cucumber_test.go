package evidence

import (
	"encoding/json"
	"testing"
)

// FuzzCucumberFeatures: whatever a cucumber report holds, the features
// cucumberFeatures returns are one JSON object per line, as many as the
// report had, each ending with the target's tag, so cucumber.json is
// always valid JSON.
func FuzzCucumberFeatures(f *testing.F) {
	f.Add([]byte(`[{"name":"f","tags":[{"name":"@a","line":1}],"elements":[]}]`), "sim://x")
	f.Add([]byte(`[]`), "u")
	f.Add([]byte(`[{"tags":null}]`), "u\n\"")
	f.Add([]byte(`[{"tags":{}}]`), "u")
	f.Add([]byte(`{}`), "u")
	f.Fuzz(func(t *testing.T, report []byte, uri string) {
		out, err := cucumberFeatures(report, uri)
		if err != nil {
			return
		}
		var in []json.RawMessage
		if err := json.Unmarshal(report, &in); err != nil {
			t.Fatalf("accepted a report that is not an array: %v", err)
		}
		var feats []struct {
			Tags []struct {
				Name string `json:"name"`
			} `json:"tags"`
		}
		doc := append(append([]byte("[\n"), out...), "\n]\n"...)
		if err := json.Unmarshal(doc, &feats); err != nil {
			t.Fatalf("cucumber.json would not be JSON: %v\n%s", err, doc)
		}
		if len(feats) != len(in) {
			t.Fatalf("%d features, report had %d", len(feats), len(in))
		}
		for _, ft := range feats {
			if len(ft.Tags) == 0 || ft.Tags[len(ft.Tags)-1].Name != cucumberTag(uri) {
				t.Fatalf("feature not tagged with its target: %+v", ft)
			}
		}
	})
}
