package update

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzVersionLog: whatever a repository serves under whatever name, and
// whatever the state directory holds, telling a rollback from a
// disagreement never panics, and a served timestamp, snapshot or targets
// file older than the trusted one of its role is a rollback. (Role names
// with a path separator, "." or ".." are never looked up: loadTrusted.)
func FuzzVersionLog(f *testing.F) {
	f.Add("timestamp.json", []byte(`{"signed":{"version":3,"meta":{"snapshot.json":{"version":3}}}}`), []byte(`{"signed":{"version":4,"meta":{"snapshot.json":{"version":4}}}}`))
	f.Add("5.snapshot.json", []byte(`{"signed":{"version":5,"meta":{"targets.json":{"version":1}}}}`), []byte(`{"signed":{"version":4,"meta":{"targets.json":{"version":2}}}}`))
	f.Add("3.root.json", []byte(`{"signed":{"version":1}}`), []byte(``))
	f.Add("../../etc/passwd.json", []byte(`{"signed":{"version":1}}`), []byte(`{"signed":{"version":9}}`))
	f.Add("2.%2F..%2Fx.json", []byte(`{"signed":{"version":-1,"meta":null}}`), []byte(`[]`))
	f.Fuzz(func(t *testing.T, name string, served, trusted []byte) {
		dir := t.TempDir()
		for _, role := range []string{"timestamp", "snapshot", "targets", "root"} {
			if err := os.WriteFile(filepath.Join(dir, role+".json"), trusted, 0o600); err != nil {
				t.Fatal(err)
			}
		}
		const base = "https://repo.example/metadata"
		l := newVersionLog(base, dir)
		l.record(base+"/"+name, served)
		got := l.rollback()
		s, ok1 := parseVersions(served)
		tr, ok2 := parseVersions(trusted)
		switch name {
		case "timestamp.json", "9.snapshot.json", "9.targets.json":
			if ok1 && ok2 && s.Signed.Version < tr.Signed.Version && !got {
				t.Fatalf("%s version %d served, %d trusted: not a rollback", name, s.Signed.Version, tr.Signed.Version)
			}
		}
		_ = versionError(l)
	})
}
