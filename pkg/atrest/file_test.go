package atrest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"
)

func leftovers(t *testing.T, dir string) []string {
	t.Helper()
	m, _ := filepath.Glob(filepath.Join(dir, ".*.tmp-*"))
	return m
}

// TestFailedWriteLeavesOldFileWhole: a write that fails halfway, a rewrap
// that fails just before the rename and a re-encryption that finds damage
// all leave the old file byte for byte, and no temporary file.
func TestFailedWriteLeavesOldFileWhole(t *testing.T) {
	ctx := context.Background()
	alice, bob := testKey(t, "alice"), testKey(t, "bob")
	dir := t.TempDir()
	name := filepath.Join(dir, "patient.sealed")
	if err := WriteFile(ctx, name, []byte("old record"), alice); err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(name)
	check := func(what string) {
		t.Helper()
		if after, _ := os.ReadFile(name); !bytes.Equal(after, before) {
			t.Fatalf("%s changed the file", what)
		}
		if l := leftovers(t, dir); len(l) != 0 {
			t.Fatalf("%s left %v", what, l)
		}
		if got, err := ReadFile(ctx, name, alice); err != nil || string(got) != "old record" {
			t.Fatalf("%s: old file does not open: %v", what, err)
		}
	}

	newSealed, _ := Seal(ctx, pattern(100_000), alice)
	err := WriteFileAtomic(name, 0o600, func(w io.Writer) error {
		w.Write(newSealed[:len(newSealed)/2])
		return errors.New("power lost")
	})
	if err == nil {
		t.Fatal("no error")
	}
	check("a write failing halfway")

	testHookBeforeRename = func(string) error { return errors.New("rename interrupted") }
	err = RewrapFile(ctx, name, Rewrapping{Unwrap: []KeyUnwrapper{alice}, Add: []KeyWrapper{bob}, Remove: []string{"alice"}})
	testHookBeforeRename = nil
	if err == nil {
		t.Fatal("no error")
	}
	check("a rewrap failing before the rename")

	err = RewrapFile(ctx, name, Rewrapping{Unwrap: []KeyUnwrapper{bob}, Add: []KeyWrapper{bob}})
	if !errors.Is(err, ErrNoMatchingKey) {
		t.Fatalf("rewrap with a key that does not open it: %v", err)
	}
	check("a rewrap with the wrong key")

	damaged := filepath.Join(dir, "damaged.sealed")
	bad := slices.Clone(before)
	bad[len(bad)-3] ^= 1
	os.WriteFile(damaged, bad, 0o600)
	if err := ReencryptFile(ctx, damaged, []KeyUnwrapper{alice}, nil, bob); !errors.Is(err, ErrAuthentication) {
		t.Fatalf("ReencryptFile of a damaged file: %v", err)
	}
	if after, _ := os.ReadFile(damaged); !bytes.Equal(after, bad) {
		t.Fatal("ReencryptFile replaced a file it could not authenticate")
	}
	check("a failed re-encryption of another file")
}

const crashEnv = "WARD_ATREST_CRASH_FILE"

// TestCrashHelper is the process TestKillDuringWriteLeavesOldOrNewWhole
// kills: it rewrites the file over and over, alternating a rewrite with
// WriteFile and a RewrapFile, until it is killed.
func TestCrashHelper(t *testing.T) {
	name := os.Getenv(crashEnv)
	if name == "" {
		t.Skip("helper process for TestKillDuringWriteLeavesOldOrNewWhole")
	}
	ctx := context.Background()
	alice, bob := testKey(t, "alice"), testKey(t, "bob")
	for v := 1; ; v++ {
		if err := WriteFile(ctx, name, crashVersion(v), alice, bob); err != nil {
			t.Fatal(err)
		}
		rw := Rewrapping{Unwrap: []KeyUnwrapper{alice}, Remove: []string{"bob"}, Add: []KeyWrapper{bob}}
		if err := RewrapFile(ctx, name, rw); err != nil {
			t.Fatal(err)
		}
	}
}

// crashVersion is version v of the file: 2 MiB of the byte v with v in
// the first 8 bytes.
func crashVersion(v int) []byte {
	b := bytes.Repeat([]byte{byte(v)}, 2<<20)
	copy(b, fmt.Sprintf("%08d", v))
	return b
}

// TestKillDuringWriteLeavesOldOrNewWhole kills (SIGKILL) a process that
// keeps replacing a sealed file, at random moments, and checks that the
// file always opens and holds one whole version.
func TestKillDuringWriteLeavesOldOrNewWhole(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns processes")
	}
	ctx := context.Background()
	alice := testKey(t, "alice")
	dir := t.TempDir()
	name := filepath.Join(dir, "pump.sealed")
	if err := WriteFile(ctx, name, crashVersion(0), alice); err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(3, 4))
	seen := map[int]bool{}
	for round := range 8 {
		cmd := exec.Command(os.Args[0], "-test.run=^TestCrashHelper$", "-test.count=1")
		cmd.Env = append(os.Environ(), crashEnv+"="+name)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Duration(30+rng.IntN(150)) * time.Millisecond)
		cmd.Process.Kill()
		cmd.Wait()
		got, err := ReadFile(ctx, name, alice)
		if err != nil {
			t.Fatalf("round %d: the file does not open after kill -9: %v", round, err)
		}
		v, err := strconv.Atoi(string(got[:8]))
		if err != nil || !bytes.Equal(got, crashVersion(v)) {
			t.Fatalf("round %d: the file holds no whole version", round)
		}
		seen[v] = true
	}
	t.Logf("versions found after kills: %v; temp files left: %d", seen, len(leftovers(t, dir)))
}
