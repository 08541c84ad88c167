package natsdispatch

// A second round of adversarial tests of the delivery of one-way messages
// (doc.go, Delivery; confirm.go; sendring.go): a one-way message is
// delivered to the hosting node or its Done is called exactly once with an
// error; none is lost unseen, none reported twice, none delivered on a
// healthy connection reported as failed; Node.Close returns within its
// context. The tests that found a bug skip unless -confirm-adversary2 is
// set; each says what it found.

import (
	"context"
	"errors"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dispatchgen/dispatchgen/natsdispatch/embedded"
	"github.com/dispatchgen/dispatchgen/runtime"
	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// doneCounts sorts recs into those whose Done never came, came more than
// once, or came once with an error of each kind.
func doneCounts(recs []sendRecord) map[string]int {
	counts := map[string]int{}
	for _, r := range recs {
		switch {
		case r.dones == 0:
			counts["no Done"]++
		case r.dones > 1:
			counts["Done twice"]++
		case errors.Is(r.err, runtime.ErrNoRecipient):
			counts["no recipient"]++
		case errors.Is(r.err, runtime.ErrMailboxFull):
			counts["mailbox full"]++
		case errors.Is(r.err, nats.ErrDisconnected):
			counts["unknown"]++
		case errors.Is(r.err, nats.ErrConnectionReconnecting):
			counts["not sent"]++
		case errors.Is(r.err, runtime.ErrClosed):
			counts["closed"]++
		default:
			counts["other"]++
		}
	}
	return counts
}

// Contract: REMOTE.md, Delivery ("still reaches the dead-letter handler
// when nobody owns the key (the server answers 503 itself)"), and
// Node.Close's doc: the messages sent before Close are confirmed or handed
// to Done. Here 200 one-way messages go to a key nobody holds, and the node
// closes right after, with a context of 2 s: every one of them must reach
// Done exactly once, with ErrNoRecipient or as unknown, since none can have
// been delivered. Close unsubscribed the reply inbox before its last PING,
// and left the refusals that had come in the reply channel: 102 to 200 of
// the 200 never reached Done. It now confirms first, since the server
// answers a PUB's 503 before the PING that follows it, and failAll hands on
// what is left in the reply channel.
func TestConfirmAdv2RefusalsBeforeCloseReachDone(t *testing.T) {
	srv := startServer(t, embedded.Config{})
	callerNode := startNode(t, srv)
	l := bind(t, callerNode, newFake("caller"))
	g := &oneWayLog{l: l, key: "nobody"}
	const n = 200
	for range n {
		g.send(false)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	start := time.Now()
	_ = callerNode.Close(ctx)
	if took := time.Since(start); took > 2500*time.Millisecond {
		t.Errorf("Close took %v, for a context of 2s", took)
	}
	time.Sleep(5 * confirmDelay) // nothing may call Done once Close returned; a late one would come by now
	counts := doneCounts(g.snapshot())
	t.Logf("%d sent to a key nobody holds, then Close: %v; %d refusals left unread in the node's reply channel",
		n, counts, len(callerNode.out.ch))
	if counts["no Done"] > 0 || counts["Done twice"] > 0 {
		t.Errorf("of %d one-way messages to a key nobody holds, sent just before Close, %d never reached Done (lost unseen) and %d reached it twice",
			n, counts["no Done"], counts["Done twice"])
	}
}

// Contract: doc.go, Delivery ("the node has the server confirm, with a
// PING ..., that it has read them, and when the connection drops, those it
// had not confirmed reach the dead-letter handler"). confirmRead counts as
// confirmed every message up to sendRing.lastSent, read before its PING;
// send gives a message its sequence number (put) before it publishes it,
// so a message can be counted as read by a PING that went out before it.
// The window between put and PublishRequest is short, and opened whenever
// the sending goroutine was descheduled there; this test held it open with
// the one piece of user code that ran in it: when the ring is full of
// unconfirmed messages (maxSendRing, set up here by direct puts, as a long
// partition behind a non-blocking socket would leave it), put handed the
// oldest to its Done, on the sender's goroutine, before the new message
// was published. That Done takes as long as one confirmation (about 10
// ms), then the network partitions, and the connection is then cut: the
// new message must be delivered, or dead-lettered as unknown. It was
// neither in every run; now the forgotten message's Done runs after the
// publish, and confirmRead takes its watermark only while no sender is
// between the two (outbound.publishing), which no test can open on demand.
func TestConfirmAdv2ConfirmationCoversOnlyPublishedMessages(t *testing.T) {
	if testing.Short() {
		t.Skip("puts a million messages")
	}
	srv := startServer(t, embedded.Config{})
	host := newFake("host")
	bind(t, startNode(t, srv), host, "k")
	px, nc, callerNode, l := proxiedCaller(t, srv, nats.MaxReconnects(-1), nats.ReconnectWait(10*time.Millisecond))
	r := &callerNode.out.sends
	confirmedPastLast := func() bool {
		r.mu.Lock()
		defer r.mu.Unlock()
		return r.confirmed >= r.last
	}

	// The filler stands for a million messages sent and not yet confirmed;
	// its Done runs when the next put forgets the oldest of them.
	var fillerDones atomic.Int32
	var confirmedBeforePublish atomic.Bool
	filler := &runtime.RemoteCall{Ctx: context.Background(), Key: "k", Method: "Note", Args: &echoArgs{N: -1}}
	filler.Done = func(error) {
		if fillerDones.Add(1) != 1 {
			return
		}
		// A slow dead-letter handler: as long as the node takes to have
		// a PING answered.
		callerNode.out.wantConfirm()
		for deadline := time.Now().Add(2 * time.Second); !confirmedPastLast() && time.Now().Before(deadline); {
			time.Sleep(time.Millisecond)
		}
		confirmedBeforePublish.Store(confirmedPastLast())
		px.pause(true)
	}
	epoch := nc.Stats().Reconnects
	for range maxSendRing {
		r.put(filler, l.(*link), epoch)
	}

	g := &oneWayLog{l: l, key: "k"}
	g.send(true) // message 0, through the window
	if fillerDones.Load() != 1 {
		t.Fatalf("the full ring handed %d messages over, want the oldest", fillerDones.Load())
	}
	// The control, message 1: sent into the same partition, with nothing
	// in its window, it is unconfirmed when the connection drops.
	g.send(true)
	time.Sleep(3 * confirmDelay) // the messages and a PING after them are out, held back
	px.cut()
	px.pause(false)
	eventually(t, 3*time.Second, "the connection to come back", func() bool {
		return nc.Status() == nats.CONNECTED && nc.Stats().Reconnects > epoch
	})
	lost := deliveredOrDone(host, g, 2, time.Second)
	rec, control := g.snapshot()[0], g.snapshot()[1]
	if control.dones != 1 || !errors.Is(control.err, nats.ErrDisconnected) || notes(host, "k")[1] != 0 {
		t.Fatalf("the control, sent into the partition with nothing in its window, was delivered %d times and reached Done %d times (%v), want once as unknown",
			notes(host, "k")[1], control.dones, control.err)
	}
	t.Logf("confirmed past the last message when the forgotten one's Done ran: %v; delivered %d times, Done %d times (%v)",
		confirmedBeforePublish.Load(), notes(host, "k")[0], rec.dones, rec.err)
	if len(lost) > 0 && lost[0] == 0 {
		t.Errorf("a one-way message published into a partition, and cut off with it, was neither delivered nor dead-lettered: the node counted it as read by a PING sent before it (settled before publish: %v)",
			confirmedBeforePublish.Load())
	}
	if rec.dones > 1 {
		t.Errorf("the message reached Done %d times", rec.dones)
	}
}

// Contract: Node.Close's doc ("ctx bounds the releases and the
// confirmation") and the promise that Close returns within its context
// even with unconfirmed messages in flight. Here a partition holds back
// one-way messages until the socket's buffers are full, so that nats.go's
// write blocks (for up to its FlusherTimeout, a minute by default) with
// the connection's lock held; then the node closes with a context of
// 300 ms.
func TestConfirmAdv2CloseReturnsWhileWritesBlock(t *testing.T) {
	// A stated limit: Node.Close ignores its context while nats.go's write
	// to a partitioned socket blocks: it waits on the connection's lock
	// until the partition heals.
	openFinding(t)
	srv := startServer(t, embedded.Config{})
	host := newFake("host")
	bind(t, startNode(t, srv), host, "k")
	px, _, callerNode, l := proxiedCaller(t, srv, nats.MaxReconnects(-1), nats.ReconnectWait(10*time.Millisecond))

	px.pause(true)
	big := strings.Repeat("x", 256<<10)
	var sent atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		for i := range 1000 {
			select {
			case <-stop:
				return
			default:
			}
			send(context.Background(), l, "k", "Note", &echoArgs{N: i, Text: big}, func(error) {})
			sent.Add(1)
		}
	})
	stalled := false
	for last, deadline := int64(-1), time.Now().Add(5*time.Second); !stalled && time.Now().Before(deadline); {
		time.Sleep(200 * time.Millisecond)
		cur := sent.Load()
		stalled, last = cur == last, cur
	}
	if !stalled {
		close(stop)
		px.pause(false)
		wg.Wait()
		t.Fatalf("the partition never blocked a send (%d sent)", sent.Load())
	}
	t.Logf("sends blocked after %d messages of 256 KiB", sent.Load())

	closed := closeWithin(callerNode, 300*time.Millisecond)
	select {
	case took := <-closed:
		if took > time.Second {
			t.Errorf("Close took %v, for a context of 300ms", took)
		}
	case <-time.After(2 * time.Second):
		t.Errorf("Close, with a context of 300ms, had not returned after 2s while the partition lasted")
	}
	close(stop)
	px.pause(false)
	select {
	case took := <-closed:
		t.Logf("Close returned %v after it was called, once the partition healed", took.Round(time.Millisecond))
	case <-time.After(5 * time.Second):
		t.Errorf("Close had not returned 5s after the partition healed")
	}
	wg.Wait()
}

// Contract: Node.Close's doc and the promise that it returns within its
// context; runtime's WithDeadLetterHandler and RemoteCall.Done (called on a
// transport goroutine). A dead-letter handler that shuts its node down on a
// failure (here on ErrNoRecipient, which comes back on the node's reply
// goroutine) calls Close with a context of 300 ms. Close waited for that
// goroutine, whatever its context, and never returned (every run); it now
// gives up at its context.
func TestConfirmAdv2DoneThatClosesTheNode(t *testing.T) {
	srv := startServer(t, embedded.Config{})
	callerNode := startNode(t, srv)
	l := bind(t, callerNode, newFake("caller"))
	closed := make(chan time.Duration, 1)
	var dones atomic.Int32
	send(context.Background(), l, "nobody", "Note", &echoArgs{}, func(err error) {
		if dones.Add(1) != 1 {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
		defer cancel()
		start := time.Now()
		_ = callerNode.Close(ctx)
		closed <- time.Since(start)
	})
	select {
	case took := <-closed:
		if took > time.Second {
			t.Errorf("Close from a Done took %v, for a context of 300ms", took)
		}
	case <-time.After(3 * time.Second):
		t.Errorf("Close, called from the Done of a refused message with a context of 300ms, had not returned after 3s (Done calls: %d)", dones.Load())
	}
}

// Contract: the promise that a one-way message is delivered or reaches its
// Done; REMOTE.md, Delivery ("a burst of one-way messages to a healthy
// recipient loses none"). Here the caller's connection stays healthy all
// along, and it is the hosting node's that is cut four times, and comes
// back within milliseconds, well inside its lease: the recipient keeps its
// key. A message sent while the host has no subscription is refused by the
// server (no responders); one the server had routed to the host's dropped
// connection is lost with it, and the caller, whose PING the server
// answered, has no way to know.
func TestConfirmAdv2HostConnectionFlapsWhileSending(t *testing.T) {
	// A stated limit: one-way messages routed to a hosting node whose
	// connection drops are lost unseen: the caller's PING confirms only that
	// the server read them.
	openFinding(t)
	srv := startServer(t, embedded.Config{})
	px := startProxy(t, strings.TrimPrefix(srv.ClientURL(), "nats://"))
	hnc, err := nats.Connect(px.url(), nats.MaxReconnects(-1), nats.ReconnectWait(time.Millisecond), nats.ReconnectJitter(0, 0))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(hnc.Close)
	host := newFake("host")
	hl := bind(t, nodeOn(t, hnc, WithLeaseTTL(4*time.Second)), host)
	host.register("k", 1<<17)
	if err := hl.Claim(context.Background(), "k"); err != nil {
		t.Fatal(err)
	}
	callerNC := connect(t, srv, true)
	l := bind(t, nodeOn(t, callerNC), newFake("caller"))
	g := &oneWayLog{l: l, key: "k"}

	stop := make(chan struct{})
	var wg sync.WaitGroup
	for range 2 {
		wg.Go(func() {
			for k := 0; ; k++ {
				select {
				case <-stop:
					return
				default:
				}
				g.send(true)
				if k%16 == 0 {
					time.Sleep(50 * time.Microsecond)
				}
			}
		})
	}
	const cuts = 4
	var cutAt []time.Time
	for range cuts {
		time.Sleep(150 * time.Millisecond)
		cutAt = append(cutAt, time.Now())
		px.cut()
	}
	time.Sleep(150 * time.Millisecond)
	close(stop)
	wg.Wait()
	total := int(g.next.Load())
	eventually(t, 3*time.Second, "the host's connection to come back", func() bool { return hnc.Status() == nats.CONNECTED })
	var lost []int
	for deadline := time.Now().Add(3 * time.Second); ; {
		got, recs := notes(host, "k"), g.snapshot()
		lost = lost[:0]
		for i := range total {
			if got[i] == 0 && recs[i].dones == 0 {
				lost = append(lost, i)
			}
		}
		if len(lost) == 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if callerNC.Stats().Reconnects != 0 {
		t.Fatalf("the caller's connection reconnected %d times; the test means it to stay up", callerNC.Stats().Reconnects)
	}
	recs := g.snapshot()
	t.Logf("%d sent across %d cuts of the host's connection (%d reconnects): %d delivered, %v",
		total, cuts, hnc.Stats().Reconnects, len(notes(host, "k")), doneCounts(recs))
	for i, r := range recs {
		if r.dones > 1 {
			t.Errorf("message %d reached Done %d times", i, r.dones)
		}
	}
	if len(lost) > 0 {
		t.Errorf("%d of %d one-way messages, sent on a healthy connection to a host whose connection dropped and came back, were neither delivered nor dead-lettered: %v",
			len(lost), total, head(lost, 10))
		t.Log(runsAroundCuts(flapResult{recs: recs, cuts: cutAt}, lost))
	}
}

// slowCreate is an owners bucket whose Create answers only after a delay,
// as a busy or replicated JetStream does.
type slowCreate struct {
	jetstream.KeyValue
	delay time.Duration
}

func (s slowCreate) Create(ctx context.Context, key string, value []byte, opts ...jetstream.KVCreateOpt) (uint64, error) {
	time.Sleep(s.delay)
	return s.KeyValue.Create(ctx, key, value, opts...)
}

// Contract: REMOTE.md, Delivery ("a burst of one-way messages to a healthy
// recipient loses none"; past the node's bound a message "is refused and
// reaches the sender's dead-letter handler") and the promise that a one-way
// message is delivered or reaches its Done. A node subscribes to a key's
// subjects before it claims the key's owner record, and holds the messages
// that come meanwhile (inbound.go, maxPending: 1024) until the claim is
// decided. Here the claim's KV Create takes 300 ms, and callers send to the
// key as it is claimed, and won: before the subscription the server
// refuses the messages (no responders), after the claim the recipient runs
// them, and in between each must be held or refused. The control paces
// its senders so that fewer than 1024 messages come during the claim; the
// burst does not, and lost 48 293 and 49 691 of its 80 000 messages in two
// runs before the node refused those past maxPending once the claim was won.
func TestConfirmAdv2BurstDuringClaimIsNotLostUnseen(t *testing.T) {
	srv := startServer(t, embedded.Config{})
	hostNode := startNode(t, srv)
	host := newFake("host")
	hl := bind(t, hostNode, host, "other") // opens the buckets and takes the lease
	hostNode.own.mu.Lock()
	hostNode.own.owners = slowCreate{KeyValue: hostNode.own.owners, delay: 300 * time.Millisecond}
	hostNode.own.mu.Unlock()
	l := bind(t, startNode(t, srv), newFake("caller"))

	run := func(key string, pace time.Duration) (total int, lost []int) {
		g := &oneWayLog{l: l, key: key}
		stop := make(chan struct{})
		var wg sync.WaitGroup
		for range 2 {
			wg.Go(func() {
				for k := 0; ; k++ {
					select {
					case <-stop:
						return
					default:
					}
					g.send(true)
					if pace > 0 {
						time.Sleep(pace)
					} else if k%16 == 0 {
						time.Sleep(50 * time.Microsecond)
					}
				}
			})
		}
		time.Sleep(50 * time.Millisecond)
		host.register(key, 1<<17)
		start := time.Now()
		if err := hl.Claim(timeout(t, 5*time.Second), key); err != nil {
			t.Fatal(err)
		}
		claimTook := time.Since(start)
		time.Sleep(100 * time.Millisecond)
		close(stop)
		wg.Wait()
		total = int(g.next.Load())
		lost = deliveredOrDone(host, g, total, 2*time.Second)
		recs := g.snapshot()
		t.Logf("to %q: %d sent while the key was claimed (the claim took %v): %d delivered, %v",
			key, total, claimTook.Round(time.Millisecond), len(notes(host, key)), doneCounts(recs))
		for i, r := range recs {
			if r.dones > 1 {
				t.Errorf("message %d to %q reached Done %d times", i, key, r.dones)
			}
		}
		return total, lost
	}
	if total, lost := run("control", 2*time.Millisecond); len(lost) > 0 {
		t.Fatalf("the control: %d of %d paced messages lost during the claim: the test is broken", len(lost), total)
	}
	if total, lost := run("k", 0); len(lost) > 0 {
		t.Errorf("%d of %d one-way messages, sent on a healthy connection to a key as it was claimed and won, were neither delivered nor dead-lettered: messages %d..%d",
			len(lost), total, lost[0], lost[len(lost)-1])
	}
}

// Contract: Node.Close's doc ("ctx bounds ... the confirmation"; the
// messages it did not confirm reach Done with an error wrapping
// nats.ErrDisconnected). Here the context given to Close has already
// ended, while a partition holds back messages the server has not
// confirmed: Close returns at once, and each message reaches Done exactly
// once, as unknown; the connection is then cut, so none is delivered.
// TestConfirmAdvCloseWithUnconfirmedMessages gives Close a live context;
// this covers the path where its PING cannot even be waited for. It passes.
func TestConfirmAdv2CloseWithEndedContext(t *testing.T) {
	srv := startServer(t, embedded.Config{})
	host := newFake("host")
	bind(t, startNode(t, srv), host, "k")
	px, nc, callerNode, l := proxiedCaller(t, srv, nats.MaxReconnects(-1), nats.ReconnectWait(10*time.Millisecond))
	g := &oneWayLog{l: l, key: "k"}

	const n = 50
	px.pause(true)
	for range n {
		g.send(true)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	start := time.Now()
	_ = callerNode.Close(ctx)
	if took := time.Since(start); took > 500*time.Millisecond {
		t.Errorf("Close with an ended context took %v", took)
	}
	px.cut()
	px.pause(false)
	eventually(t, 3*time.Second, "the connection to come back", func() bool { return nc.Status() == nats.CONNECTED })
	time.Sleep(100 * time.Millisecond) // a message the cut did not stop would be delivered by now
	got := notes(host, "k")
	for i, r := range g.snapshot() {
		switch {
		case got[i] > 0:
			t.Errorf("message %d, held back by the partition and cut off, was delivered", i)
		case r.dones != 1:
			t.Errorf("message %d reached Done %d times, want once", i, r.dones)
		case !errors.Is(r.err, nats.ErrDisconnected):
			t.Errorf("message %d reached Done with %v, want an error wrapping nats.ErrDisconnected", i, r.err)
		}
	}
}

// echoAs returns a fake of interface iface.
func echoAs(name, iface string) *fakeService {
	f := newFake(name)
	f.iface = iface
	return f
}

// Contract: doc.go, Delivery, and Node.Close's doc: a one-way message sent
// on a healthy connection and delivered is never dead-lettered, also when
// the node closes right after it, before the periodic PING confirmed it.
// Four goroutines send bursts through three dispatchers of three
// interfaces, to six keys, on one caller node, which closes as soon as
// they are done, with a context of 2 s: every message is delivered exactly
// once and none reaches Done. No other test closes a node on a healthy
// connection with messages unconfirmed. It passes.
func TestConfirmAdv2HealthyBurstAcrossLinksThenClose(t *testing.T) {
	srv := startServer(t, embedded.Config{})
	hostNode := nodeOn(t, connect(t, srv, true))
	callerNode := nodeOn(t, connect(t, srv, true))
	ifaces := []string{"Echo", "EchoB", "EchoC"}
	keys := []string{"k0", "k1"}
	hosts := make([]*fakeService, len(ifaces))
	logs := make([]*oneWayLog, 0, len(ifaces)*len(keys))
	owner := make([]*fakeService, 0, cap(logs))
	for i, iface := range ifaces {
		hosts[i] = echoAs("host", iface)
		hl := bind(t, hostNode, hosts[i])
		for _, k := range keys {
			hosts[i].register(k, 1<<16)
			if err := hl.Claim(context.Background(), k); err != nil {
				t.Fatal(err)
			}
		}
		l := bind(t, callerNode, echoAs("caller", iface))
		for _, k := range keys {
			logs = append(logs, &oneWayLog{l: l, key: k})
			owner = append(owner, hosts[i])
		}
	}
	per := 1500
	if testing.Short() {
		per = 300
	}
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			for k := range per {
				logs[(w+k)%len(logs)].send(true)
			}
		})
	}
	wg.Wait()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	start := time.Now()
	if err := callerNode.Close(ctx); err != nil {
		t.Errorf("Close: %v", err)
	}
	if took := time.Since(start); took > 2500*time.Millisecond {
		t.Errorf("Close took %v, for a context of 2s", took)
	}
	total := 0
	for i, g := range logs {
		n := int(g.next.Load())
		total += n
		eventually(t, 3*time.Second, "every message delivered", func() bool { return len(notes(owner[i], g.key)) >= n })
	}
	time.Sleep(5 * confirmDelay) // a late Done would come by now
	for i, g := range logs {
		got := notes(owner[i], g.key)
		for j, r := range g.snapshot() {
			if r.dones > 0 {
				t.Errorf("%s[%s] message %d, sent on a healthy connection and delivered %d times, reached Done %d times: %v",
					owner[i].iface, g.key, j, got[j], r.dones, r.err)
			}
			if got[j] != 1 {
				t.Errorf("%s[%s] message %d delivered %d times", owner[i].iface, g.key, j, got[j])
			}
		}
	}
	t.Logf("%d messages over %d links and %d keys, then Close", total, len(ifaces), len(logs))
}

// target is one key of one interface that senders write to, with the host
// that serves it, and whether a message to it can be refused (then a
// refusal lost with the connection is the limit doc.go states, and only
// "at most one Done" is checked).
type target struct {
	g       *oneWayLog
	host    *fakeService
	refused bool
}

// Contract: doc.go, Delivery, and runtime.Link's Send: every one-way
// message is delivered or reaches its Done, at most once, and one refused
// as not sent is never delivered; the send ring and its confirmation are
// the node's, shared by all its dispatchers. Six goroutines send without a
// pause through three dispatchers (three interfaces) on one caller node,
// to five keys that a host holds, one whose mailbox of 1 is always full,
// and one nobody holds, while the caller's connection is cut four times
// and nats.go is back within milliseconds. The flapping tests of
// confirm_adversary_test.go use one dispatcher, one key and no refusals.
// It passes.
func TestConfirmAdv2ManySendersAcrossLinksWhileCut(t *testing.T) {
	srv := startServer(t, embedded.Config{})
	hostNode := startNode(t, srv)
	host := newFake("host") // Echo, k: proxiedCaller's first call
	hl := bind(t, hostNode, host)
	host.register("k", 1<<17)
	if err := hl.Claim(context.Background(), "k"); err != nil {
		t.Fatal(err)
	}
	px, nc, callerNode, l := proxiedCaller(t, srv, nats.MaxReconnects(-1), nats.ReconnectWait(time.Millisecond), nats.ReconnectJitter(0, 0))
	targets := []target{{g: &oneWayLog{l: l, key: "k"}, host: host}, {g: &oneWayLog{l: l, key: "nobody"}, host: host, refused: true}}
	for _, iface := range []string{"EchoB", "EchoC"} {
		h := echoAs("host", iface)
		h.handlers["Note"] = func(ctx context.Context, key string, in *runtime.Inbound) (any, error) {
			if key == "full" {
				time.Sleep(time.Millisecond)
			}
			return h.note(ctx, key, in)
		}
		hl := bind(t, hostNode, h)
		cl := bind(t, callerNode, echoAs("caller", iface))
		for _, k := range []string{"a", "b"} {
			h.register(k, 1<<17)
			if err := hl.Claim(context.Background(), k); err != nil {
				t.Fatal(err)
			}
			targets = append(targets, target{g: &oneWayLog{l: cl, key: k}, host: h})
		}
		if iface == "EchoC" {
			h.register("full", 1)
			if err := hl.Claim(context.Background(), "full"); err != nil {
				t.Fatal(err)
			}
			targets = append(targets, target{g: &oneWayLog{l: cl, key: "full"}, host: h, refused: true})
		}
	}

	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := range 6 {
		wg.Go(func() {
			for k := 0; ; k++ {
				select {
				case <-stop:
					return
				default:
				}
				targets[(w+k)%len(targets)].g.send(false)
				if k%16 == 0 {
					time.Sleep(50 * time.Microsecond)
				}
			}
		})
	}
	rounds := 4
	if testing.Short() {
		rounds = 2
	}
	for range rounds {
		time.Sleep(150 * time.Millisecond)
		px.cut()
	}
	time.Sleep(150 * time.Millisecond)
	close(stop)
	wg.Wait()
	eventually(t, 3*time.Second, "the connection to come back", func() bool { return nc.Status() == nats.CONNECTED })

	missing := func() int {
		n := 0
		for _, tg := range targets {
			if tg.refused {
				continue
			}
			got, recs := notes(tg.host, tg.g.key), tg.g.snapshot()
			for i, r := range recs {
				if got[i] == 0 && r.dones == 0 {
					n++
				}
			}
		}
		return n
	}
	for deadline := time.Now().Add(3 * time.Second); missing() > 0 && time.Now().Before(deadline); {
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(5 * confirmDelay) // a late Done would come by now
	for _, tg := range targets {
		got, recs := notes(tg.host, tg.g.key), tg.g.snapshot()
		var lost, twice, notSentDelivered []int
		for i, r := range recs {
			switch {
			case r.dones > 1:
				twice = append(twice, i)
			case r.dones == 1 && errors.Is(r.err, nats.ErrConnectionReconnecting) && got[i] > 0:
				notSentDelivered = append(notSentDelivered, i)
			case r.dones == 0 && got[i] == 0 && !tg.refused:
				lost = append(lost, i)
			}
		}
		t.Logf("%s[%s]: %d sent, %v", tg.host.iface, tg.g.key, len(recs), doneCounts(recs))
		if len(lost) > 0 {
			t.Errorf("%s[%s]: %d messages neither delivered nor dead-lettered: %v", tg.host.iface, tg.g.key, len(lost), head(lost, 10))
		}
		if len(twice) > 0 {
			t.Errorf("%s[%s]: %d messages reached Done more than once: %v", tg.host.iface, tg.g.key, len(twice), head(twice, 10))
		}
		if len(notSentDelivered) > 0 {
			t.Errorf("%s[%s]: %d messages refused as not sent were delivered: %v", tg.host.iface, tg.g.key, len(notSentDelivered), head(notSentDelivered, 10))
		}
	}
}

// Contract: doc.go, Delivery, and runtime.Link's Send: the embedded server
// restarts (JetStream on file storage, same port) while three goroutines
// send one-way messages, over TCP, to two keys of a host whose lease
// outlives the outage. Every message is delivered or reaches its Done, at
// most once; one refused as not sent is never delivered; and once both
// nodes are back, messages flow again with none dead-lettered. The
// flapping tests cut the caller's connection through a proxy, with the
// server up all along; this takes the server, with every connection to
// it, away. It passes.
func TestConfirmAdv2ServerRestartWhileSending(t *testing.T) {
	dir := t.TempDir()
	srv := startServer(t, embedded.Config{Dir: dir})
	port := srv.NATS().Addr().(*net.TCPAddr).Port
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
	host := newFake("host")
	hl := bind(t, nodeOn(t, reconnecting(), WithLeaseTTL(4*time.Second)), host)
	keys := []string{"k0", "k1"}
	for _, k := range keys {
		host.register(k, 1<<17)
		if err := hl.Claim(context.Background(), k); err != nil {
			t.Fatal(err)
		}
	}
	callerNC := reconnecting()
	l := bind(t, nodeOn(t, callerNC, WithLeaseTTL(4*time.Second)), newFake("caller"))
	logs := []*oneWayLog{{l: l, key: keys[0]}, {l: l, key: keys[1]}}

	var healthy atomic.Bool // set once both nodes are back after the restart
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := range 3 {
		wg.Go(func() {
			for k := 0; ; k++ {
				select {
				case <-stop:
					return
				default:
				}
				logs[(w+k)%len(logs)].send(healthy.Load())
				if k%8 == 0 {
					time.Sleep(100 * time.Microsecond)
				}
			}
		})
	}
	time.Sleep(200 * time.Millisecond)
	srv.Shutdown()
	time.Sleep(200 * time.Millisecond)
	var err error
	again, err = embedded.Start(embedded.Config{Dir: dir, Configure: func(o *server.Options) { o.Port = port }})
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, 5*time.Second, "a call to go through after the restart", func() bool {
		return call(timeout(t, time.Second), l, keys[0], "Echo", &echoArgs{}, &echoResult{}) == nil
	})
	// Once a call has gone through, both nodes are connected; a message
	// that was sent before, and unconfirmed, may still be unknown, but one
	// sent from a moment later is confirmed by a PING on this connection.
	time.Sleep(20 * time.Millisecond)
	reconnects := callerNC.Stats().Reconnects
	healthy.Store(true)
	time.Sleep(300 * time.Millisecond)
	close(stop)
	wg.Wait()
	if callerNC.Stats().Reconnects != reconnects {
		t.Fatalf("the caller reconnected again after the restart; the test means its connection to stay up")
	}

	lostOf := func(g *oneWayLog) []int {
		got, recs := notes(host, g.key), g.snapshot()
		var lost []int
		for i, r := range recs {
			if got[i] == 0 && r.dones == 0 {
				lost = append(lost, i)
			}
		}
		return lost
	}
	for deadline := time.Now().Add(3 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if len(lostOf(logs[0]))+len(lostOf(logs[1])) == 0 {
			break
		}
	}
	time.Sleep(5 * confirmDelay) // a late Done would come by now
	for _, g := range logs {
		got, recs := notes(host, g.key), g.snapshot()
		var healthyDead []int
		for i, r := range recs {
			switch {
			case r.dones > 1:
				t.Errorf("%s message %d reached Done %d times", g.key, i, r.dones)
			case r.dones == 1 && errors.Is(r.err, nats.ErrConnectionReconnecting) && got[i] > 0:
				t.Errorf("%s message %d was refused as not sent, yet delivered", g.key, i)
			case r.dones == 1 && r.healthy:
				healthyDead = append(healthyDead, i)
			}
		}
		t.Logf("%s: %d sent across the restart, %d delivered, %v", g.key, len(recs), len(got), doneCounts(recs))
		if lost := lostOf(g); len(lost) > 0 {
			t.Errorf("%s: %d messages neither delivered nor dead-lettered: %v", g.key, len(lost), head(lost, 10))
		}
		if len(healthyDead) > 0 {
			t.Errorf("%s: %d messages sent once both nodes were back reached Done, the first with %v", g.key, len(healthyDead), recs[healthyDead[0]].err)
		}
	}
}

// retryLog sends numbered one-way messages whose Done sends the message
// again, once, from whatever goroutine the transport calls it on, and
// records the Done calls of both. A retry of message i carries N = -1-i.
type retryLog struct {
	l    runtime.Link
	key  string
	next atomic.Int64

	mu       sync.Mutex
	orig     map[int]int // Done calls of each original
	retry    map[int]int // Done calls of each retry
	retryErr map[int]error
}

func newRetryLog(l runtime.Link, key string) *retryLog {
	return &retryLog{l: l, key: key, orig: map[int]int{}, retry: map[int]int{}, retryErr: map[int]error{}}
}

func (g *retryLog) send() {
	i := int(g.next.Add(1) - 1)
	send(context.Background(), g.l, g.key, "Note", &echoArgs{N: i}, func(error) {
		g.mu.Lock()
		g.orig[i]++
		first := g.orig[i] == 1
		g.mu.Unlock()
		if !first {
			return
		}
		send(context.Background(), g.l, g.key, "Note", &echoArgs{N: -1 - i}, func(err error) {
			g.mu.Lock()
			g.retry[i]++
			g.retryErr[i] = err
			g.mu.Unlock()
		})
	})
}

// Contract: runtime.Link's Send (Done at most once, "on one of the
// transport's goroutines") and doc.go, Delivery. A Done that sends again
// runs inside the node's own paths: on the sender's goroutine (not sent,
// while nats.go reconnects), on the confirming goroutine (unknown, after a
// drop), on the reply goroutine (no recipient), and inside Close, which
// hands the messages it could not confirm over. Here every Done sends its
// message once more, while the connection is cut three times, and then the
// node closes with messages held back by a partition: nothing deadlocks,
// Close returns within its context, every original and every retry reaches
// Done at most once, and each message to the held key is delivered, or
// reached Done and was sent again, the retry itself delivered or done. It
// passes.
func TestConfirmAdv2DoneThatSendsAgain(t *testing.T) {
	srv := startServer(t, embedded.Config{})
	host := newFake("host")
	hl := bind(t, startNode(t, srv), host)
	host.register("k", 1<<17)
	if err := hl.Claim(context.Background(), "k"); err != nil {
		t.Fatal(err)
	}
	px, nc, callerNode, l := proxiedCaller(t, srv, nats.MaxReconnects(-1), nats.ReconnectWait(time.Millisecond), nats.ReconnectJitter(0, 0))
	held, nobody := newRetryLog(l, "k"), newRetryLog(l, "nobody")

	stop := make(chan struct{})
	var wg sync.WaitGroup
	for _, g := range []*retryLog{held, held, nobody} {
		wg.Go(func() {
			for k := 0; ; k++ {
				select {
				case <-stop:
					return
				default:
				}
				g.send()
				if k%16 == 0 {
					time.Sleep(50 * time.Microsecond)
				}
			}
		})
	}
	for range 3 {
		time.Sleep(150 * time.Millisecond)
		px.cut()
	}
	time.Sleep(150 * time.Millisecond)
	close(stop)
	wg.Wait()
	eventually(t, 3*time.Second, "the connection to come back", func() bool { return nc.Status() == nats.CONNECTED })
	time.Sleep(200 * time.Millisecond) // the last confirmations and refusals come back
	// Held back, then handed over by Close, whose Done sends again into a
	// closed node.
	px.pause(true)
	for range 20 {
		held.send()
	}
	closed := closeWithin(callerNode, 300*time.Millisecond)
	select {
	case took := <-closed:
		if took > time.Second {
			t.Errorf("Close took %v, for a context of 300ms", took)
		}
	case <-time.After(3 * time.Second):
		t.Fatal("Close, whose Done calls send again, had not returned after 3s")
	}
	px.cut()
	px.pause(false)
	eventually(t, 3*time.Second, "the connection to come back", func() bool { return nc.Status() == nats.CONNECTED })
	time.Sleep(100 * time.Millisecond)

	for _, g := range []*retryLog{held, nobody} {
		total := int(g.next.Load())
		got := notes(host, g.key)
		g.mu.Lock()
		var twice, lost []int
		retried := 0
		for i := range total {
			if g.orig[i] > 1 || g.retry[i] > 1 {
				twice = append(twice, i)
			}
			if g.orig[i] == 1 {
				retried++
			}
			if g.key != "k" {
				continue
			}
			if got[i] == 0 && g.orig[i] == 0 {
				lost = append(lost, i)
			}
			if g.orig[i] == 1 && got[-1-i] == 0 && g.retry[i] == 0 {
				lost = append(lost, -1-i)
			}
		}
		g.mu.Unlock()
		t.Logf("to %q: %d sent, %d sent again from their Done", g.key, total, retried)
		if len(twice) > 0 {
			t.Errorf("to %q: %d messages or their retries reached Done more than once: %v", g.key, len(twice), head(twice, 10))
		}
		if len(lost) > 0 {
			t.Errorf("to %q: %d messages or retries (negative) neither delivered nor dead-lettered: %v", g.key, len(lost), head(lost, 10))
		}
	}
}

// Contract: Node.Close's doc (calls "fail with runtime.ErrClosed after
// it"; the messages it did not confirm reach Done as unknown) and doc.go,
// Delivery. Four goroutines send without a pause, over a healthy TCP
// connection, to a held key while the node closes under them: each message
// is delivered or reaches Done, at most once; one refused as not sent
// (ErrClosed, or not sent for any reason) is never delivered; Close returns
// within its context. It passes.
func TestConfirmAdv2CloseRacingSenders(t *testing.T) {
	srv := startServer(t, embedded.Config{})
	host := newFake("host")
	hl := bind(t, startNode(t, srv), host)
	host.register("k", 1<<17)
	if err := hl.Claim(context.Background(), "k"); err != nil {
		t.Fatal(err)
	}
	callerNode := nodeOn(t, connect(t, srv, true))
	l := bind(t, callerNode, newFake("caller"))
	g := &oneWayLog{l: l, key: "k"}

	var afterClose atomic.Int64 // sends begun after Close returned
	var closedAt atomic.Bool
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for k := 0; afterClose.Load() < 200; k++ {
				if closedAt.Load() {
					afterClose.Add(1)
				}
				g.send(false)
				if k%16 == 0 {
					time.Sleep(50 * time.Microsecond)
				}
			}
		})
	}
	time.Sleep(100 * time.Millisecond)
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	start := time.Now()
	_ = callerNode.Close(ctx)
	if took := time.Since(start); took > 1500*time.Millisecond {
		t.Errorf("Close took %v, for a context of 1s", took)
	}
	closedAt.Store(true)
	wg.Wait()
	total := int(g.next.Load())
	lost := deliveredOrDone(host, g, total, 2*time.Second)
	time.Sleep(5 * confirmDelay)
	got := notes(host, "k")
	var twice, notSentDelivered []int
	for i, r := range g.snapshot() {
		if r.dones > 1 {
			twice = append(twice, i)
		}
		if r.dones == 1 && strings.Contains(r.err.Error(), " not sent: ") && got[i] > 0 {
			notSentDelivered = append(notSentDelivered, i)
		}
	}
	t.Logf("%d sent around Close: %d delivered, %v", total, len(got), doneCounts(g.snapshot()))
	if len(lost) > 0 {
		t.Errorf("%d messages sent as the node closed were neither delivered nor dead-lettered: %v", len(lost), head(lost, 10))
	}
	if len(twice) > 0 {
		t.Errorf("%d messages reached Done more than once: %v", len(twice), head(twice, 10))
	}
	if len(notSentDelivered) > 0 {
		t.Errorf("%d messages refused as not sent were delivered: %v", len(notSentDelivered), head(notSentDelivered, 10))
	}
}

// Contract: sendring.go (an unconfirmed message is never overwritten: the
// ring doubles) and doc.go, Delivery ("those sent on the new one are
// confirmed by its own PINGs"). More than sendRingSize messages are
// written behind a partition, so that the ring grows, and the connection
// is then cut; nats.go is back within milliseconds, and a sender goes on
// at once on the new connection while the node hands the old messages,
// tens of thousands of them, to their Done. Each old message reaches Done
// exactly once as unknown, and none is delivered; each new one is
// delivered or reaches Done, and none sent once the connection was back is
// dead-lettered. TestConfirmAdvMoreUnconfirmedThanTheRing grows the ring
// with no sending across the reconnection. It passes.
func TestConfirmAdv2RingGrowsAcrossReconnect(t *testing.T) {
	srv := startServer(t, embedded.Config{})
	host := newFake("host")
	hl := bind(t, startNode(t, srv), host)
	host.register("k", 1<<18)
	if err := hl.Claim(context.Background(), "k"); err != nil {
		t.Fatal(err)
	}
	px, nc, callerNode, l := proxiedCaller(t, srv, nats.SetCustomDialer(queueDialer{}),
		nats.MaxReconnects(-1), nats.ReconnectWait(time.Millisecond), nats.ReconnectJitter(0, 0))
	g := &oneWayLog{l: l, key: "k"}

	const old = sendRingSize + 2000
	px.pause(true)
	if !sendAll(g, old, 5*time.Second) {
		t.Fatalf("only %d of %d messages sent in 5s behind the partition", g.next.Load(), old)
	}
	r := &callerNode.out.sends
	r.mu.Lock()
	size := len(r.slots)
	r.mu.Unlock()
	if size <= sendRingSize {
		t.Fatalf("the ring holds %d slots after %d unconfirmed messages; it should have grown", size, old)
	}
	base := nc.Stats().Reconnects
	px.cut()
	px.pause(false)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		for k := 0; ; k++ {
			select {
			case <-stop:
				return
			default:
			}
			g.send(nc.Status() == nats.CONNECTED && nc.Stats().Reconnects > base)
			if k%16 == 0 {
				time.Sleep(50 * time.Microsecond)
			}
		}
	})
	time.Sleep(400 * time.Millisecond)
	close(stop)
	wg.Wait()
	eventually(t, 3*time.Second, "the connection to come back", func() bool { return nc.Status() == nats.CONNECTED })
	total := int(g.next.Load())
	lost := deliveredOrDone(host, g, total, 5*time.Second)
	time.Sleep(5 * confirmDelay) // a late Done would come by now
	got, recs := notes(host, "k"), g.snapshot()
	var oldBad, healthyDead, notSentDelivered, twice []int
	healthy := 0
	for i, r := range recs {
		if r.dones > 1 {
			twice = append(twice, i)
		}
		if i < old {
			if got[i] > 0 || r.dones != 1 || !errors.Is(r.err, nats.ErrDisconnected) {
				oldBad = append(oldBad, i)
			}
			continue
		}
		if r.dones == 1 && errors.Is(r.err, nats.ErrConnectionReconnecting) && got[i] > 0 {
			notSentDelivered = append(notSentDelivered, i)
		}
		if r.healthy {
			healthy++
			if r.dones > 0 {
				healthyDead = append(healthyDead, i)
			}
		}
	}
	t.Logf("%d sent behind the partition (ring of %d), %d after the cut (%d on the new connection): %v",
		old, size, total-old, healthy, doneCounts(recs))
	if len(lost) > 0 {
		t.Errorf("%d messages neither delivered nor dead-lettered: %v", len(lost), head(lost, 10))
	}
	if len(oldBad) > 0 {
		i := oldBad[0]
		t.Errorf("%d of the %d messages cut off were not dead-lettered exactly once as unknown, or were delivered; the first, %d: delivered %d, Done %d (%v)",
			len(oldBad), old, i, got[i], recs[i].dones, recs[i].err)
	}
	if len(healthyDead) > 0 {
		t.Errorf("%d of %d messages sent on the new connection reached Done, the first with %v", len(healthyDead), healthy, recs[healthyDead[0]].err)
	}
	if len(notSentDelivered) > 0 {
		t.Errorf("%d messages refused as not sent were delivered: %v", len(notSentDelivered), head(notSentDelivered, 10))
	}
	if len(twice) > 0 {
		t.Errorf("%d messages reached Done more than once: %v", len(twice), head(twice, 10))
	}
}

// closeWithin closes n, with a context of d, on a goroutine of its own, and
// returns a channel of how long Close took.
func closeWithin(n *Node, d time.Duration) <-chan time.Duration {
	closed := make(chan time.Duration, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), d)
		defer cancel()
		start := time.Now()
		_ = n.Close(ctx)
		closed <- time.Since(start)
	}()
	return closed
}

// The claim that loses answers nothing: a node that claims a key another
// node holds, under a flood, keeps the reply subjects of the messages past
// maxPending as it waits for its claim, and must drop them when the claim
// fails, since the owner serves them; refusing them would dead-letter
// messages that were delivered.
func TestConfirmAdv2LostClaimUnderAFloodRefusesNothing(t *testing.T) {
	srv := startServer(t, embedded.Config{})
	owner := newFake("owner")
	ol := bind(t, startNode(t, srv), owner)
	owner.register("k", 1<<17) // no refusal for a full mailbox
	if err := ol.Claim(context.Background(), "k"); err != nil {
		t.Fatal(err)
	}
	claimantNode := startNode(t, srv)
	claimant := bind(t, claimantNode, newFake("claimant"), "other") // opens the buckets and takes the lease
	claimantNode.own.mu.Lock()
	claimantNode.own.owners = slowCreate{KeyValue: claimantNode.own.owners, delay: 300 * time.Millisecond}
	claimantNode.own.mu.Unlock()
	g := &oneWayLog{l: bind(t, startNode(t, srv), newFake("caller")), key: "k"}

	stop := make(chan struct{})
	var wg sync.WaitGroup
	for range 2 {
		wg.Go(func() {
			for k := 0; ; k++ {
				select {
				case <-stop:
					return
				default:
				}
				g.send(true)
				if k%16 == 0 {
					time.Sleep(50 * time.Microsecond)
				}
			}
		})
	}
	time.Sleep(50 * time.Millisecond)
	if err := claimant.Claim(timeout(t, 5*time.Second), "k"); !errors.Is(err, runtime.ErrDuplicateKey) {
		t.Fatalf("a claim of a key another node holds: err = %v, want ErrDuplicateKey", err)
	}
	time.Sleep(100 * time.Millisecond)
	close(stop)
	wg.Wait()
	total := int(g.next.Load())
	lost := deliveredOrDone(owner, g, total, 2*time.Second)
	counts := doneCounts(g.snapshot())
	t.Logf("%d sent while another node claimed the key: %d delivered, %v", total, len(notes(owner, "k")), counts)
	if total <= maxPending {
		t.Fatalf("only %d messages came during the claim, not more than maxPending (%d): the test is broken", total, maxPending)
	}
	if len(lost) > 0 || counts["mailbox full"] > 0 || counts["Done twice"] > 0 {
		t.Errorf("of %d messages to a key its owner served while another node lost its claim: %d lost, %d refused as a full mailbox, %d with two Dones",
			total, len(lost), counts["mailbox full"], counts["Done twice"])
	}
}
