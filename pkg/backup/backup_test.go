package backup_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wardsec/ward/pkg/atrest"
	"github.com/wardsec/ward/pkg/backup"
)

var when = time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)

func key(t testing.TB, id string) *atrest.RawKey {
	t.Helper()
	k, err := atrest.GenerateKey(id)
	require.NoError(t, err)
	return k
}

func sample() []backup.File {
	return []backup.File{
		{Name: "accounts", Data: []byte(`{"nurse":"hash"}`)},
		{Name: "patients/P-1001", Data: []byte(`{"name":"Ada Synthetic","note":"MARKER-123"}`)},
		{Name: "empty", Data: nil},
	}
}

func write(t testing.TB, k atrest.KeyWrapper, files []backup.File) []byte {
	t.Helper()
	var buf bytes.Buffer
	_, err := backup.Write(context.Background(), &buf, "SIM-1", when, files, k)
	require.NoError(t, err)
	return buf.Bytes()
}

func TestRoundTrip(t *testing.T) {
	k := key(t, "site")
	b := write(t, k, sample())
	assert.NotContains(t, string(b), "MARKER-123", "a backup is encrypted")

	m, files, err := backup.Read(context.Background(), bytes.NewReader(b), k)
	require.NoError(t, err)
	assert.Equal(t, "SIM-1", m.Source)
	assert.Equal(t, when, m.Created)
	require.Len(t, files, 3)
	for i, f := range sample() {
		assert.Equal(t, f.Name, files[i].Name)
		assert.Equal(t, string(f.Data), string(files[i].Data))
	}
	vm, err := backup.Verify(context.Background(), bytes.NewReader(b), k)
	require.NoError(t, err)
	assert.Equal(t, m, vm)
}

func TestWriteRefusesWithoutKeyAndBadNames(t *testing.T) {
	var buf bytes.Buffer
	_, err := backup.Write(context.Background(), &buf, "x", when, sample())
	assert.ErrorIs(t, err, backup.ErrNoKey, "an unencrypted backup is never written")
	for _, name := range []string{"", "/etc/passwd", "../up", "a/../../b", "a//b", ".", "a\\b"} {
		_, err := backup.Write(context.Background(), &buf, "x", when, []backup.File{{Name: name}}, key(t, "k"))
		assert.ErrorIs(t, err, backup.ErrBadName, "%q", name)
	}
	_, err = backup.Write(context.Background(), &buf, "x", when, []backup.File{{Name: "a"}, {Name: "a"}}, key(t, "k"))
	assert.ErrorIs(t, err, backup.ErrBadName, "duplicate names")
}

// Every single-bit flip anywhere in a backup is refused, and no file is
// returned.
func TestEveryBitFlipIsRefused(t *testing.T) {
	k := key(t, "site")
	b := write(t, k, sample())
	for i := range b {
		for bit := range 8 {
			mod := bytes.Clone(b)
			mod[i] ^= 1 << bit
			_, files, err := backup.Read(context.Background(), bytes.NewReader(mod), k)
			if err == nil {
				t.Fatalf("flip of byte %d bit %d accepted", i, bit)
			}
			if files != nil {
				t.Fatalf("flip of byte %d bit %d returned files", i, bit)
			}
		}
	}
}

func TestTruncationAndExtensionAreRefused(t *testing.T) {
	k := key(t, "site")
	b := write(t, k, sample())
	for n := range len(b) {
		_, _, err := backup.Read(context.Background(), bytes.NewReader(b[:n]), k)
		require.Error(t, err, "truncated to %d bytes", n)
	}
	_, _, err := backup.Read(context.Background(), bytes.NewReader(append(bytes.Clone(b), 0)), k)
	assert.Error(t, err, "extended by one byte")
}

func TestWrongKeyIsNamed(t *testing.T) {
	b := write(t, key(t, "site"), sample())
	_, _, err := backup.Read(context.Background(), bytes.NewReader(b), key(t, "other"))
	assert.ErrorIs(t, err, atrest.ErrNoMatchingKey)
	k2, err := atrest.NewRawKey("site", bytes.Repeat([]byte{7}, 32))
	require.NoError(t, err)
	_, _, err = backup.Read(context.Background(), bytes.NewReader(b), k2)
	assert.Error(t, err, "same id, wrong key bytes")
}

// A sealed stream that is valid atrest but not an archive (or an archive
// whose manifest lies) is corrupt.
func TestForgedArchivesUnderTheRightKeyAreCorrupt(t *testing.T) {
	k := key(t, "site")
	cases := map[string]string{
		"not an archive":     "hello",
		"bad manifest":       backup.Magic + "{not json}\n",
		"unknown field":      backup.Magic + `{"version":1,"extra":1,"entries":[]}` + "\n",
		"wrong version":      backup.Magic + `{"version":2,"entries":[]}` + "\n",
		"hash mismatch":      backup.Magic + `{"version":1,"entries":[{"name":"a","size":1,"sha256":"` + strings.Repeat("00", 32) + `"}]}` + "\nx",
		"short file":         backup.Magic + `{"version":1,"entries":[{"name":"a","size":5,"sha256":"` + strings.Repeat("00", 32) + `"}]}` + "\nx",
		"trailing data":      backup.Magic + `{"version":1,"entries":[]}` + "\nextra",
		"path traversal":     backup.Magic + `{"version":1,"entries":[{"name":"../x","size":0,"sha256":"` + strings.Repeat("00", 32) + `"}]}` + "\n",
		"negative size":      backup.Magic + `{"version":1,"entries":[{"name":"a","size":-1,"sha256":"` + strings.Repeat("00", 32) + `"}]}` + "\n",
		"no manifest ending": backup.Magic + `{"version":1,"entries":[]}`,
	}
	for name, pt := range cases {
		t.Run(name, func(t *testing.T) {
			sealed, err := atrest.Seal(context.Background(), []byte(pt), k)
			require.NoError(t, err)
			_, files, err := backup.Read(context.Background(), bytes.NewReader(sealed), k)
			assert.ErrorIs(t, err, backup.ErrCorrupt)
			assert.Nil(t, files)
		})
	}
}

func TestRestoreDirReplacesOnlyAfterVerifying(t *testing.T) {
	ctx := context.Background()
	k := key(t, "site")
	src := t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(src, "patients"), 0o700))
	require.NoError(t, os.WriteFile(filepath.Join(src, "patients", "P-1"), []byte("record one"), 0o600))
	require.NoError(t, os.WriteFile(filepath.Join(src, "accounts"), []byte("accounts"), 0o600))
	var buf bytes.Buffer
	m, err := backup.CreateDir(ctx, &buf, src, when, k)
	require.NoError(t, err)
	assert.Len(t, m.Entries, 2)

	dst := filepath.Join(t.TempDir(), "store")
	require.NoError(t, os.MkdirAll(dst, 0o700))
	require.NoError(t, os.WriteFile(filepath.Join(dst, "old"), []byte("old data"), 0o600))

	// A damaged backup leaves the old data exactly as it was.
	bad := bytes.Clone(buf.Bytes())
	bad[len(bad)/2] ^= 1
	_, _, err = backup.RestoreDir(ctx, bytes.NewReader(bad), dst, k)
	require.Error(t, err)
	got, err := os.ReadFile(filepath.Join(dst, "old"))
	require.NoError(t, err)
	assert.Equal(t, "old data", string(got))
	leftovers, _ := filepath.Glob(filepath.Join(filepath.Dir(dst), ".store.restore-*"))
	assert.Empty(t, leftovers, "no staging directory left behind")

	_, stats, err := backup.RestoreDir(ctx, bytes.NewReader(buf.Bytes()), dst, k)
	require.NoError(t, err)
	assert.Equal(t, 2, stats.Files)
	got, err = os.ReadFile(filepath.Join(dst, "patients", "P-1"))
	require.NoError(t, err)
	assert.Equal(t, "record one", string(got))
	assert.NoFileExists(t, filepath.Join(dst, "old"), "the restore replaces the directory")
}

func TestCreateDirRefusesSymlinks(t *testing.T) {
	src := t.TempDir()
	require.NoError(t, os.Symlink("/etc/passwd", filepath.Join(src, "link")))
	var buf bytes.Buffer
	_, err := backup.CreateDir(context.Background(), &buf, src, when, key(t, "k"))
	assert.Error(t, err)
}

func TestCancelledContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var buf bytes.Buffer
	_, err := backup.Write(ctx, &buf, "x", when, sample(), key(t, "k"))
	assert.True(t, errors.Is(err, context.Canceled), "%v", err)
}
