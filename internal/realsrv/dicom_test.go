package realsrv

import (
	"crypto/rand"
	"encoding/hex"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// randomAE is an AE title the server cannot have been configured with.
func randomAE(t *testing.T) string {
	b := make([]byte, 4)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return "X" + strings.ToUpper(hex.EncodeToString(b))
}

func echo(t *testing.T, srv *Server, calling, called string) (string, error) {
	return tool(t, "echoscu", "--aetitle", calling, "--call", called, srv.Addr, strconv.Itoa(DICOMPort))
}

// storeNew stores a new object of the test patient (fresh SOP instance
// UID) through addr and returns its UID.
func storeNew(t *testing.T, srv *Server, host, port string) string {
	t.Helper()
	uid := "2.25.77123456000000000000" + strconv.Itoa(int(randomUint(t)%1000000000))
	dump := strings.Replace(studyDump, studySOPInstance, uid, 1)
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "x.dump"), []byte(dump), 0o644); err != nil {
		t.Fatal(err)
	}
	mustTool(t, "dump2dcm", "--write-xfer-little", filepath.Join(dir, "x.dump"), filepath.Join(dir, "x.dcm"))
	mustTool(t, "storescu", "--aetitle", randomAE(t), "--call", randomAE(t), host, port, filepath.Join(dir, "x.dcm"))
	return uid
}

func randomUint(t *testing.T) uint64 {
	b := make([]byte, 8)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	var n uint64
	for _, x := range b {
		n = n<<8 | uint64(x)
	}
	return n
}

func TestStorescp(t *testing.T) {
	t.Parallel()
	ok := func(t *testing.T, want any, out string, err error) {
		if got := err == nil; got != want {
			t.Errorf("association accepted=%v, truth says %v: %v\n%s", got, want, err, out)
		}
	}
	serve(t, Storescp, map[string]verifier{
		Cleartext: func(t *testing.T, srv *Server, want any) {
			// A store through a recording relay: the patient's name
			// crosses the wire readable.
			r := newRelay(t, srv.Endpoint(DICOMPort))
			host, port, _ := strings.Cut(r.Addr, ":")
			storeNew(t, srv, host, port)
			seen := string(r.Seen())
			got := strings.Contains(seen, PatientDICOM) && strings.Contains(seen, PatientMRN)
			if got != want {
				t.Errorf("patient readable on the wire=%v, truth says %v", got, want)
			}
		},
		TLS: verifyTLSFlag,
		AnonymousAccess: func(t *testing.T, srv *Server, want any) {
			// No user identity negotiation at all (echoscu sends none).
			out, err := echo(t, srv, "ECHOSCU", "ANY-SCP")
			ok(t, want, out, err)
		},
		AnyCallingAE: func(t *testing.T, srv *Server, want any) {
			out, err := echo(t, srv, randomAE(t), "STORESCP")
			ok(t, want, out, err)
		},
		AnyCalledAE: func(t *testing.T, srv *Server, want any) {
			out, err := echo(t, srv, "ECHOSCU", randomAE(t))
			ok(t, want, out, err)
		},
		CEcho: func(t *testing.T, srv *Server, want any) {
			out, err := echo(t, srv, randomAE(t), randomAE(t))
			ok(t, want, out, err)
		},
		CStore: func(t *testing.T, srv *Server, want any) {
			uid := storeNew(t, srv, srv.Addr, strconv.Itoa(DICOMPort))
			_, err := os.Stat(filepath.Join(srv.DataDir, "SC."+uid))
			if got := err == nil; got != want {
				t.Errorf("stored=%v, truth says %v: %v", got, want, err)
			}
		},
		PatientData: func(t *testing.T, srv *Server, want any) {
			rel, ok := strings.CutPrefix(want.(string), "DataDir/")
			if !ok {
				t.Fatalf("unexpected location %q", want)
			}
			out := mustTool(t, "dcmdump", filepath.Join(srv.DataDir, rel))
			for _, s := range []string{"PatientName", PatientDICOM, PatientMRN} {
				if !strings.Contains(out, s) {
					t.Errorf("stored study lacks %q:\n%s", s, out)
				}
			}
		},
	})
}
