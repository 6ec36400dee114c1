package realsrv

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
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
// UID) through host:port from an unknown AE title and returns its UID.
func storeNew(t *testing.T, host, port string) (string, error) {
	t.Helper()
	uid := "2.25.77123456000000000000" + strconv.Itoa(int(randomUint(t)%1000000000))
	dump := strings.Replace(studyDump, studySOPInstance, uid, 1)
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "x.dump"), []byte(dump), 0o644); err != nil {
		t.Fatal(err)
	}
	mustTool(t, "dump2dcm", "--write-xfer-little", filepath.Join(dir, "x.dump"), filepath.Join(dir, "x.dcm"))
	out, err := tool(t, "storescu", "--aetitle", randomAE(t), "--call", randomAE(t), host, port, filepath.Join(dir, "x.dcm"))
	if err != nil {
		return "", fmt.Errorf("storescu: %w\n%s", err, out)
	}
	return uid, nil
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
	serve(t, Storescp)
}

func storescpVerifiers() map[string]verifier {
	accepted := func(want any, out string, err error) error {
		if got := err == nil; got != want {
			return fmt.Errorf("association accepted=%v: %v\n%s", got, err, out)
		}
		return nil
	}
	return map[string]verifier{
		Cleartext: func(t *testing.T, srv *Server, want any) error {
			// A store through a recording relay: the patient's name
			// crosses the wire readable.
			r := newRelay(t, srv.Endpoint(DICOMPort))
			host, port, _ := strings.Cut(r.Addr, ":")
			if _, err := storeNew(t, host, port); err != nil {
				t.Fatal(err)
			}
			seen := string(r.Seen())
			return is("patient readable on the wire", strings.Contains(seen, PatientDICOM) && strings.Contains(seen, PatientMRN), want)
		},
		TLS: verifyTLSFlag,
		AnonymousAccess: func(t *testing.T, srv *Server, want any) error {
			// No user identity negotiation at all (echoscu sends none).
			out, err := echo(t, srv, "ECHOSCU", "ANY-SCP")
			return accepted(want, out, err)
		},
		AnyCallingAE: func(t *testing.T, srv *Server, want any) error {
			out, err := echo(t, srv, randomAE(t), "STORESCP")
			return accepted(want, out, err)
		},
		AnyCalledAE: func(t *testing.T, srv *Server, want any) error {
			out, err := echo(t, srv, "ECHOSCU", randomAE(t))
			return accepted(want, out, err)
		},
		CEcho: func(t *testing.T, srv *Server, want any) error {
			out, err := echo(t, srv, randomAE(t), randomAE(t))
			return accepted(want, out, err)
		},
		CStore: func(t *testing.T, srv *Server, want any) error {
			uid, err := storeNew(t, srv.Addr, strconv.Itoa(DICOMPort))
			if err == nil {
				_, err = os.Stat(filepath.Join(srv.DataDir, "SC."+uid))
			}
			return is(fmt.Sprintf("stored (%v)", err), err == nil, want)
		},
		PatientData: func(t *testing.T, srv *Server, want any) error {
			rel, ok := strings.CutPrefix(want.(string), "DataDir/")
			if !ok {
				return fmt.Errorf("not a DataDir location: %q", want)
			}
			out, err := tool(t, "dcmdump", filepath.Join(srv.DataDir, rel))
			if err != nil {
				return fmt.Errorf("dcmdump: %w\n%s", err, out)
			}
			for _, s := range []string{"PatientName", PatientDICOM, PatientMRN} {
				if !strings.Contains(out, s) {
					return fmt.Errorf("stored study lacks %q:\n%s", s, out)
				}
			}
			return nil
		},
	}
}
