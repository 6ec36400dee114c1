package ssh

import (
	"crypto/ed25519"
	"crypto/rand"
	"os"
	"path/filepath"
	"testing"

	xssh "golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

// The host-key algorithms asked for in the handshake come from the
// known_hosts entry for the exact address dialled, port 22 included
// (OpenSSH writes that one without the port). No sshd needed.
func TestHostKeyAlgorithmsPerPort(t *testing.T) {
	pub, _, _ := ed25519.GenerateKey(rand.Reader)
	pk, _ := xssh.NewPublicKey(pub)
	file := filepath.Join(t.TempDir(), "known_hosts")
	lines := knownhosts.Line([]string{knownhosts.Normalize("10.0.0.7:22")}, pk) + "\n" +
		knownhosts.Line([]string{knownhosts.Normalize("10.0.0.8:2222")}, pk) + "\n"
	if err := os.WriteFile(file, []byte(lines), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		addr string
		want []string
	}{
		{"10.0.0.7:22", []string{xssh.KeyAlgoED25519}},
		{"10.0.0.8:2222", []string{xssh.KeyAlgoED25519}},
		{"10.0.0.8:22", nil},   // known on another port only
		{"10.0.0.7:2222", nil}, // likewise
	} {
		_, algos, err := hostKeyCallback(file, tc.addr)
		if err != nil {
			t.Fatal(err)
		}
		if len(algos) != len(tc.want) || (len(algos) > 0 && algos[0] != tc.want[0]) {
			t.Errorf("%s: algorithms %v, want %v", tc.addr, algos, tc.want)
		}
	}
}
