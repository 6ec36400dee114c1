package realsrv

import (
	"fmt"
	"net"
	"slices"
	"strings"
	"sync"
	"testing"
)

// udpRelay forwards datagrams from one loopback client to target and
// back, recording every byte.
type udpRelay struct {
	Addr string
	mu   sync.Mutex
	seen []byte
}

func newUDPRelay(t *testing.T, target string) *udpRelay {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	up, err := net.Dial("udp", target)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Close(); up.Close() })
	r := &udpRelay{Addr: pc.LocalAddr().String()}
	var client net.Addr
	var cmu sync.Mutex
	go func() {
		buf := make([]byte, 65535)
		for {
			n, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			cmu.Lock()
			client = from
			cmu.Unlock()
			r.record(buf[:n])
			_, _ = up.Write(buf[:n])
		}
	}()
	go func() {
		buf := make([]byte, 65535)
		for {
			n, err := up.Read(buf)
			if err != nil {
				return
			}
			r.record(buf[:n])
			cmu.Lock()
			to := client
			cmu.Unlock()
			if to != nil {
				_, _ = pc.WriteTo(buf[:n], to)
			}
		}
	}()
	return r
}

func (r *udpRelay) record(b []byte) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.seen = append(r.seen, b...)
}

func (r *udpRelay) Seen() []byte {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.seen)
}

func TestSnmpd(t *testing.T) {
	t.Parallel()
	serve(t, Snmpd)
}

func snmpVerifiers() map[string]verifier {
	get := func(t *testing.T, community, addr, oid string) (string, error) {
		if community != SNMPCommunity {
			// Expected to go unanswered: do not wait long.
			return tool(t, "snmpget", snmpArgs(community, addr, "0.5", 0, oid)...)
		}
		return tool(t, "snmpget", snmpArgs(community, addr, "1", 2, oid)...)
	}
	return map[string]verifier{
		Cleartext: func(t *testing.T, srv *Server, want any) error {
			r := newUDPRelay(t, srv.Endpoint(SNMPPort))
			out, err := get(t, SNMPCommunity, "udp:"+r.Addr, OIDSysLocation)
			if err != nil || !strings.Contains(out, SNMPLocation) {
				t.Fatalf("snmpget through the relay: %v\n%s", err, out)
			}
			seen := string(r.Seen())
			return is("community and answer readable on the wire", strings.Contains(seen, SNMPCommunity) && strings.Contains(seen, SNMPLocation), want)
		},
		DefaultCredentials: func(t *testing.T, srv *Server, want any) error {
			if out, err := get(t, "not-"+SNMPCommunity, srv.Addr, OIDSysDescr); err == nil {
				t.Fatalf("a wrong community is answered:\n%s", out)
			}
			out, err := get(t, want.(string), srv.Addr, OIDSysDescr)
			if err != nil || !strings.Contains(out, "STRING") {
				return fmt.Errorf("community %q: %v\n%s", want, err, out)
			}
			return nil
		},
		AuthMechanism: func(t *testing.T, srv *Server, want any) error {
			if want != "snmp-v2c-community" {
				return fmt.Errorf("no check for mechanism %q", want)
			}
			// v2c with a community answers; v1 does too (same community
			// model), and no v3 user exists to try.
			out, err := get(t, SNMPCommunity, srv.Addr, OIDSysDescr)
			if err != nil {
				return fmt.Errorf("v2c GET: %v\n%s", err, out)
			}
			return nil
		},
		WriteAccess: func(t *testing.T, srv *Server, want any) error {
			out, err := tool(t, "snmpset", snmpArgs(SNMPCommunity, srv.Addr, "1", 2, OIDSysContact, "s", "attacker")...)
			if err == nil {
				// Really written? Read it back.
				out, err = get(t, SNMPCommunity, srv.Addr, OIDSysContact)
				if err == nil && !strings.Contains(out, "attacker") {
					err = fmt.Errorf("SET reported success but nothing changed")
				}
			}
			return is(fmt.Sprintf("SET with the read community (%v, %q)", err, strings.TrimSpace(out)), err == nil, want)
		},
		ServerVersionDisclosed: func(t *testing.T, srv *Server, want any) error {
			out, err := get(t, SNMPCommunity, srv.Addr, OIDSysDescr)
			if err != nil || !strings.Contains(out, "Linux") || !strings.Contains(out, " "+want.(string)+" ") {
				return fmt.Errorf("sysDescr %q: %v", strings.TrimSpace(out), err)
			}
			return nil
		},
	}
}
