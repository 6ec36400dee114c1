package ssh

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/netip"
	"path"
	"slices"
	"strconv"
	"strings"

	"github.com/wardsec/ward/pkg/device"
)

// Defaults of the profile's host-check paths (relative to the root).
var (
	defaultSSHDConfig = "etc/ssh/sshd_config"
	defaultKeyPaths   = []string{"etc/ssh", "etc/ssl/private", "root/.ssh", "home"}
)

// maxIncludes bounds the sshd_config Include files read for one check.
const maxIncludes = 32

// HostFacts implements device.HostConfig: the OpenSSH server's settings
// (`sshd -T` when the root is "/", else the config file and its Includes),
// the accounts of /etc/passwd and /etc/shadow, and world-readable private
// keys below the profile's key paths. A fact that cannot be read (no
// sshd, a login that may not read /etc/shadow) is named in Unobserved with
// the reason; only a broken connection is an error.
func (d *Device) HostFacts(ctx context.Context) (device.HostFacts, error) {
	f := device.HostFacts{Unobserved: map[string]string{}}
	fatal := func(err error) bool { return errors.Is(err, ErrTimeout) || errors.Is(err, context.Canceled) }

	if err := d.sshdFacts(ctx, &f); err != nil {
		if fatal(err) {
			return f, err
		}
		f.Unobserved[device.FactSSHD] = err.Error()
	}

	passwd, err := d.readFile(ctx, "etc/passwd")
	var shadow []byte
	if err == nil {
		shadow, err = d.readFile(ctx, "etc/shadow")
	}
	if err == nil {
		f.Accounts, err = parseAccounts(passwd, shadow)
	}
	if err != nil {
		if fatal(err) {
			return f, err
		}
		f.Unobserved[device.FactAccounts] = err.Error()
	}

	if f.Packages, f.PackageManager, err = d.packages(ctx); err != nil {
		if fatal(err) {
			return f, err
		}
		f.Packages = nil
		f.Unobserved[device.FactPackages] = err.Error()
	}
	if d.advisories != nil {
		f.Advisories = slices.Clone(d.advisories)
	} else {
		f.Unobserved[device.FactAdvisories] = "no advisories file in the ssh profile"
	}

	if f.RootServices, err = d.rootServices(ctx); err != nil {
		if fatal(err) {
			return f, err
		}
		f.RootServices = nil
		f.Unobserved[device.FactRootServices] = err.Error()
	}

	if f.LogSecrets, err = d.logSecrets(ctx); err != nil {
		if fatal(err) {
			return f, err
		}
		f.LogSecrets = nil
		f.Unobserved[device.FactLogSecrets] = err.Error()
	}

	keys, err := d.exposedKeys(ctx)
	if err != nil {
		if fatal(err) {
			return f, err
		}
		f.Unobserved[device.FactExposedKeys] = err.Error()
	} else {
		f.ExposedKeys = keys
	}
	return f, nil
}

func (d *Device) sshdFacts(ctx context.Context, f *device.HostFacts) error {
	conf := d.profile.SSHDConfig
	if conf == "" {
		conf = defaultSSHDConfig
	}
	if d.profile.Root == "/" {
		// The server's own view, Match defaults and Includes resolved.
		out, err := d.run(ctx, "sshd -T", "PATH=$PATH:/usr/sbin:/sbin sshd -T -f "+shellQuote(d.abs(conf)), nil)
		if err == nil {
			var settings map[string]string
			if settings, err = parseSSHDT(out); err == nil {
				// sshd -T shows the settings outside Match blocks only:
				// read the file to learn whether there are any.
				_, matched, ferr := d.parseSSHDFile(ctx, conf)
				if ferr != nil && (errors.Is(ferr, ErrTimeout) || errors.Is(ferr, context.Canceled)) {
					return ferr
				}
				f.SSHD, f.SSHDSource, f.SSHDConditional = settings, "sshd -T", matched || ferr != nil
				return nil
			}
		}
		if errors.Is(err, ErrTimeout) {
			return err
		}
	}
	settings, matched, err := d.parseSSHDFile(ctx, conf)
	if err != nil {
		return err
	}
	f.SSHD, f.SSHDSource, f.SSHDConditional = settings, conf, matched
	return nil
}

// parseSSHDFile reads the sshd configuration file and its Includes.
func (d *Device) parseSSHDFile(ctx context.Context, conf string) (map[string]string, bool, error) {
	text, err := d.readFile(ctx, conf)
	if err != nil {
		return nil, false, err
	}
	n := 0
	include := func(pattern string) ([]byte, error) {
		if !path.IsAbs(pattern) {
			pattern = path.Join("etc/ssh", pattern) // sshd_config(5): relative to /etc/ssh
		}
		n++
		if n > maxIncludes {
			return nil, errors.New("sshd_config: more than 32 Include directives")
		}
		// The glob is expanded by the device's shell below the root; a
		// pattern matching nothing stays literal and is skipped.
		glob := shellQuote(d.abs(strings.TrimPrefix(pattern, "/")))
		glob = strings.ReplaceAll(strings.ReplaceAll(glob, "*", "'*'"), "?", "'?'")
		return d.run(ctx, "read sshd_config Include", "for f in "+glob+"; do [ -f \"$f\" ] && cat -- \"$f\"; done; true", nil)
	}
	return parseSSHDConfig(text, include)
}

// exposedKeys lists regular files below the key paths that anyone may
// read and that hold a PEM or OpenSSH private key.
func (d *Device) exposedKeys(ctx context.Context) ([]string, error) {
	paths := d.profile.KeyPaths
	if len(paths) == 0 {
		paths = defaultKeyPaths
	}
	args := make([]string, len(paths))
	for i, p := range paths {
		args[i] = shellQuote(d.abs(p))
	}
	// Missing directories are normal (no /home on a pump); grep -l names
	// only files holding a key header, -Z separates names with NUL.
	// The first line counts the key paths that exist: searching none of
	// them is no observation.
	list := strings.Join(args, " ")
	cmd := "n=0; for p in " + list + "; do [ -e \"$p\" ] && n=$((n+1)); done; echo $n; " +
		"find " + list + " -xdev -type f -perm -0004 -size -1024k -exec grep -lZ -e 'PRIVATE KEY-----' {} + 2>/dev/null; true"
	out, err := d.run(ctx, "find readable private keys", cmd, nil)
	if err != nil {
		return nil, err
	}
	count, rest, _ := strings.Cut(string(out), "\n")
	if n, err := strconv.Atoi(strings.TrimSpace(count)); err != nil {
		return nil, fmt.Errorf("%w: key search: %q is not a count", ErrParse, firstN(count, 20))
	} else if n == 0 {
		return nil, fmt.Errorf("none of the key paths %q exists on the device", paths)
	}
	prefix := strings.TrimSuffix(d.profile.Root, "/") + "/"
	keys := []string{}
	for name := range strings.SplitSeq(rest, "\x00") {
		if name == "" {
			continue
		}
		keys = append(keys, strings.TrimPrefix(name, prefix))
	}
	slices.Sort(keys)
	return keys, nil
}

// packages reads the package database: dpkg's or opkg's status file below
// the root (so a mounted image works too), else `rpm -qa`.
func (d *Device) packages(ctx context.Context) ([]device.HostPackage, string, error) {
	q := func(rel string) string { return shellQuote(d.abs(rel)) }
	cmd := "if [ -f " + q("var/lib/dpkg/status") + " ]; then echo dpkg; cat -- " + q("var/lib/dpkg/status") +
		"; elif [ -f " + q("usr/lib/opkg/status") + " ]; then echo opkg; cat -- " + q("usr/lib/opkg/status") +
		"; elif [ -f " + q("var/lib/opkg/status") + " ]; then echo opkg; cat -- " + q("var/lib/opkg/status") +
		"; elif command -v rpm >/dev/null 2>&1; then echo rpm; rpm -qa --root " + shellQuote(d.profile.Root) +
		" --qf '%{NAME}\\t%{EPOCHNUM}:%{VERSION}-%{RELEASE}\\n'; else echo none; fi"
	out, err := d.run(ctx, "read the package database", cmd, nil)
	if err != nil {
		return nil, "", err
	}
	kind, rest, _ := strings.Cut(string(out), "\n")
	var pkgs []device.HostPackage
	switch kind {
	case "dpkg", "opkg":
		pkgs, err = parseStatus([]byte(rest))
	case "rpm":
		pkgs, err = parseRPMList([]byte(rest))
	default:
		return nil, "", errors.New("no package database (dpkg, opkg or rpm) on the device")
	}
	if err != nil {
		return nil, "", err
	}
	if len(pkgs) == 0 {
		return nil, "", fmt.Errorf("the %s package database lists no installed package", kind)
	}
	return pkgs, kind, nil
}

// rootServices lists network-reachable listeners whose process runs as
// root, from `ss -Htulnp` and /proc/PID/status, leaving out the processes
// the profile allows (sshd by default).
func (d *Device) rootServices(ctx context.Context) ([]device.HostService, error) {
	out, err := d.run(ctx, "list listening processes", "ss -Htulnp", nil)
	if err != nil {
		return nil, err
	}
	ls, err := parseSSProcesses(out)
	if err != nil {
		return nil, err
	}
	var pids []string
	seen := map[int]bool{}
	for _, l := range ls {
		if loopback(l.Address) {
			continue
		}
		if l.pid == 0 {
			// Without root, ss hides other users' processes: whether
			// they run as root cannot be told.
			return nil, fmt.Errorf("ss shows no process for %s/%d (the login may not see other users' processes)", l.Proto, l.Port)
		}
		if !seen[l.pid] {
			seen[l.pid] = true
			pids = append(pids, strconv.Itoa(l.pid))
		}
	}
	uids := map[int]int{}
	if len(pids) > 0 {
		out, err := d.run(ctx, "read process owners", "for p in "+strings.Join(pids, " ")+"; do printf '%s ' $p; grep '^Uid:' /proc/$p/status || echo; done", nil)
		if err != nil {
			return nil, err
		}
		uids = parseUIDs(out)
	}
	allowed := d.profile.RootServices
	if allowed == nil {
		allowed = []string{"sshd"}
	}
	svcs := []device.HostService{}
	for _, l := range ls {
		if loopback(l.Address) || slices.Contains(allowed, l.process) {
			continue
		}
		uid, ok := uids[l.pid]
		if !ok {
			return nil, fmt.Errorf("no owner read for process %d (%s/%d): it may have exited", l.pid, l.Proto, l.Port)
		}
		if uid == 0 {
			svcs = append(svcs, device.HostService{Proto: l.Proto, Address: l.Address, Port: l.Port, Process: l.process, PID: l.pid})
		}
	}
	return svcs, nil
}

// logSecrets searches the profile's log files for private key blocks and
// for the profile's secrets (plain, hex, base64).
func (d *Device) logSecrets(ctx context.Context) ([]string, error) {
	if len(d.profile.Logs) == 0 {
		return nil, errors.New("no logs in the ssh profile")
	}
	found := []string{}
	for _, l := range d.profile.Logs {
		b, err := d.readFile(ctx, l)
		if err != nil {
			return nil, err
		}
		name := strconv.Quote(l)
		if bytes.Contains(b, []byte("PRIVATE KEY-----")) {
			found = append(found, name+": a private key block")
		}
		for i, sec := range d.profile.Secrets {
			for _, form := range []struct{ name, enc string }{
				{"plain", sec},
				{"hex", hex.EncodeToString([]byte(sec))},
				{"base64", base64.StdEncoding.EncodeToString([]byte(sec))},
				{"base64", base64.RawStdEncoding.EncodeToString([]byte(sec))},
				{"base64url", base64.RawURLEncoding.EncodeToString([]byte(sec))},
			} {
				if bytes.Contains(b, []byte(form.enc)) || (form.name == "hex" && bytes.Contains(bytes.ToLower(b), []byte(form.enc))) {
					found = append(found, fmt.Sprintf("%s: secret %d (%s)", name, i+1, form.name))
					break
				}
			}
		}
	}
	return found, nil
}

// loopback reports a local address reachable from the device only.
func loopback(addr string) bool {
	a, err := netip.ParseAddr(addr)
	return err == nil && a.Unmap().IsLoopback()
}

var _ device.HostConfig = (*Device)(nil)
