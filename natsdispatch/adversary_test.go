package natsdispatch

// Adversarial tests of outbound.go's unsendable and of what a caller sees
// when the connection to the server drops. The contract is REMOTE.md's
// (Delivery, Deadlines: a call's outcome ends once, within its deadline;
// no automatic retries) and outbound.go's doc of unsendable.

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dispatchgen/dispatchgen/natsdispatch/embedded"
	"github.com/dispatchgen/dispatchgen/runtime"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
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

// Contract: outbound.go's doc of unsendable ("refused now, neither was
// sent, and the caller or the dead-letter handler knows it") and REMOTE.md,
// Delivery: one-way messages that cannot be delivered reach the sender's
// dead-letter handler. unsendable reads the connection's status, which
// says RECONNECTING only once nats.go has seen the socket fail: one-way
// messages sent in between went to the dead socket, or into nats.go's
// buffer, dropped with it when the reconnection never succeeds, neither
// delivered nor dead-lettered (1 or all 50 of them, before confirm.go).
func TestOneWaySentAsConnectionDropsIsNotLostUnseen(t *testing.T) {
	srv := startServer(t, embedded.Config{})
	host := newFake("host")
	bind(t, startNode(t, srv), host, "k")
	px := startProxy(t, strings.TrimPrefix(srv.ClientURL(), "nats://"))
	nc, err := nats.Connect(px.url(), nats.MaxReconnects(2), nats.ReconnectWait(10*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	callerNode, err := NewNode(nc)
	if err != nil {
		t.Fatal(err)
	}
	caller := bind(t, callerNode, newFake("caller"))
	// The route works before the cut.
	if err := call(timeout(t, 2*time.Second), caller, "k", "Echo", &echoArgs{}, &echoResult{}); err != nil {
		t.Fatal(err)
	}

	const n = 50
	var deadLettered atomic.Int32
	px.close() // the socket fails; the listener is gone, so nothing reconnects
	for i := range n {
		send(context.Background(), caller, "k", "Note", &echoArgs{N: i}, func(error) { deadLettered.Add(1) })
	}
	eventually(t, 2*time.Second, "the connection to close", func() bool { return nc.Status() == nats.CLOSED })
	time.Sleep(200 * time.Millisecond)
	host.mu.Lock()
	delivered := len(host.notes["k"])
	host.mu.Unlock()
	if got := int(deadLettered.Load()) + delivered; got != n {
		t.Errorf("of %d one-way messages sent as the connection dropped, %d reached the host and %d the dead-letter handler: %d lost unseen",
			n, delivered, deadLettered.Load(), n-got)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	_ = callerNode.Close(ctx)
}

// Contract: REMOTE.md, Delivery, and doc.go's Delivery: one-way messages
// sent as the connection drops and comes back are delivered, refused as not
// sent, or, when the server never confirmed reading them, dead-lettered
// with an error wrapping nats.ErrDisconnected; none is lost unseen, none
// refused as not sent is delivered, and once the connection is back,
// messages flow with none dead-lettered. A message written to the dead
// socket is lost even though nats.go reconnects.
func TestOneWaySentAsConnectionDropsAndReturnsIsNotLostUnseen(t *testing.T) {
	srv := startServer(t, embedded.Config{})
	host := newFake("host")
	bind(t, startNode(t, srv), host, "k")
	px := startProxy(t, strings.TrimPrefix(srv.ClientURL(), "nats://"))
	nc, err := nats.Connect(px.url(), nats.MaxReconnects(-1), nats.ReconnectWait(10*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	callerNode, err := NewNode(nc)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = callerNode.Close(timeout(t, time.Second)) })
	caller := bind(t, callerNode, newFake("caller"))
	if err := call(timeout(t, 2*time.Second), caller, "k", "Echo", &echoArgs{}, &echoResult{}); err != nil {
		t.Fatal(err)
	}

	const rounds, perRound = 5, 200
	var mu sync.Mutex
	unknown, notSent := map[int]bool{}, map[int]bool{}
	var otherErrs []error
	sendN := func(first, n int) {
		for i := first; i < first+n; i++ {
			send(context.Background(), caller, "k", "Note", &echoArgs{N: i}, func(err error) {
				mu.Lock()
				defer mu.Unlock()
				switch {
				case errors.Is(err, nats.ErrDisconnected):
					unknown[i] = true
				case errors.Is(err, nats.ErrConnectionReconnecting):
					notSent[i] = true
				default:
					otherErrs = append(otherErrs, err)
				}
			})
		}
	}
	delivered := func() map[int]bool {
		host.mu.Lock()
		defer host.mu.Unlock()
		got := map[int]bool{}
		for _, i := range host.notes["k"] {
			got[i] = true
		}
		return got
	}
	accounted := func(upTo int) (missing []int) {
		got := delivered()
		mu.Lock()
		defer mu.Unlock()
		for i := range upTo {
			if !got[i] && !unknown[i] && !notSent[i] {
				missing = append(missing, i)
			}
		}
		return missing
	}
	for r := range rounds {
		// Status stays CONNECTED until nats.go reads the cut, so the
		// connection is back once it has reconnected since.
		reconnects := nc.Stats().Reconnects
		px.cut()
		sendN(r*perRound, perRound)
		eventually(t, 5*time.Second, "the connection to come back", func() bool {
			return nc.Status() == nats.CONNECTED && nc.Stats().Reconnects > reconnects
		})
		var missing []int
		eventually(t, 5*time.Second, "every message delivered or dead-lettered", func() bool {
			missing = accounted((r + 1) * perRound)
			return len(missing) == 0
		})
	}
	mu.Lock()
	t.Logf("of %d messages sent as the connection dropped, %d were dead-lettered as unknown, %d as not sent",
		rounds*perRound, len(unknown), len(notSent))
	mu.Unlock()

	// Back to a healthy connection: every message is delivered, and no
	// unconfirmed one is dead-lettered later.
	const after = 500
	sendN(rounds*perRound, after)
	eventually(t, 5*time.Second, "the messages sent after the reconnection to be delivered", func() bool {
		got := delivered()
		for i := rounds * perRound; i < rounds*perRound+after; i++ {
			if !got[i] {
				return false
			}
		}
		return true
	})
	time.Sleep(5 * confirmDelay)
	got := delivered()
	mu.Lock()
	defer mu.Unlock()
	for i := range notSent {
		if got[i] {
			t.Errorf("message %d was dead-lettered as not sent, yet delivered", i)
		}
	}
	for i := rounds * perRound; i < rounds*perRound+after; i++ {
		if unknown[i] || notSent[i] {
			t.Errorf("message %d, sent on a healthy connection and delivered, was dead-lettered", i)
		}
	}
	for _, err := range otherErrs {
		t.Errorf("a one-way message was dead-lettered with an unexpected error: %v", err)
	}
}

// stalledLeases is a leases bucket whose first Status, or first Get,
// answers only after a stall, as a claimant's connection or scheduler may
// stall between two requests.
type stalledLeases struct {
	jetstream.KeyValue
	stallStatus, stallGet time.Duration
	status, get           sync.Once
}

func (s *stalledLeases) Status(ctx context.Context) (jetstream.KeyValueStatus, error) {
	s.status.Do(func() { time.Sleep(s.stallStatus) })
	return s.KeyValue.Status(ctx)
}

func (s *stalledLeases) Get(ctx context.Context, key string) (jetstream.KeyValueEntry, error) {
	s.get.Do(func() { time.Sleep(s.stallGet) })
	return s.KeyValue.Get(ctx, key)
}

// Contract: REMOTE.md, Ownership ("one live owner per key"; a takeover
// only when the owner's lease is gone) and ownership.go's leaseAlive. A
// claimant compares the lease record's store time with the server's time:
// one that stalls (here for 1.3 × TTL) between reading the two must not
// find a live, renewing owner's lease older than the TTL. Found by the
// adversarial tests: when the record was read first and the time after a
// stall, the claimant took the key while its owner still served it.
func TestStalledClaimantDoesNotTakeLiveKey(t *testing.T) {
	const ttl = time.Second
	for _, stall := range []struct {
		name             string
		status, getStall time.Duration
	}{
		{"before the time", ttl * 13 / 10, 0},
		{"before the record", 0, ttl * 13 / 10},
	} {
		t.Run(stall.name, func(t *testing.T) {
			srv := startServer(t, embedded.Config{})
			a, b := startNode(t, srv, WithLeaseTTL(ttl)), startNode(t, srv, WithLeaseTTL(ttl))
			fa, fb := newFake("A"), newFake("B")
			bind(t, a, fa, "k")
			// B opens its buckets with a claim of its own before the stall is set.
			lb := bind(t, b, fb, "other")
			b.own.mu.Lock()
			b.own.leases = &stalledLeases{KeyValue: b.own.leases, stallStatus: stall.status, stallGet: stall.getStall}
			b.own.mu.Unlock()

			fb.register("k", 16)
			err := lb.Claim(timeout(t, 5*time.Second), "k")
			if err == nil {
				t.Errorf("B claimed k while A, renewing its lease all along, held it; A still holds it: %v", fa.holds("k"))
			} else if !errors.Is(err, runtime.ErrDuplicateKey) {
				t.Errorf("B's claim: %v, want ErrDuplicateKey", err)
			}
		})
	}
}

// timelessStatus is a leases bucket on a server whose stream info carries
// no timestamp (a server older than the field).
type timelessStatus struct{ jetstream.KeyValue }

func (s timelessStatus) Status(ctx context.Context) (jetstream.KeyValueStatus, error) {
	st, err := s.KeyValue.Status(ctx)
	if err != nil {
		return nil, err
	}
	return struct{ jetstream.KeyValueStatus }{st}, nil
}

// Contract: REMOTE.md, Ownership, and the takeover bound that
// TestDeadConnectionLosesKeys checks (TTL + 200 ms after the owner's
// connection died). On a server whose stream info lacks a timestamp,
// leaseAlive counted every lease record as live and waited for the
// bucket's MaxAge, whose timer runs late: a dead owner's keys were taken
// over 1.25-1.26 s after it died, for a TTL of 1 s (3 runs of 3), before
// renewedLately judged the lease by the claimant's clock.
func TestTakeoverWithoutServerTime(t *testing.T) {
	const ttl = time.Second
	srv := startServer(t, embedded.Config{})
	ncA := connect(t, srv, false)
	a := nodeOn(t, ncA, WithLeaseTTL(ttl))
	b := startNode(t, srv, WithLeaseTTL(ttl))
	fa, fb := newFake("A"), newFake("B")
	bind(t, a, fa, "k")
	lb := bind(t, b, fb, "other")
	b.own.mu.Lock()
	b.own.leases = timelessStatus{b.own.leases}
	b.own.mu.Unlock()

	ncA.Close()
	died := time.Now()
	fb.register("k", 16)
	claimWhenFree(t, timeout(t, 10*time.Second), lb, "k")
	if took := time.Since(died); took > ttl+200*time.Millisecond {
		t.Errorf("B took %v to take the key over, for a lease of %v, on a server that gives no time", took, ttl)
	}
}

// Contract: REMOTE.md, Ownership ("one live owner per key"; a takeover
// only when the owner's lease is gone) and ownership.go's renewedLately.
// On a server that does not say its time, a claimant that tries again and
// again for 2.5 TTLs, or whose read of the lease stalls for 1.3 TTLs, must
// not take the key of a live owner that renews its lease all along.
func TestTimelessClaimantDoesNotTakeLiveKey(t *testing.T) {
	const ttl = time.Second
	for _, stall := range []time.Duration{0, ttl * 13 / 10} {
		t.Run(fmt.Sprintf("stall=%v", stall), func(t *testing.T) {
			srv := startServer(t, embedded.Config{})
			a, b := startNode(t, srv, WithLeaseTTL(ttl)), startNode(t, srv, WithLeaseTTL(ttl))
			fa, fb := newFake("A"), newFake("B")
			bind(t, a, fa, "k")
			lb := bind(t, b, fb, "other")
			b.own.mu.Lock()
			b.own.leases = &stalledLeases{KeyValue: timelessStatus{b.own.leases}, stallGet: stall}
			b.own.mu.Unlock()

			fb.register("k", 16)
			tries := 0
			for end := time.Now().Add(ttl * 5 / 2); time.Now().Before(end); tries++ {
				err := lb.Claim(timeout(t, 5*time.Second), "k")
				if err == nil {
					t.Fatalf("B claimed k at try %d while A, renewing its lease all along, held it; A still holds it: %v", tries, fa.holds("k"))
				}
				if !errors.Is(err, runtime.ErrDuplicateKey) {
					t.Fatalf("B's claim: %v, want ErrDuplicateKey", err)
				}
				time.Sleep(20 * time.Millisecond)
			}
			if !fa.holds("k") {
				t.Error("A no longer holds k")
			}
		})
	}
}

// Contract: REMOTE.md, Ownership ("one live owner per key", takeover "only
// when its owner's liveness lease is gone"). Eight nodes race to take over
// the key of a node whose connection died, each retrying: exactly one wins,
// within the bound TestDeadConnectionLosesKeys sets, and no two ever hold
// it at once. TestClaimRace races claims of a free key only; this races the
// takeover path (Update at the dead owner's revision). It passes.
func TestAdversaryTakeoverRace(t *testing.T) {
	const ttl = time.Second
	const racers = 8
	srv := startServer(t, embedded.Config{})
	ncA := connect(t, srv, false)
	fa := newFake("A")
	bind(t, nodeOn(t, ncA, WithLeaseTTL(ttl)), fa, "k")
	fakes := make([]*fakeService, racers)
	links := make([]runtime.Link, racers)
	for i := range racers {
		fakes[i] = newFake(fmt.Sprint("R", i))
		links[i] = bind(t, startNode(t, srv, WithLeaseTTL(ttl)), fakes[i])
		fakes[i].register("k", 16)
	}
	caller := bind(t, startNode(t, srv), newFake("caller"))

	ncA.Close()
	died := time.Now()
	ctx := timeout(t, 5*time.Second)
	var wg sync.WaitGroup
	var won atomic.Int32
	var firstWin atomic.Int64
	winner := make(chan string, racers)
	for i := range racers {
		wg.Go(func() {
			for ctx.Err() == nil && won.Load() == 0 {
				err := links[i].Claim(ctx, "k")
				if err == nil {
					won.Add(1)
					winner <- fakes[i].name
					firstWin.CompareAndSwap(0, int64(time.Since(died)))
					return
				}
				if !errors.Is(err, runtime.ErrDuplicateKey) {
					t.Error(err)
					return
				}
				time.Sleep(5 * time.Millisecond)
			}
			fakes[i].unregister("k")
		})
	}
	wg.Wait()
	if n := won.Load(); n != 1 {
		t.Fatalf("%d racers won the takeover, want exactly 1", n)
	}
	w := <-winner
	for i := range 20 {
		var res echoResult
		if err := call(ctx, caller, "k", "Echo", &echoArgs{N: i}, &res); err != nil || res.Node != w {
			t.Fatalf("call %d after the takeover: %v, answered by %q, want the winner %s", i, err, res.Node, w)
		}
	}
	if took := time.Duration(firstWin.Load()); took > ttl+200*time.Millisecond {
		t.Errorf("the takeover took %v after the owner died, for a lease of %v", took, ttl)
	}
}
