package harness

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// oldTag is how reports were tagged before: every feature decoded into
// generic maps. tagCucumber must give the same JSON value.
func oldTag(t *testing.T, target string, rep []byte) any {
	t.Helper()
	var feats []map[string]any
	require.NoError(t, json.Unmarshal(rep, &feats))
	for _, f := range feats {
		tags, _ := f["tags"].([]any)
		f["tags"] = append(tags, map[string]any{"name": "@target:" + target, "line": 0})
	}
	b, err := json.Marshal(feats)
	require.NoError(t, err)
	var v any
	require.NoError(t, json.Unmarshal(b, &v))
	return v
}

func TestTagCucumberKeepsTheReport(t *testing.T) {
	rep := []byte(`[
 {"uri":"a.feature","id":"a","keyword":"Feature","name":"A","tags":[{"name":"@X-1","line":1}],
  "elements":[{"id":"a;s","name":"S","steps":[{"name":"a \"quoted\" <step>","result":{"status":"passed","duration":5},
   "embeddings":[{"mime_type":"text/plain","data":"aGk="}]}]}]},
 {"uri":"b.feature","id":"b","keyword":"Feature","name":"B","elements":[]}
]`)
	target := "sim://infusion-pump?serial=A&weaken=no-auth"
	got, err := tagCucumber(target, rep)
	require.NoError(t, err)
	var v any
	require.NoError(t, json.Unmarshal(got, &v))
	assert.Equal(t, oldTag(t, target, rep), v)

	merged, err := mergeCucumber([]string{target, "x", "sim://b"}, [][]byte{rep, nil, rep})
	require.NoError(t, err)
	var feats []map[string]any
	require.NoError(t, json.Unmarshal(merged, &feats))
	require.Len(t, feats, 4, "two features per non-empty report, none for an empty one")
	assert.Equal(t, []any{map[string]any{"name": "@target:sim://b", "line": float64(0)}}, feats[3]["tags"])

	empty, err := tagCucumber(target, nil)
	require.NoError(t, err)
	assert.Nil(t, empty)
	_, err = tagCucumber(target, []byte(`{"not":"an array"}`))
	assert.Error(t, err)
}
