package ssh_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wardsec/ward/internal/sshdtest"
	"github.com/wardsec/ward/pkg/device"
	wssh "github.com/wardsec/ward/pkg/device/ssh"
	"github.com/wardsec/ward/pkg/evidence"
)

// logins counts the public-key logins sshd accepted so far.
func logins(s *sshdtest.Server) int { return strings.Count(s.Log.String(), "Accepted publickey") }

// waitLogins waits for sshd to log n logins (its log trails the client).
func waitLogins(t *testing.T, s *sshdtest.Server, n int) {
	t.Helper()
	require.Eventually(t, func() bool { return logins(s) >= n }, 5*time.Second, 10*time.Millisecond, "sshd log:\n%s", s.Log.String())
}

// Handles opened through one driver for the same device share one login,
// under concurrency (run with -race), each with its own profile.
func TestDriverSharesOneConnection(t *testing.T) {
	s := sshdtest.Start(t)
	dr := wssh.NewDriver()
	defer dr.Close()
	reg := device.NewRegistry()
	require.NoError(t, reg.Register(wssh.Scheme, dr.Open))
	ctx := context.Background()
	rootA, rootB := deviceRoot(t, true), deviceRoot(t, false)
	targets := []string{
		s.Target("profile=" + writeProfile(t, rootA, nil)),
		s.Target("profile=" + writeProfile(t, rootB, map[string]any{"identity": map[string]any{"serial": map[string]string{"value": "B-2"}}})),
	}
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for i := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			d, err := reg.Open(ctx, targets[i%2])
			if err != nil {
				errs <- err
				return
			}
			defer d.Close()
			id, err := d.Identify(ctx)
			if err != nil {
				errs <- err
				return
			}
			want := map[int]string{0: "AP-000123", 1: "B-2"}[i%2]
			if id.Serial != want {
				errs <- assert.AnError
			}
			_, err = d.(device.RawStorage).ListStored(ctx)
			if err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	waitLogins(t, s, 1)
	time.Sleep(100 * time.Millisecond)
	assert.Equal(t, 1, logins(s), "16 handles at once, two profiles, one device: one login")

	// After the last handle, the connection lingers for the next scenario.
	d, err := reg.Open(ctx, targets[0])
	require.NoError(t, err)
	_, err = d.Identify(ctx)
	require.NoError(t, err)
	d.Close()
	assert.Equal(t, 1, logins(s))
}

// A connection that breaks (the device restarts its SSH service) is dialled
// again, once, with the host key checked again; the handle goes on.
func TestDriverRedialsABrokenConnection(t *testing.T) {
	s := sshdtest.Start(t)
	dr := wssh.NewDriver(wssh.WithLinger(0))
	defer dr.Close()
	u := mustURL(t, s.Target("profile="+writeProfile(t, deviceRoot(t, true), nil)))
	ctx := context.Background()
	d, err := dr.Open(ctx, u)
	require.NoError(t, err)
	defer d.Close()
	_, err = d.Identify(ctx)
	require.NoError(t, err)
	waitLogins(t, s, 1)

	require.Positive(t, s.DropConnections(t), "an sshd child served the connection")
	_, err = d.(device.RawStorage).ListStored(ctx)
	require.NoError(t, err, "the handle re-dialled")
	waitLogins(t, s, 2)

	// When the device stays unreachable, the one re-dial fails and the
	// command is an error, not a loop.
	s2 := sshdtest.Start(t)
	d2, err := dr.Open(ctx, mustURL(t, s2.Target("profile="+writeProfile(t, deviceRoot(t, true), nil))))
	require.NoError(t, err)
	defer d2.Close()
	require.Positive(t, s2.DropConnections(t)) // before the listener: its children are found by parent
	require.NoError(t, killListener(s2))
	_, err = d2.Identify(ctx)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "re-dial")
}

// With linger 0 the last handle's Close ends the connection: the next
// open logs in again.
func TestDriverClosesWithLastHandle(t *testing.T) {
	s := sshdtest.Start(t)
	dr := wssh.NewDriver(wssh.WithLinger(0))
	u := mustURL(t, s.Target(""))
	for i := 1; i <= 2; i++ {
		d, err := dr.Open(context.Background(), u)
		require.NoError(t, err)
		_, err = d.Identify(context.Background())
		require.NoError(t, err)
		require.NoError(t, d.Close())
		require.NoError(t, d.Close(), "a second Close is harmless")
		waitLogins(t, s, i)
	}
}

// A whole ward check run over ssh (the registry ssh.Register fills, as
// `ward check` uses) logs in to the device once, not once per scenario.
func TestHarnessRunLogsInOnce(t *testing.T) {
	s := sshdtest.Start(t)
	root := deviceRoot(t, true)
	hostRoot(t, root, false)
	res := runHarness(t, s.Target("profile="+writeProfile(t, root, nil)))
	ran := 0
	for _, sc := range res.Scenarios {
		if sc.Status != evidence.ScenarioNotApplicable {
			ran++
		}
	}
	require.Greater(t, len(res.Scenarios), 10)
	assert.Greater(t, ran, 3, "scenarios that used the device")
	time.Sleep(100 * time.Millisecond) // sshd logs each login as it accepts it
	assert.Equal(t, 1, logins(s), "%d scenarios, one login", len(res.Scenarios))
}
