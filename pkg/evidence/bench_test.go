package evidence

import (
	"crypto/sha256"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"
)

// benchBundle writes a bundle of 200 artifacts totalling 20 MiB (plus
// results.json and junit.xml) and returns its dir and the artifacts' bytes.
func benchBundle(b *testing.B) (string, [][]byte) {
	b.Helper()
	const files, total = 200, 20 << 20
	run := sampleRun()
	var scenarios []Scenario
	var blobs [][]byte
	for s := range 20 {
		sc := Scenario{ID: fmt.Sprintf("s%02d", s), Name: "bench", Status: ScenarioPassed}
		for a := range files / 20 {
			data := make([]byte, total/files)
			for i := range data {
				data[i] = byte(i*7 + s*13 + a)
			}
			blobs = append(blobs, data)
			sc.Artifacts = append(sc.Artifacts, Artifact{Name: fmt.Sprintf("a%02d.bin", a), Data: data})
		}
		scenarios = append(scenarios, sc)
	}
	run.Targets[0].Scenarios = scenarios
	dir, err := Write(b.Context(), b.TempDir(), run, WithSigner(vectorKey()))
	if err != nil {
		b.Fatal(err)
	}
	return dir, blobs
}

func bundleSize(b *testing.B, dir string) int64 {
	var n int64
	for _, f := range bundleFilesOnDisk(b, dir) {
		info, err := os.Stat(filepath.Join(dir, filepath.FromSlash(f)))
		if err != nil {
			b.Fatal(err)
		}
		n += info.Size()
	}
	return n
}

// BenchmarkVerify measures Verify on ~200 files / 20 MiB (page cache warm).
// Compare with BenchmarkVerifyCeiling: hashing the same bytes from memory.
func BenchmarkVerify(b *testing.B) {
	dir, _ := benchBundle(b)
	b.SetBytes(bundleSize(b, dir))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Verify(b.Context(), dir, trustedKey()); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkVerifyCeiling is the raw ceiling: SHA-256 of the same artifact
// bytes, already in memory, one stream.
func BenchmarkVerifyCeiling(b *testing.B) {
	dir, blobs := benchBundle(b)
	b.SetBytes(bundleSize(b, dir))
	b.ReportAllocs()
	for b.Loop() {
		for _, blob := range blobs {
			sha256.Sum256(blob)
		}
	}
}

// BenchmarkVerifyCeilingReadFiles reads and hashes every file of the bundle
// with os.Open and io.Copy, without any checking: the ceiling including I/O.
func BenchmarkVerifyCeilingReadFiles(b *testing.B) {
	dir, _ := benchBundle(b)
	files := bundleFilesOnDisk(b, dir)
	b.SetBytes(bundleSize(b, dir))
	b.ReportAllocs()
	buf := make([]byte, 64<<10)
	for b.Loop() {
		for _, name := range files {
			f, err := os.Open(filepath.Join(dir, filepath.FromSlash(name)))
			if err != nil {
				b.Fatal(err)
			}
			h := sha256.New()
			if _, err := io.CopyBuffer(h, f, buf); err != nil {
				b.Fatal(err)
			}
			f.Close()
		}
	}
}
