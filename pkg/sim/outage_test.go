package sim

import (
	"context"
	"crypto/tls"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wardsec/ward/pkg/audit"
	"github.com/wardsec/ward/pkg/device"
)

const outagePW = "correct horse battery staple"

// programmed returns a pump running at 8.5 mL/h, programmed over its feed.
func programmed(t *testing.T, weak ...string) *Pump {
	t.Helper()
	p, err := New(context.Background(), "infusion-pump", WithWeaknesses(weak...))
	require.NoError(t, err)
	t.Cleanup(func() { p.Close() })
	ep := feedOf(t, p)
	c, err := tls.Dial("tcp", ep.Address, peerTLS(t, p, ep, true))
	require.NoError(t, err)
	defer c.Close()
	_, err = roundTrip(t, c, order("8.5"))
	require.NoError(t, err)
	require.Equal(t, "8.5", rate(t, p))
	return p
}

// drainingCollector installs a collector whose queue the test reads
// directly: what the pump hands to its forwarder, in order.
func drainingCollector(p *Pump) *forwarder {
	fw := &forwarder{queue: make(chan audit.Record, 1024), done: make(chan struct{})}
	p.net.mu.Lock()
	p.net.collector = fw
	p.net.mu.Unlock()
	return fw
}

func queued(fw *forwarder) []audit.Record {
	var out []audit.Record
	for {
		select {
		case r := <-fw.queue:
			out = append(out, r)
		default:
			return out
		}
	}
}

func TestOutageKeepsTherapyAndAlarms(t *testing.T) {
	ctx := context.Background()
	for _, kind := range device.OutageKinds() {
		t.Run(kind, func(t *testing.T) {
			p := programmed(t)
			require.NoError(t, p.BeginOutage(ctx, kind))
			st, err := p.EmergencyStatus(ctx)
			require.NoError(t, err)
			assert.True(t, st.Active)
			assert.Equal(t, []string{kind}, st.Causes)
			require.Len(t, st.Alarms, 1)
			assert.Equal(t, alarmKinds[kind].kind, st.Alarms[0].Kind)
			assert.True(t, st.Alarms[0].Active)
			assert.Equal(t, "8.5", rate(t, p), "therapy continues at the programmed rate")

			require.NoError(t, p.EndOutage(ctx))
			st, err = p.EmergencyStatus(ctx)
			require.NoError(t, err)
			assert.False(t, st.Active)
			assert.Empty(t, st.Causes)
			assert.False(t, st.Alarms[0].Active)
			assert.Equal(t, "8.5", rate(t, p))
		})
	}
	t.Run("quarantine is the spike guard's", func(t *testing.T) {
		p := programmed(t)
		require.NoError(t, p.BeginOutage(ctx, device.OutageQuarantine))
		q, err := p.Quarantine(ctx)
		require.NoError(t, err)
		assert.True(t, q.Segment)
		assert.ErrorIs(t, p.Connect(ctx, "ehr", 443), device.ErrBlocked)
		assert.NoError(t, p.Connect(ctx, "monitoring-station", 8443), "the monitoring conduit stays open")
		require.NoError(t, p.EndOutage(ctx))
		q, err = p.Quarantine(ctx)
		require.NoError(t, err)
		assert.False(t, q.Segment)
		assert.NoError(t, p.Connect(ctx, "ehr", 443))
	})
	t.Run("unknown kind", func(t *testing.T) {
		p := programmed(t)
		assert.ErrorIs(t, p.BeginOutage(ctx, "meteor"), device.ErrUnsupported)
		assert.False(t, p.inEmergency())
	})
	t.Run("outage-stops-therapy", func(t *testing.T) {
		p := programmed(t, "outage-stops-therapy")
		require.NoError(t, p.BeginOutage(ctx, device.OutageNetworkCut))
		assert.Equal(t, "0", rate(t, p), "the weakness stops the infusion")
	})
}

// The attack unsafe-fallback lets through: offline, a stolen password
// alone opens a privileged session. The secure pump refuses it.
func TestOutageKeepsEveryLoginFactor(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		weak           []string
		offlineAllowed bool
	}{
		{nil, false},
		{[]string{"unsafe-fallback"}, true},
	} {
		p, err := New(ctx, "infusion-pump", WithWeaknesses(tc.weak...))
		require.NoError(t, err)
		defer p.Close()
		require.NoError(t, p.CreateUser(ctx, "ravi.patel", outagePW, "biomed"))
		_, err = p.EnrollTOTP(ctx, "ravi.patel")
		require.NoError(t, err)
		creds := device.Credentials{User: "ravi.patel", Password: outagePW}
		_, err = p.Login(ctx, creds)
		require.ErrorIs(t, err, device.ErrSecondFactorRequired, "online, the password alone is refused (%v)", tc.weak)

		require.NoError(t, p.BeginOutage(ctx, device.OutageNetworkCut))
		_, err = p.Login(ctx, creds)
		if tc.offlineAllowed {
			assert.NoError(t, err, "the weakness falls back to the password alone")
		} else {
			assert.ErrorIs(t, err, device.ErrSecondFactorRequired, "offline, still refused")
		}
		require.NoError(t, p.EndOutage(ctx))
		_, err = p.Login(ctx, creds)
		assert.ErrorIs(t, err, device.ErrSecondFactorRequired, "back online, refused again (%v)", tc.weak)
	}
}

// Records made while the collector is unreachable are held and handed to
// the forwarder in order, before the exit record; lost-outage-logs drops
// them.
func TestOutageRecordsAreForwardedInOrderAfterwards(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		weak string
		kind string
	}{{"", device.OutageCollectorDown}, {"", device.OutageNetworkCut}, {"lost-outage-logs", device.OutageCollectorDown}} {
		t.Run(tc.weak+"/"+tc.kind, func(t *testing.T) {
			p, err := New(ctx, "infusion-pump", WithWeaknesses(tc.weak))
			require.NoError(t, err)
			defer p.Close()
			fw := drainingCollector(p)
			require.NoError(t, p.BeginOutage(ctx, tc.kind))
			for _, u := range []string{"ward.one", "ward.two", "ward.three"} {
				_, err := p.Login(ctx, device.Credentials{User: u, Password: "x"})
				require.Error(t, err)
			}
			assert.Empty(t, queued(fw), "nothing leaves while the link is down")
			require.NoError(t, p.EndOutage(ctx))
			got := queued(fw)

			var enter, exit audit.Record
			recs, err := p.audit.Records(ctx)
			require.NoError(t, err)
			for _, r := range recs {
				switch r.Action {
				case "emergency-mode.enter":
					enter = r
				case "emergency-mode.exit":
					exit = r
				}
			}
			require.NotZero(t, enter.Seq)
			require.NotZero(t, exit.Seq)
			assert.Contains(t, exit.Detail["cleared"], tc.kind)
			if tc.weak == "lost-outage-logs" {
				require.Len(t, got, 1, "only the exit record reaches the collector")
				assert.Equal(t, exit.Seq, got[0].Seq)
				assert.Equal(t, "4", exit.Detail["not_forwarded"])
				return
			}
			require.Len(t, got, int(exit.Seq-enter.Seq)+1)
			for i, r := range got {
				assert.Equal(t, enter.Seq+uint64(i), r.Seq, "in order, none missing")
			}
			assert.Equal(t, "4", exit.Detail["forwarded_after_outage"])
		})
	}
}

// Records made by many callers at once reach the forwarder in the order of
// their sequence numbers, live and after an outage: a collector reading
// the stream sees the device's order, as a shared unit under concurrent
// checks needs (once, a record overtook the one before it between the
// append and the hand-off).
func TestConcurrentRecordsAreForwardedInSeqOrder(t *testing.T) {
	ctx := context.Background()
	p, err := New(ctx, "infusion-pump")
	require.NoError(t, err)
	defer p.Close()
	fw := drainingCollector(p)
	login := func() {
		var wg sync.WaitGroup
		for g := range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range 20 {
					_, err := p.Login(ctx, device.Credentials{User: fmt.Sprintf("ward.g%d.%d", g, i), Password: "x"})
					assert.Error(t, err)
				}
			}()
		}
		wg.Wait()
	}
	login()
	require.NoError(t, p.BeginOutage(ctx, device.OutageCollectorDown))
	login()
	require.NoError(t, p.EndOutage(ctx))
	got := queued(fw)
	require.Greater(t, len(got), 320)
	for i := 1; i < len(got); i++ {
		require.Equal(t, got[i-1].Seq+1, got[i].Seq, "record %d of %d", i, len(got))
	}
}

// An export taken while other callers append is a consistent snapshot: the
// log it gives ends where its signed checkpoint does, so it verifies (once,
// an export fell between a record and its checkpoint).
func TestAuditExportWhileAppendingVerifies(t *testing.T) {
	ctx := context.Background()
	p, err := New(ctx, "infusion-pump")
	require.NoError(t, err)
	defer p.Close()
	var wg sync.WaitGroup
	var busy atomic.Int32
	for g := range 4 {
		busy.Add(1)
		wg.Go(func() {
			defer busy.Add(-1)
			for i := range 40 {
				_, _ = p.Login(ctx, device.Credentials{User: fmt.Sprintf("ward.w%d.%d", g, i), Password: "x"})
			}
		})
	}
	exports := 0
	for busy.Load() > 0 {
		exp, err := p.AuditLog(ctx)
		require.NoError(t, err)
		_, err = audit.Verify(exp.Log, exp.Checkpoint, exp.PublicKey)
		require.NoError(t, err, "export %d", exports)
		exports++
	}
	wg.Wait()
	t.Logf("%d exports while 160 failed logins were recorded", exports)
}
