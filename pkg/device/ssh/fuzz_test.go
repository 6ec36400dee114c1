package ssh

import (
	"strings"
	"testing"
)

// FuzzParseProfile: any input either fails with ErrProfile or yields a
// profile whose paths all stay below the root.
func FuzzParseProfile(f *testing.F) {
	f.Add([]byte(`{"root":"/","data":["var/lib/pump"],"test_data":["Ada Testpatient"],"documented_ports":["tcp/443"]}`))
	f.Add([]byte(`{"data":["../x"]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := ParseProfile(b)
		if err != nil {
			return
		}
		for _, d := range append(append([]string{}, p.Data...), p.Logs...) {
			if _, err := relPath(d); err != nil {
				t.Fatalf("accepted path %q: %v", d, err)
			}
		}
		if !strings.HasPrefix(p.Root, "/") {
			t.Fatalf("accepted root %q", p.Root)
		}
	})
}

// FuzzParseSS: no panic; every port parsed is in range.
func FuzzParseSS(f *testing.F) {
	f.Add([]byte("LISTEN 0 128 0.0.0.0:22 0.0.0.0:*\nLISTEN 0 4096 [::]:443 [::]:*\nLISTEN 0 4096 127.0.0.53%lo:53 0.0.0.0:*\n"))
	f.Add([]byte("LISTEN 0 5 *:8080 *:* users:((\"x\",pid=1,fd=3))\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		ports, err := parseSS(b)
		if err != nil {
			return
		}
		for _, p := range ports {
			if p.Port < 0 || p.Port > 65535 || (p.Proto != "tcp" && p.Proto != "udp") {
				t.Fatalf("bad port %+v", p)
			}
		}
	})
}

// FuzzParseOSRelease: no panic; keys never hold spaces or quotes.
func FuzzParseOSRelease(f *testing.F) {
	f.Add([]byte("NAME=\"Acme Linux\"\nVERSION_ID=4.2\n# comment\nPRETTY_NAME='x y'\nBAD LINE\nESC=\"a\\\"b\"\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		for k := range parseOSRelease(b) {
			if k == "" || strings.ContainsAny(k, " \t\"'\n") {
				t.Fatalf("bad key %q", k)
			}
		}
	})
}

func FuzzParseSSHDConfig(f *testing.F) {
	f.Add([]byte("PasswordAuthentication no\nInclude /etc/ssh/sshd_config.d/*.conf\nMatch all\n"), []byte("PermitRootLogin=yes\n"))
	f.Add([]byte("Include a b\n"), []byte("Include c\n"))
	f.Fuzz(func(t *testing.T, conf, inc []byte) {
		m, _, err := parseSSHDConfig(conf, func(string) ([]byte, error) { return inc, nil })
		if err != nil {
			return
		}
		for k := range sshdDefaults {
			if _, ok := m[k]; !ok {
				t.Fatalf("default %s missing", k)
			}
		}
		if len(m) > maxSettings+len(sshdDefaults) {
			t.Fatalf("%d settings", len(m))
		}
	})
}

func FuzzParseSSHDT(f *testing.F) {
	f.Add([]byte("port 22\npasswordauthentication no\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := parseSSHDT(b)
		if err == nil && len(m) == 0 {
			t.Fatal("no settings but no error")
		}
	})
}

func FuzzParseAccounts(f *testing.F) {
	f.Add([]byte("root:x:0:0:root:/root:/bin/sh\nguest::1:1::/:/bin/sh\n"), []byte("root:!:1::::::\n"))
	f.Fuzz(func(t *testing.T, passwd, shadow []byte) {
		accts, err := parseAccounts(passwd, shadow)
		if err != nil {
			return
		}
		for _, a := range accts {
			switch a.Password {
			case "empty", "locked", "set":
			default:
				t.Fatalf("state %q", a.Password)
			}
		}
	})
}

func FuzzParseSSProcesses(f *testing.F) {
	f.Add([]byte("tcp LISTEN 0 128 0.0.0.0:22 0.0.0.0:* users:((\"sshd\",pid=812,fd=3))\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		ls, err := parseSSProcesses(b)
		if err != nil {
			return
		}
		for _, l := range ls {
			if l.pid < 0 {
				t.Fatalf("pid %d", l.pid)
			}
		}
		parseUIDs(b)
	})
}
