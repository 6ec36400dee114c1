package realsrv

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// SNMPPort is snmpd's UDP port.
const SNMPPort = 161

// SNMPCommunity is the read community of Debian's stock snmpd.conf.
const SNMPCommunity = "public"

// Numeric OIDs (Debian ships no MIB files).
const (
	OIDSysDescr    = ".1.3.6.1.2.1.1.1.0"
	OIDSysContact  = ".1.3.6.1.2.1.1.4.0"
	OIDSysLocation = ".1.3.6.1.2.1.1.6.0"
)

// SNMPLocation is the agent's sysLocation: where the device is.
const SNMPLocation = "Ward test device, room 3B"

// snmpdConf is Debian's stock /etc/snmp/snmpd.conf (the system view,
// rocommunity public from anywhere) without the AgentX master socket and
// the include directory, listening on every address instead of only
// loopback: the common insecure deployment.
const snmpdConf = `sysLocation    ` + SNMPLocation + `
sysContact     Biomed <biomed@example.org>
sysServices    72
agentaddress  udp:%d
view   systemonly  included   .1.3.6.1.2.1.1
view   systemonly  included   .1.3.6.1.2.1.25.1
rocommunity  public default -V systemonly
rocommunity6 public default -V systemonly
`

// snmpArgs are an SNMP v2c client tool's arguments: wait up to timeout
// seconds per try, retry retries times (an agent drops what it refuses,
// so a refusal costs the whole wait).
func snmpArgs(community, addr, timeout string, retries int, rest ...string) []string {
	return append([]string{"-v2c", "-c", community, "-m", "", "-On", "-t", timeout, "-r", strconv.Itoa(retries), addr}, rest...)
}

// startSnmpd runs net-snmp's agent as Debian does (as Debian-snmp, the
// same modules disabled) with the stock configuration, on UDP 161.
func startSnmpd(ctx context.Context, s *Server) error {
	conf := filepath.Join(s.Dir, "snmpd.conf")
	if err := os.WriteFile(conf, []byte(fmt.Sprintf(snmpdConf, SNMPPort)), 0o644); err != nil {
		return err
	}
	persist := filepath.Join(s.Dir, "persist")
	if err := os.Mkdir(persist, 0o777); err != nil {
		return err
	}
	release, err := run(ctx, s.Dir, "uname", "-r")
	if err != nil {
		return err
	}
	// -C: only our configuration file; -Lo: log to stdout.
	p, err := s.spawnEnv([]string{"SNMP_PERSISTENT_DIR=" + persist}, "snmpd", "-f", "-Lo", "-C", "-c", conf,
		"-u", "Debian-snmp", "-g", "Debian-snmp", "-I", "-smux,mteTrigger,mteTriggerConf",
		"-p", filepath.Join(s.Dir, "snmpd.pid"))
	if err != nil {
		return err
	}
	// UDP has no handshake: ready when it answers a GET.
	for {
		out, err := run(ctx, s.Dir, "snmpget", snmpArgs(SNMPCommunity, s.Addr, "0.2", 0, OIDSysDescr)...)
		if err == nil && strings.Contains(out, "STRING") {
			break
		}
		select {
		case <-p.exited:
			return fmt.Errorf("snmpd exited (%v)", p.cmd.ProcessState)
		case <-ctx.Done():
			return fmt.Errorf("snmpd does not answer: %w (%v)", ctx.Err(), err)
		case <-time.After(20 * time.Millisecond):
		}
	}
	s.Truths = Truths{
		Cleartext:              true,
		DefaultCredentials:     SNMPCommunity,
		AuthMechanism:          "snmp-v2c-community",
		WriteAccess:            false,
		ServerVersionDisclosed: strings.TrimSpace(release),
	}
	return nil
}
