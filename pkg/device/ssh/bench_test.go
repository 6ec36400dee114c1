package ssh_test

import (
	"bytes"
	"context"
	"net/url"
	"os"
	"path/filepath"
	"testing"

	xssh "golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"

	"github.com/wardsec/ward/internal/sshdtest"
	wssh "github.com/wardsec/ward/pkg/device/ssh"
)

// BenchmarkReadStored compares the driver's read of one 64 KiB stored file
// with the ceiling: a bare x/crypto/ssh session running the same cat on an
// open connection. The difference is the driver's bounding and checks.
func BenchmarkReadStored(b *testing.B) {
	s := sshdtest.Start(b)
	root := b.TempDir()
	file := filepath.Join(root, "data", "blob")
	if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
		b.Fatal(err)
	}
	if err := os.WriteFile(file, bytes.Repeat([]byte("x"), 64<<10), 0o644); err != nil {
		b.Fatal(err)
	}
	prof := filepath.Join(b.TempDir(), "p.json")
	if err := os.WriteFile(prof, []byte(`{"root":"`+root+`","data":["data"]}`), 0o600); err != nil {
		b.Fatal(err)
	}
	u, _ := url.Parse(s.Target("profile=" + prof))
	d, err := wssh.Open(context.Background(), u)
	if err != nil {
		b.Fatal(err)
	}
	defer d.Close()
	dev := d.(*wssh.Device)
	b.Run("driver", func(b *testing.B) {
		b.SetBytes(64 << 10)
		for b.Loop() {
			if _, err := dev.ReadStored(context.Background(), "data/blob"); err != nil {
				b.Fatal(err)
			}
		}
	})

	key, _ := os.ReadFile(s.UserKey)
	signer, _ := xssh.ParsePrivateKey(key)
	cb, _ := knownhosts.New(s.KnownHosts)
	c, err := xssh.Dial("tcp", s.Addr(), &xssh.ClientConfig{User: "root", Auth: []xssh.AuthMethod{xssh.PublicKeys(signer)}, HostKeyCallback: cb})
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	b.Run("raw-session", func(b *testing.B) {
		b.SetBytes(64 << 10)
		for b.Loop() {
			sess, err := c.NewSession()
			if err != nil {
				b.Fatal(err)
			}
			if _, err := sess.Output("cat -- '" + file + "'"); err != nil {
				b.Fatal(err)
			}
			sess.Close()
		}
	})
}

// BenchmarkOpen is the cost of opening a target as a scenario does:
// "dial" logs in each time (ssh.Open), "pooled" reuses the run's
// connection (ssh.Driver, what ward check uses).
func BenchmarkOpen(b *testing.B) {
	s := sshdtest.Start(b)
	u, _ := url.Parse(s.Target(""))
	b.Run("dial", func(b *testing.B) {
		for b.Loop() {
			d, err := wssh.Open(context.Background(), u)
			if err != nil {
				b.Fatal(err)
			}
			d.Close()
		}
	})
	b.Run("pooled", func(b *testing.B) {
		dr := wssh.NewDriver()
		defer dr.Close()
		for b.Loop() {
			d, err := dr.Open(context.Background(), u)
			if err != nil {
				b.Fatal(err)
			}
			d.Close()
		}
	})
}
