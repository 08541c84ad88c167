package natsdispatch

import (
	"context"
	"errors"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dispatchgen/dispatchgen/natsdispatch/embedded"
	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
)

// The NATS server restarted, its JetStream on file storage: while it is
// down calls fail with an error that says so, within their deadline; once
// it is back nats.go reconnects, the host still holds its keys (the outage
// was shorter than its fence), and calls succeed again. A second host that
// keeps trying to claim the keys never gets one while the first holds it.
func TestServerRestart(t *testing.T) {
	const ttl = 4 * time.Second
	dir := t.TempDir()
	srv := startServer(t, embedded.Config{Dir: dir})
	port := srv.NATS().Addr().(*net.TCPAddr).Port
	// The restarted server stops after the nodes have closed, as the first
	// would have: cleanups run last-registered first.
	var again *embedded.Server
	t.Cleanup(func() {
		if again != nil {
			again.Shutdown()
		}
	})
	reconnecting := func() *nats.Conn {
		nc, err := srv.ConnectTCP(nats.MaxReconnects(-1), nats.ReconnectWait(20*time.Millisecond))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(nc.Close)
		return nc
	}
	keys := []string{"k0", "k1", "k2", "k3"}
	host, rival := newFake("host"), newFake("rival")
	bind(t, nodeOn(t, reconnecting(), WithLeaseTTL(ttl)), host, keys...)
	lr := bind(t, nodeOn(t, reconnecting(), WithLeaseTTL(ttl)), rival)
	caller := bind(t, nodeOn(t, reconnecting(), WithLeaseTTL(ttl)), newFake("caller"))

	// The rival tries every key all along (registered with its fake only
	// for the claim, so that it holds what it wins); the watcher counts any
	// moment at which both hosts serve one.
	stopRival := make(chan struct{})
	var rivalWg sync.WaitGroup
	var rivalWon atomic.Int64
	rivalWg.Go(func() {
		for {
			for _, k := range keys {
				select {
				case <-stopRival:
					return
				default:
				}
				ctx, cancel := context.WithTimeout(context.Background(), time.Second)
				rival.register(k, 16)
				if err := lr.Claim(ctx, k); err == nil {
					rivalWon.Add(1)
				} else {
					rival.unregister(k)
				}
				cancel()
			}
			time.Sleep(20 * time.Millisecond)
		}
	})
	overlaps := watchTwoOwners(func() bool {
		for _, k := range keys {
			if host.holds(k) && rival.holds(k) && rivalWon.Load() > 0 {
				return true
			}
		}
		return false
	})

	checkCalls := func(when string) {
		t.Helper()
		for i, k := range keys {
			var res echoResult
			err := call(timeout(t, 2*time.Second), caller, k, "Echo", &echoArgs{N: i}, &res)
			if err != nil || res.Node != "host" || res.Key != k || res.N != i {
				t.Fatalf("%s: call to %s: %v, answered %+v", when, k, err, res)
			}
		}
	}
	checkCalls("before the restart")

	srv.Shutdown()
	down := time.Now()
	// The caller's connection knows the server is gone once it has seen
	// the socket close; from then on a call is not sent, and fails at once.
	eventually(t, time.Second, "the caller sees the server gone", func() bool {
		return caller.(*link).n.nc.Status() != nats.CONNECTED
	})
	const callDeadline = 2 * time.Second
	for i, k := range keys {
		start := time.Now()
		err := call(timeout(t, callDeadline), caller, k, "Echo", &echoArgs{N: i}, &echoResult{})
		if took := time.Since(start); took > callDeadline/4 {
			t.Errorf("a call to %s while the server was down ended after %v (%v), not at once", k, took, err)
		}
		if !errors.Is(err, nats.ErrConnectionReconnecting) {
			t.Errorf("a call to %s while the server was down: %v, want an error wrapping nats.ErrConnectionReconnecting", k, err)
		}
	}
	failed := make(chan error, 1)
	send(context.Background(), caller, "k0", "Note", &echoArgs{N: 1}, func(err error) { failed <- err })
	select {
	case err := <-failed:
		if !errors.Is(err, nats.ErrConnectionReconnecting) {
			t.Errorf("a one-way message while the server was down failed with %v, want an error wrapping nats.ErrConnectionReconnecting", err)
		}
	case <-time.After(callDeadline / 4):
		t.Error("a one-way message sent while the server was down did not reach the dead-letter handler at once")
	}

	// An outage of a second: renewals fail meanwhile, but the host's fence
	// is 0.8 × TTL away.
	time.Sleep(time.Second - time.Since(down))
	again, err := embedded.Start(embedded.Config{Dir: dir, Configure: func(o *server.Options) { o.Port = port }})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("server down for %v", time.Since(down).Round(time.Millisecond))
	eventually(t, 3*time.Second, "calls succeed after the restart", func() bool {
		var res echoResult
		return call(timeout(t, time.Second), caller, "k0", "Echo", &echoArgs{}, &res) == nil && res.Node == "host"
	})
	checkCalls("after the restart")
	close(stopRival)
	rivalWg.Wait()
	if n := overlaps(); n > 0 {
		t.Errorf("the watcher saw two hosts serve one key %d times", n)
	}
	if n := rivalWon.Load(); n > 0 {
		t.Errorf("the rival claimed %d keys the host held", n)
	}
	for _, k := range keys {
		if !host.holds(k) {
			t.Errorf("the host lost %s over an outage shorter than its fence", k)
		}
	}
}
