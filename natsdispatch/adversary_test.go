package natsdispatch

// Adversarial tests of outbound.go's unsendable and of what a caller sees
// when the connection to the server drops. The contract is REMOTE.md's
// (Delivery, Deadlines: a call's outcome ends once, within its deadline;
// no automatic retries) and outbound.go's doc of unsendable.

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dispatchgen/dispatchgen/natsdispatch/embedded"
	"github.com/dispatchgen/dispatchgen/runtime"
	"github.com/nats-io/nats.go"
)

// reconnectingNode returns a node on a connection to srv that reconnects
// without end, as a long-lived process's would. Its cleanup closes it with
// a short deadline and no check: the server is gone by then, and a Close
// cannot release keys without it.
func reconnectingNode(t *testing.T, srv *embedded.Server, opts ...Option) *Node {
	t.Helper()
	nc, err := srv.ConnectTCP(nats.MaxReconnects(-1), nats.ReconnectWait(20*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	n, err := NewNode(nc, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		defer cancel()
		_ = n.Close(ctx)
	})
	return n
}

// Calls in flight when the server goes away end exactly once, within their
// deadline, and a Close of the calling node while its connection is
// reconnecting returns within its own deadline, having ended what was
// still waiting. Neither path had a test: TestServerRestart sends only
// after the caller has seen the server gone. It passes.
func TestAdversaryInFlightAndCloseDuringReconnect(t *testing.T) {
	srv := startServer(t, embedded.Config{})
	host := newFake("host")
	bind(t, reconnectingNode(t, srv, WithLeaseTTL(2*time.Second)), host, "k")
	callerNode := reconnectingNode(t, srv)
	caller := bind(t, callerNode, newFake("caller"))

	const deadline = time.Second
	const calls = 8
	var ended [calls]atomic.Int32
	var late atomic.Int32
	for i := range calls {
		ctx := context.Background()
		var cancel context.CancelFunc = func() {}
		if i%2 == 0 {
			// Half have a deadline; the rest only the node's bound,
			// which the Close below must cut short.
			ctx, cancel = context.WithTimeout(ctx, deadline)
		}
		start := time.Now()
		caller.Call(&runtime.RemoteCall{Ctx: ctx, Key: "k", Method: "Wait", Done: func(error) {
			cancel()
			ended[i].Add(1)
			if i%2 == 0 && time.Since(start) > deadline+250*time.Millisecond {
				late.Add(1)
			}
		}})
	}
	// The calls have reached the host's method before the server goes.
	eventually(t, 2*time.Second, "the calls to reach the host", func() bool {
		return host.Stats()["k"].Queued >= calls-1
	})
	srv.Shutdown()
	eventually(t, 2*time.Second, "the caller to see the server gone", func() bool {
		return callerNode.nc.Status() != nats.CONNECTED
	})
	time.Sleep(deadline + 300*time.Millisecond)
	for i := 0; i < calls; i += 2 {
		if n := ended[i].Load(); n != 1 {
			t.Errorf("call %d, with a deadline of %v, ended %d times by then", i, deadline, n)
		}
	}
	if n := late.Load(); n > 0 {
		t.Errorf("%d calls ended later than their deadline and 250ms", n)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	start := time.Now()
	_ = callerNode.Close(ctx)
	if took := time.Since(start); took > time.Second {
		t.Errorf("Close while reconnecting took %v, for a deadline of 500ms", took)
	}
	for i := range calls {
		if n := ended[i].Load(); n != 1 {
			t.Errorf("call %d ended %d times once its node had closed, want once", i, n)
		}
	}
}
