package evidence

import (
	"fmt"
	"testing"
)

// shardBundles writes fleetRun(n) as two shard bundles and returns them.
func shardBundles(b *testing.B, n int) []string {
	b.Helper()
	run := fleetRun(b, n)
	parent := b.TempDir()
	var dirs []string
	for i := 1; i <= 2; i++ {
		shard := *run
		shard.Shard = &Shard{Index: i, Count: 2}
		shard.Targets = nil
		for k, t := range run.Targets {
			if k%2 == i-1 {
				shard.Targets = append(shard.Targets, t)
			}
		}
		dir, err := Write(b.Context(), parent, &shard, WithSigner(vectorKey()), WithName(fmt.Sprintf("shard%d", i)))
		if err != nil {
			b.Fatal(err)
		}
		dirs = append(dirs, dir)
	}
	return dirs
}

// BenchmarkMergeFleet is `ward evidence merge` of two shards of 100
// pumps: verify and read both, then write the merged bundle.
func BenchmarkMergeFleet(b *testing.B) {
	dirs := shardBundles(b, 200)
	out := b.TempDir()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		run, err := Merge(b.Context(), dirs, trustedKey(), "merged")
		if err != nil {
			b.Fatal(err)
		}
		if _, err := Write(b.Context(), out, run, WithSigner(vectorKey()), WithName(fmt.Sprintf("m%d", i))); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

// BenchmarkDiffFleet is `ward evidence diff` of two 100-pump bundles:
// verify and read both, then compare.
func BenchmarkDiffFleet(b *testing.B) {
	dirs := shardBundles(b, 200)
	b.ReportAllocs()
	for b.Loop() {
		old, _, err := ReadVerifiedRun(b.Context(), dirs[0], trustedKey())
		if err != nil {
			b.Fatal(err)
		}
		next, _, err := ReadVerifiedRun(b.Context(), dirs[1], trustedKey())
		if err != nil {
			b.Fatal(err)
		}
		Diff(old, next)
	}
}
