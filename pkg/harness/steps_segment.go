package harness

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/netip"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/wardsec/ward/pkg/device"
)

// segmentWorld is the network state of one scenario.
type segmentWorld struct {
	mark     time.Time // device time of the last injected spike or connection attempt
	connErr  error     // outcome of the last connection attempt
	connWhat string
	newHost  string // the host "never contacted" of this scenario
}

func registerSegmentSteps(s *StepSet) {
	s.Step(`^from the "([^"]+)" zone (every|no) documented port of the device is reachable$`, stepProbeDocumented)
	s.Step(`^from the "([^"]+)" zone none of the device's ports ([0-9, ]+) is reachable$`, stepProbePorts)
	s.Step(`^the device listens on exactly its documented ports$`, stepExactPorts)
	s.Step(`^the device tries to connect to "([^"]+)" port (\d+)$`, stepTryConnect)
	s.Step(`^the device tries to connect to a host it never contacted, port (\d+)$`, stepTryConnectNew)
	s.Step(`^the connection is (blocked|allowed)$`, stepConnectionIs)
	s.Step(`^the device recorded the blocked connection to "([^"]+)"$`, stepRecordedBlock)
	s.Step(`^a traffic spike of (\d+) connections leaves the device$`, stepSpike)
	s.Step(`^the device's (segment|device) is quarantined$`, stepQuarantined)
	s.Step(`^the device's quarantine is lifted$`, stepQuarantineLifted)
	s.Step(`^the device (can|can still|cannot) reach "([^"]+)" port (\d+)$`, stepCanReach)
	s.Step(`^a "([^"]+)" alert (?:naming "([^"]+)" )?is raised within (\d+) seconds$`, stepAlertWithin)
	s.Step(`^a "([^"]+)" alert naming that host is raised within (\d+) seconds$`, stepAlertNewHost)
	s.Step(`^the incident record shows when it was detected, contained and notified$`, stepIncidentRecord)
}

func network(w *world) (device.Network, error) {
	return capability[device.Network](w, device.Label[device.Network]())
}

func segWorld(w *world) *segmentWorld {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.seg == nil {
		w.seg = &segmentWorld{}
	}
	return w.seg
}

func probe(ctx context.Context, w *world, n device.Network, zone string, ports []device.Port) (reachable []string, err error) {
	for _, p := range ports {
		r, err := n.ProbeFrom(ctx, zone, p.Proto, p.Port)
		if err != nil {
			return nil, fmt.Errorf("probe %s/%d from %s: %w", p.Proto, p.Port, zone, err)
		}
		w.observe("from %s, %s/%d: %s", zone, p.Proto, p.Port, r.Detail)
		if r.Reachable {
			reachable = append(reachable, fmt.Sprintf("%s/%d", p.Proto, p.Port))
		}
	}
	return reachable, nil
}

func stepProbeDocumented(ctx context.Context, zone, which string) error {
	w := worldFrom(ctx)
	n, err := network(w)
	if err != nil {
		return err
	}
	ports, err := n.DocumentedPorts(ctx)
	if err != nil {
		return fmt.Errorf("documented ports: %w", err)
	}
	if len(ports) == 0 {
		return errors.New("the device documents no ports: nothing to probe")
	}
	reach, err := probe(ctx, w, n, zone, ports)
	if err != nil {
		return err
	}
	switch {
	case which == "no" && len(reach) > 0:
		return fmt.Errorf("from the %s zone the device's %s answered", zone, strings.Join(reach, ", "))
	case which == "every" && len(reach) != len(ports):
		return fmt.Errorf("from the %s zone only %d of the %d documented ports answered (%v)", zone, len(reach), len(ports), reach)
	}
	return nil
}

func stepProbePorts(ctx context.Context, zone, list string) error {
	w := worldFrom(ctx)
	n, err := network(w)
	if err != nil {
		return err
	}
	var ports []device.Port
	for _, f := range strings.Split(list, ",") {
		p, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil {
			return fmt.Errorf("scenario bug: port %q", f)
		}
		ports = append(ports, device.Port{Proto: "tcp", Port: p})
	}
	reach, err := probe(ctx, w, n, zone, ports)
	if err != nil {
		return err
	}
	if len(reach) > 0 {
		return fmt.Errorf("from the %s zone undocumented ports answered: %s", zone, strings.Join(reach, ", "))
	}
	return nil
}

func portKey(p device.Port) string { return fmt.Sprintf("%s/%d", p.Proto, p.Port) }

// portLists returns the ports the device listens on and those it
// documents, as "proto/port" keys with a description each. A device.PortLister
// (a real device's socket table against its profile) is preferred; a
// device.Network (a simulator's modelled services) is used otherwise.
// Sockets bound to loopback only are left out (and named in an
// observation): nothing on the network reaches them.
func portLists(ctx context.Context, w *world) (open, doc map[string]string, err error) {
	if pl, perr := device.As[device.PortLister](w.dev, device.Label[device.PortLister]()); perr == nil {
		listening, err := pl.ListeningPorts(ctx)
		if errors.Is(err, device.ErrUnsupported) {
			return nil, nil, skip(w, err)
		}
		if err != nil {
			return nil, nil, fmt.Errorf("listening ports: %w", err)
		}
		documented, err := pl.DocumentedPorts(ctx)
		if errors.Is(err, device.ErrUnsupported) {
			return nil, nil, skip(w, err)
		}
		if err != nil {
			return nil, nil, fmt.Errorf("documented ports: %w", err)
		}
		if b, err := json.MarshalIndent(map[string][]device.ListeningPort{"listening": listening, "documented": documented}, "", "  "); err == nil {
			w.attach("ports.json", "application/json", b)
		}
		if len(listening) == 0 {
			// Not even the port the harness reached it on: the listing
			// saw another network namespace, or nothing at all.
			return nil, nil, skip(w, &device.UnsupportedError{Capability: "a port listing (the device reported no listening sockets at all)"})
		}
		open, doc = map[string]string{}, map[string]string{}
		var local []string
		for _, p := range listening {
			k := fmt.Sprintf("%s/%d", p.Proto, p.Port)
			if loopbackSocket(p.Address) {
				local = append(local, k+" on "+p.Address)
				continue
			}
			open[k] = "on " + p.Address
		}
		for _, p := range documented {
			doc[fmt.Sprintf("%s/%d", p.Proto, p.Port)] = "documented"
		}
		if len(local) > 0 {
			w.observe("left out, bound to loopback only: %s", strings.Join(local, ", "))
		}
		return open, doc, nil
	}
	n, err := network(w)
	if err != nil {
		return nil, nil, err
	}
	listening, err := n.ListeningPorts(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("listening ports: %w", err)
	}
	documented, err := n.DocumentedPorts(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("documented ports: %w", err)
	}
	if b, err := json.MarshalIndent(map[string][]device.Port{"listening": listening, "documented": documented}, "", "  "); err == nil {
		w.attach("ports.json", "application/json", b)
	}
	open, doc = map[string]string{}, map[string]string{}
	for _, p := range listening {
		open[portKey(p)] = p.Service
	}
	for _, p := range documented {
		doc[portKey(p)] = p.Service
	}
	return open, doc, nil
}

// loopbackSocket reports whether a socket's local address (an address
// without a port) is loopback only.
func loopbackSocket(addr string) bool {
	a, err := netip.ParseAddr(addr)
	return err == nil && a.Unmap().IsLoopback()
}

func stepExactPorts(ctx context.Context) error {
	w := worldFrom(ctx)
	open, doc, err := portLists(ctx, w)
	if err != nil {
		return err
	}
	var extra, missing []string
	for _, k := range slices.Sorted(maps.Keys(open)) {
		if _, ok := doc[k]; !ok {
			extra = append(extra, fmt.Sprintf("%s (%s)", k, open[k]))
		}
	}
	for _, k := range slices.Sorted(maps.Keys(doc)) {
		if _, ok := open[k]; !ok {
			missing = append(missing, k)
		}
	}
	w.observe("listening: %d ports, documented: %d", len(open), len(doc))
	if len(extra) > 0 {
		return fmt.Errorf("the device listens on undocumented ports: %s", strings.Join(extra, ", "))
	}
	if len(missing) > 0 {
		w.observe("documented but not listening: %s", strings.Join(missing, ", "))
	}
	return nil
}

func stepTryConnect(ctx context.Context, peer string, port int) error {
	w := worldFrom(ctx)
	n, err := network(w)
	if err != nil {
		return err
	}
	s := segWorld(w)
	s.mark = deviceNow(ctx, w)
	s.connWhat = fmt.Sprintf("%s port %d", peer, port)
	s.connErr = n.Connect(ctx, peer, port)
	if s.connErr != nil && !errors.Is(s.connErr, device.ErrBlocked) {
		return fmt.Errorf("connect to %s: %w", s.connWhat, s.connErr)
	}
	w.observe("connection to %s: %v", s.connWhat, outcome(s.connErr))
	return nil
}

// stepTryConnectNew connects to an address drawn at random for this
// scenario from TEST-NET-2 (RFC 5737, 198.51.100.0/24, routed nowhere), so
// that the host is new to a device that keeps what it learnt between
// scenarios and between runs (a fixed address is new only once).
func stepTryConnectNew(ctx context.Context, port int) error {
	w := worldFrom(ctx)
	n, err := network(w)
	if err != nil {
		return err
	}
	// On a unit that keeps its state an earlier run may have drawn the
	// same address: never draw one the device's events already name.
	evs, err := events(ctx, w, n)
	if err != nil {
		return err
	}
	seen := map[string]bool{}
	for _, e := range evs {
		for _, m := range testNet2.FindAllString(e.Peer+" "+e.Detail, -1) {
			seen[m] = true
		}
	}
	var free []string
	for i := 1; i < 255; i++ {
		if h := fmt.Sprintf("198.51.100.%d", i); !seen[h] {
			free = append(free, h)
		}
	}
	if len(free) == 0 {
		return skip(w, &device.UnsupportedError{Capability: "a TEST-NET-2 host it never contacted (its events name all 254)"})
	}
	b := make([]byte, 2)
	if _, err := rand.Read(b); err != nil {
		return err
	}
	host := free[(int(b[0])<<8|int(b[1]))%len(free)]
	segWorld(w).newHost = host
	return stepTryConnect(ctx, host, port)
}

// testNet2 matches a TEST-NET-2 address, whole (198.51.100.1, not the
// 198.51.100.1 in 198.51.100.17).
var testNet2 = regexp.MustCompile(`198\.51\.100\.\d{1,3}\b`)

func stepAlertNewHost(ctx context.Context, kind string, secs int) error {
	host := segWorld(worldFrom(ctx)).newHost
	if host == "" {
		return errors.New("scenario bug: no new host was contacted")
	}
	return stepAlertWithin(ctx, kind, host, secs)
}

func outcome(err error) string {
	if err == nil {
		return "allowed"
	}
	return err.Error()
}

func stepConnectionIs(ctx context.Context, want string) error {
	s := segWorld(worldFrom(ctx))
	if s.connWhat == "" {
		return errors.New("scenario bug: no connection was tried")
	}
	if blocked := s.connErr != nil; blocked != (want == "blocked") {
		return fmt.Errorf("the connection to %s was %s, want %s", s.connWhat, outcome(s.connErr), want)
	}
	return nil
}

func events(ctx context.Context, w *world, n device.Network) ([]device.NetworkEvent, error) {
	evs, err := n.NetworkEvents(ctx)
	if err != nil {
		return nil, fmt.Errorf("network events: %w", err)
	}
	if b, err := json.MarshalIndent(evs, "", "  "); err == nil {
		w.attach("network-events.json", "application/json", b)
	}
	return evs, nil
}

func stepRecordedBlock(ctx context.Context, peer string) error {
	w := worldFrom(ctx)
	n, err := network(w)
	if err != nil {
		return err
	}
	evs, err := events(ctx, w, n)
	if err != nil {
		return err
	}
	mark := segWorld(w).mark
	for _, e := range evs {
		if e.Time.Before(mark) {
			continue // an earlier scenario's, on a device that keeps its events
		}
		if e.Kind == "blocked-connection" && (e.Peer == peer || strings.Contains(e.Detail, peer)) {
			w.observe("recorded: %s %s", e.Kind, e.Detail)
			return nil
		}
	}
	return fmt.Errorf("no blocked-connection record names %s (%d events)", peer, len(evs))
}

func stepSpike(ctx context.Context, flows int) error {
	w := worldFrom(ctx)
	n, err := network(w)
	if err != nil {
		return err
	}
	s := segWorld(w)
	s.mark = deviceNow(ctx, w)
	if err := n.InjectTraffic(ctx, flows); err != nil {
		return fmt.Errorf("inject %d connections: %w", flows, err)
	}
	dev := w.dev // finish lets go of w.dev before the cleanups run
	w.onCleanup(func(ctx context.Context) error { liftQuarantine(ctx, w, dev, n); return nil })
	w.observe("injected %d connections at %s (device time)", flows, s.mark.Format(time.RFC3339))
	return nil
}

// calmLimit bounds how far liftQuarantine moves a test build's clock.
const calmLimit = 30 * time.Minute

// liftQuarantine runs when a scenario that provoked a quarantine ends: on a
// device that keeps its state the quarantine would otherwise cut the next
// scenarios off. A test build's clock is moved on, a minute at a time, until
// the device's calm period has passed; another device keeps its quarantine
// until its own calm period passes, which the evidence says. Either way
// only a note, never a failure: the scenario's checks are done.
func liftQuarantine(ctx context.Context, w *world, dev device.Device, n device.Network) {
	q, err := n.Quarantine(ctx)
	if err != nil || (!q.Device && !q.Segment) {
		return
	}
	cc, err := device.As[device.ClockControl](dev, device.Label[device.ClockControl]())
	if err != nil {
		w.note("after the scenario: the device stays quarantined until its calm period passes")
		return
	}
	for waited := time.Duration(0); waited < calmLimit; {
		if err := cc.AdvanceClock(ctx, time.Minute); err != nil {
			break
		}
		waited += time.Minute
		if q, err = n.Quarantine(ctx); err == nil && !q.Device && !q.Segment {
			w.note("after the scenario: moved the device's clock on by %s; its quarantine was lifted", waited)
			return
		}
	}
	w.note("after the scenario: the device is still quarantined")
}

func stepQuarantined(ctx context.Context, scope string) error {
	w := worldFrom(ctx)
	n, err := network(w)
	if err != nil {
		return err
	}
	q, err := n.Quarantine(ctx)
	if err != nil {
		return fmt.Errorf("quarantine state: %w", err)
	}
	w.observe("quarantine: device %t, segment %t", q.Device, q.Segment)
	if (scope == "segment" && !q.Segment) || (scope == "device" && !q.Device && !q.Segment) {
		return fmt.Errorf("the device's %s is not quarantined", scope)
	}
	return nil
}

func stepQuarantineLifted(ctx context.Context) error {
	w := worldFrom(ctx)
	n, err := network(w)
	if err != nil {
		return err
	}
	q, err := n.Quarantine(ctx)
	if err != nil {
		return fmt.Errorf("quarantine state: %w", err)
	}
	if q.Device || q.Segment {
		return fmt.Errorf("still quarantined (device %t, segment %t)", q.Device, q.Segment)
	}
	w.observe("quarantine lifted")
	return nil
}

func stepCanReach(ctx context.Context, can, peer string, port int) error {
	w := worldFrom(ctx)
	n, err := network(w)
	if err != nil {
		return err
	}
	err = n.Connect(ctx, peer, port)
	if err != nil && !errors.Is(err, device.ErrBlocked) {
		return fmt.Errorf("connect to %s port %d: %w", peer, port, err)
	}
	w.observe("connection to %s port %d: %s", peer, port, outcome(err))
	if (can == "cannot") != (err != nil) {
		return fmt.Errorf("the device %s reach %s port %d, but the connection was %s", can, peer, port, outcome(err))
	}
	return nil
}

func stepAlertWithin(ctx context.Context, kind, naming string, secs int) error {
	w := worldFrom(ctx)
	n, err := network(w)
	if err != nil {
		return err
	}
	s := segWorld(w)
	if s.mark.IsZero() {
		return errors.New("scenario bug: nothing was injected or tried")
	}
	evs, err := events(ctx, w, n)
	if err != nil {
		return err
	}
	for _, e := range evs {
		if e.Kind != kind || (naming != "" && !strings.Contains(e.Peer+" "+e.Detail, naming)) {
			continue
		}
		if e.Time.Before(s.mark) {
			continue // an earlier scenario's, on a device that keeps its events
		}
		delay := e.Time.Sub(s.mark)
		w.observe("%s alert %s after the event: %s", kind, delay, e.Detail)
		if delay < 0 || delay > time.Duration(secs)*time.Second {
			return fmt.Errorf("the %s alert came %s after the event, want within %ds", kind, delay, secs)
		}
		return nil
	}
	return fmt.Errorf("no %s alert%s among %d network events", kind, map[bool]string{true: " naming " + naming}[naming != ""], len(evs))
}

func stepIncidentRecord(ctx context.Context) error {
	w := worldFrom(ctx)
	n, err := network(w)
	if err != nil {
		return err
	}
	s := segWorld(w)
	evs, err := events(ctx, w, n)
	if err != nil {
		return err
	}
	var detected, contained, notified time.Time
	for _, e := range evs {
		if e.Time.Before(s.mark) {
			continue // an earlier scenario's, on a device that keeps its events
		}
		switch e.Kind {
		case "traffic-spike", "zone-traffic-spike":
			if detected.IsZero() {
				detected = e.Time
			}
		case "quarantine":
			if contained.IsZero() {
				contained = e.Time
				notified = e.Notified
			}
		}
	}
	switch {
	case detected.IsZero():
		return errors.New("the incident record has no detection")
	case contained.IsZero():
		return errors.New("the incident record has no containment")
	case notified.IsZero():
		return errors.New("the incident record has no notification")
	case contained.Before(detected) || notified.Before(contained):
		return fmt.Errorf("out of order: detected %s, contained %s, notified %s", detected, contained, notified)
	case notified.Sub(s.mark) > 5*time.Second:
		return fmt.Errorf("notified %s after the incident, want within 5s", notified.Sub(s.mark))
	}
	w.observe("detected %s, contained %s, notified %s", detected.Format(time.RFC3339Nano), contained.Format(time.RFC3339Nano), notified.Format(time.RFC3339Nano))
	return nil
}
