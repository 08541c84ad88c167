package natsdispatch

// Adversarial tests of what a node does with the messages that came for a
// key while it claimed it (inbound.go: held.keep, inbound.ready), when the
// key is released or fenced right after the claim was won, or when the
// key's previous owner lets it go while another node claims it; and of
// Node.Close while a recipient's method blocks and the delivery goroutine
// of replies is stuck in a Done. The contract: a message runs exactly once
// on the node that owns its key, or reaches its sender as a refusal; none
// runs twice, none is lost unseen, nothing panics or hangs, and a key given
// up can be claimed by another node. The tests of a stated limit skip
// unless -adversary is set (see openFinding).

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dispatchgen/dispatchgen/natsdispatch/embedded"
	"github.com/dispatchgen/dispatchgen/runtime"
	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/goleak"
)

// gatedCreate is an owners bucket whose Create tells entered that it was
// called, and goes on only once proceed is closed: a claim that the test
// holds between its subscription and its owner record.
type gatedCreate struct {
	jetstream.KeyValue
	entered chan string
	proceed chan struct{}
}

func newGatedCreate(kv jetstream.KeyValue) gatedCreate {
	return gatedCreate{KeyValue: kv, entered: make(chan string, 16), proceed: make(chan struct{})}
}

func (g gatedCreate) Create(ctx context.Context, key string, value []byte, opts ...jetstream.KVCreateOpt) (uint64, error) {
	select {
	case g.entered <- key:
	default:
	}
	select {
	case <-g.proceed:
	case <-ctx.Done():
		return 0, ctx.Err()
	}
	return g.KeyValue.Create(ctx, key, value, opts...)
}

// gateOwners makes n's owner records go through a gatedCreate; the node
// must have opened its buckets.
func gateOwners(n *Node) gatedCreate {
	n.own.mu.Lock()
	defer n.own.mu.Unlock()
	g := newGatedCreate(n.own.owners)
	n.own.owners = g
	return g
}

// gatedServe is a fake dispatcher whose first Serve of key blocks, on the
// node's delivery goroutine, until open is closed: it holds inbound.ready
// in the middle of the messages it serves. It counts the Serves of key.
type gatedServe struct {
	*fakeService
	key     string
	once    sync.Once
	blocked chan struct{}
	open    chan struct{}
	served  atomic.Int64
}

func newGatedServe(f *fakeService, key string) *gatedServe {
	return &gatedServe{fakeService: f, key: key, blocked: make(chan struct{}), open: make(chan struct{})}
}

func (g *gatedServe) Serve(in *runtime.Inbound) {
	if in.Key == g.key {
		g.served.Add(1)
		first := false
		g.once.Do(func() { first = true })
		if first {
			close(g.blocked)
			<-g.open
		}
	}
	g.fakeService.Serve(in)
}

// writerWaits reports whether a goroutine waits for n.in.mu's write lock
// (or holds it): TryRLock fails then.
func writerWaits(n *Node) bool {
	if n.in.mu.TryRLock() {
		n.in.mu.RUnlock()
		return false
	}
	return true
}

// recv waits up to d for a value of ch.
func recv[T any](t *testing.T, ch <-chan T, d time.Duration, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(d):
		t.Fatalf("%s: not within %v", what, d)
		panic("unreachable")
	}
}

// heldClaim is a key "k" whose claim was won with more messages held for
// it than maxPending, and whose inbound.ready is stuck in the Serve of the
// first of them.
type heldClaim struct {
	node   *Node
	host   *fakeService
	gs     *gatedServe
	link   runtime.Link
	caller runtime.Link
	g      *oneWayLog
	total  int
}

// claimWithHeldMessages sets up a heldClaim: the host node subscribes to
// "k" and holds its claim at the owner record's Create; the caller sends
// maxPending+overflow one-way messages to "k", then one to "other", which
// the host serves only once it has kept all those to "k" (one connection
// each way, so in order); the claim then goes on, is won, and ready stops
// in the first Serve. Each message is numbered by its place.
func claimWithHeldMessages(t *testing.T, srv *embedded.Server, overflow int, opts ...Option) *heldClaim {
	t.Helper()
	hc := &heldClaim{node: startNode(t, srv, opts...), host: newFake("host")}
	hc.gs = newGatedServe(hc.host, "k")
	t.Cleanup(hc.host.close)
	t.Cleanup(func() {
		select {
		case <-hc.gs.open:
		default:
			close(hc.gs.open)
		}
	})
	l, err := hc.node.Bind(hc.gs)
	if err != nil {
		t.Fatal(err)
	}
	hc.link = l
	hc.host.register("other", 16)
	if err := l.Claim(timeout(t, 5*time.Second), "other"); err != nil { // opens the buckets, takes the lease
		t.Fatal(err)
	}
	gate := gateOwners(hc.node)
	hc.host.register("k", 1<<17)
	claimed := make(chan error, 1)
	go func() { claimed <- l.Claim(timeout(t, 10*time.Second), "k") }()
	recv(t, gate.entered, 5*time.Second, "the claim of k reaches its Create")
	if err := hc.node.nc.Flush(); err != nil { // the server has k's subscription
		t.Fatal(err)
	}
	hc.caller = bind(t, startNode(t, srv), newFake("caller"))
	hc.g = &oneWayLog{l: hc.caller, key: "k"}
	hc.total = maxPending + overflow
	if !sendAll(hc.g, hc.total, 10*time.Second) {
		t.Fatal("the sends did not return")
	}
	send(context.Background(), hc.caller, "other", "Note", &echoArgs{N: -1}, func(err error) {
		t.Errorf("the probe to other: %v", err)
	})
	eventually(t, 5*time.Second, "the probe behind the held messages is served", func() bool { return notes(hc.host, "other")[-1] == 1 })
	close(gate.proceed)
	if err := recv(t, claimed, 10*time.Second, "the claim of k"); err != nil {
		t.Fatalf("the claim of k: %v", err)
	}
	recv(t, hc.gs.blocked, 5*time.Second, "ready serves the first held message")
	return hc
}

// outcomes sorts the first n messages of g by what became of them: run on
// host (how many times), refused (by error), or neither.
type outcomes struct {
	ranOnce, ranTwice, refused, both, doneTwice, lost int
	refusedBy                                         map[string]int
	lostIDs                                           []int
}

func outcomesOf(host *fakeService, g *oneWayLog, n int) outcomes {
	got, recs := notes(host, g.key), g.snapshot()
	o := outcomes{refusedBy: map[string]int{}}
	for i := range n {
		r := recs[i]
		switch {
		case got[i] > 1:
			o.ranTwice++
		case got[i] == 1:
			o.ranOnce++
		}
		if r.dones > 1 {
			o.doneTwice++
		}
		if r.dones > 0 {
			o.refused++
			switch {
			case errors.Is(r.err, runtime.ErrNoRecipient):
				o.refusedBy["no recipient"]++
			case errors.Is(r.err, runtime.ErrMailboxFull):
				o.refusedBy["mailbox full"]++
			default:
				o.refusedBy[r.err.Error()]++
			}
			if got[i] > 0 {
				o.both++
			}
		}
		if got[i] == 0 && r.dones == 0 {
			o.lost++
			o.lostIDs = append(o.lostIDs, i)
		}
	}
	return o
}

// secondNodeTakesK checks that another node can claim "k" within d and
// that a call to "k" then reaches it.
func secondNodeTakesK(t *testing.T, srv *embedded.Server, caller runtime.Link, d time.Duration, opts ...Option) {
	t.Helper()
	f2 := newFake("second")
	l2 := bind(t, startNode(t, srv, opts...), f2)
	f2.register("k", 16)
	ctx := timeout(t, d)
	for {
		err := l2.Claim(ctx, "k")
		if err == nil {
			break
		}
		if !errors.Is(err, runtime.ErrDuplicateKey) || ctx.Err() != nil {
			t.Fatalf("a second node's claim of k once the first gave it up: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	var res echoResult
	if err := call(timeout(t, 5*time.Second), caller, "k", "Echo", &echoArgs{N: 1}, &res); err != nil || res.Node != "second" {
		t.Fatalf("a call to k once the second node claimed it: %v, answered by %q", err, res.Node)
	}
}

// Contract: doc.go, Delivery ("While a node claims a key it keeps the
// first 1024 messages that come for it, to serve once the claim is won,
// and refuses the next 65 536 with an error wrapping
// runtime.ErrMailboxFull then") and Ownership ("Release ... deletes the
// record, so that another node can claim the key at once"); inbound.go,
// stateReleased ("the messages still queued for them ... fail with
// ErrNoRecipient"). Here the claim of k is won with 1024 messages kept and
// 300 more in the overflow list, and k is released (as Unregister does:
// the recipient stopped, then Release) while inbound.ready is in the middle
// of serving them: Release waits for ready's Serve and flips the key to
// released between two held messages. Every message must then run once or
// be refused once (ErrNoRecipient for those kept, ErrMailboxFull for the
// overflow), none may reach Serve after the release, Release must return,
// and a second node must claim k at once.
func TestClaimAdvReleasedRightAfterTheWin(t *testing.T) {
	srv := startServer(t, embedded.Config{})
	hc := claimWithHeldMessages(t, srv, 300)
	released := make(chan error, 1)
	go func() {
		hc.host.unregister("k")
		released <- hc.link.Release(timeout(t, 5*time.Second), "k")
	}()
	eventually(t, 5*time.Second, "Release waits for the delivery goroutine", func() bool { return writerWaits(hc.node) })
	close(hc.gs.open)
	if err := recv(t, released, 5*time.Second, "Release"); err != nil {
		t.Fatalf("Release: %v", err)
	}
	var o outcomes
	deadline := time.Now().Add(5 * time.Second)
	for {
		o = outcomesOf(hc.host, hc.g, hc.total)
		if o.lost == 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Logf("%d held messages (%d kept, %d in overflow): %d ran, refused %v, %d lost", hc.total, maxPending, hc.total-maxPending, o.ranOnce, o.refusedBy, o.lost)
	if o.ranTwice > 0 || o.both > 0 || o.doneTwice > 0 {
		t.Errorf("of messages held during a claim released at once: %d ran twice, %d ran and were refused, %d reached Done twice", o.ranTwice, o.both, o.doneTwice)
	}
	if o.lost > 0 {
		t.Errorf("%d of %d messages held during a claim released at once were neither run nor refused: %v", o.lost, hc.total, head(o.lostIDs, 10))
	}
	if s := hc.gs.served.Load(); s != 1 {
		t.Errorf("%d held messages reached the dispatcher's Serve, want only the one under way when Release came", s)
	}
	if o.refusedBy["mailbox full"] != hc.total-maxPending {
		t.Errorf("%d messages refused as a full mailbox, want the %d past maxPending", o.refusedBy["mailbox full"], hc.total-maxPending)
	}
	secondNodeTakesK(t, srv, hc.caller, 2*time.Second)
}

// Contract: doc.go, Ownership ("A node that cannot renew its lease for 0.8
// × TTL stops serving: it unsubscribes from its keys and revokes them
// from their dispatchers") and Runtime's Service.Revoke ("Once Revoke is
// called, Serve is not called for those keys again"). Here the claim of k
// is won with 1024 messages kept and 300 in the overflow list, and the
// node's lease lapses (own.fence, as the lease goroutine calls it) while
// inbound.ready serves them: the fence waits for ready's Serve and fences
// the key between two held messages. No held message may reach Serve
// after the fence, none run twice, none be refused twice, and another node
// must be able to claim k (once the fenced node's stale records are gone,
// within a renewal period). What becomes of the held messages that were
// not served is TestClaimAdvFencedRightAfterTheWinLosesNothingUnseen's.
func TestClaimAdvFencedRightAfterTheWin(t *testing.T) {
	srv := startServer(t, embedded.Config{})
	hc := fencedWhileReady(t, srv)
	if hc.host.holds("k") {
		t.Error("the fence did not revoke k")
	}
	secondNodeTakesK(t, srv, hc.caller, 5*time.Second, WithLeaseTTL(time.Second))
	o := outcomesOf(hc.host, hc.g, hc.total)
	t.Logf("%d held messages (%d kept, %d in overflow): %d ran, refused %v, %d unanswered", hc.total, maxPending, hc.total-maxPending, o.ranOnce, o.refusedBy, o.lost)
	if s := hc.gs.served.Load(); s != 1 {
		t.Errorf("%d held messages reached the dispatcher's Serve, want only the one under way when the fence came", s)
	}
	if o.ranTwice > 0 || o.both > 0 || o.doneTwice > 0 {
		t.Errorf("of messages held during a claim fenced at once: %d ran twice, %d ran and were refused, %d reached Done twice", o.ranTwice, o.both, o.doneTwice)
	}
	if o.refusedBy["mailbox full"] > 0 {
		t.Errorf("%d overflow messages of a fenced key were refused as a full mailbox: another node may serve them", o.refusedBy["mailbox full"])
	}
}

// The stated limit behind TestClaimAdvFencedRightAfterTheWin: the messages
// a fenced node held for a key are dropped unanswered (inbound.go,
// stateFenced: "another node may hold them, so their queued messages are
// dropped unanswered"), even when, as here, no other node was subscribed
// to the key, so nobody else can have them: each of those one-way messages
// is lost unseen, since its sender's PING was answered.
func TestClaimAdvFencedRightAfterTheWinLosesNothingUnseen(t *testing.T) {
	openFinding(t)
	srv := startServer(t, embedded.Config{})
	hc := fencedWhileReady(t, srv)
	lost := deliveredOrDone(hc.host, hc.g, hc.total, 3*time.Second)
	if len(lost) > 0 {
		t.Errorf("%d of %d one-way messages held for a key fenced right after its claim was won, which no other node was subscribed to, were neither run nor refused: %v",
			len(lost), hc.total, head(lost, 10))
	}
}

// Contract: REMOTE.md, Ownership ("one live owner per key"; "Unregister
// drains, then deletes the record, so a standby can claim at once"), the
// peers' complaint not to repeat ("Duplicate owners during membership
// churn", "silent retries that run a call twice"), and doc.go ("a lost
// claim leaves them to the winner"). A node subscribes to a key's subjects
// before it writes the owner record, and keeps what comes meanwhile, to
// serve if it wins. Here node B claims k while node A holds it and serves
// it; B's Create is slow (gated, as a busy JetStream is). Messages sent in
// that window reach both A, which runs them, and B, which keeps them. A
// then gives k up, by Release after its recipient drained, or by
// Node.Close; B's Create then succeeds, since the record is gone, and B
// serves what it kept: every one of those messages must run once, on A,
// not again on B.
func TestClaimAdvStandbyWinsAsTheOwnerLeavesRunsNothingTwice(t *testing.T) {
	for _, how := range []string{"release", "close"} {
		t.Run(how, func(t *testing.T) {
			const n = 50
			srv := startServer(t, embedded.Config{})
			nodeA := startNode(t, srv)
			fa := newFake("A")
			la := bind(t, nodeA, fa, "k")
			nodeB := startNode(t, srv)
			fb := newFake("B")
			lb := bind(t, nodeB, fb, "other") // opens the buckets, takes the lease
			gate := gateOwners(nodeB)
			fb.register("k", 1024)
			claimed := make(chan error, 1)
			go func() { claimed <- lb.Claim(timeout(t, 10*time.Second), "k") }()
			recv(t, gate.entered, 5*time.Second, "B's claim of k reaches its Create")
			if err := nodeB.nc.Flush(); err != nil {
				t.Fatal(err)
			}
			caller := bind(t, startNode(t, srv), newFake("caller"))
			g := &oneWayLog{l: caller, key: "k"}
			if !sendAll(g, n, 5*time.Second) {
				t.Fatal("the sends did not return")
			}
			eventually(t, 5*time.Second, "A runs the messages", func() bool { return len(notes(fa, "k")) == n })
			switch how {
			case "release":
				fa.unregister("k")
				if err := la.Release(timeout(t, 5*time.Second), "k"); err != nil {
					t.Fatal(err)
				}
			case "close":
				fa.close()
				if err := nodeA.Close(timeout(t, 5*time.Second)); err != nil {
					t.Fatal(err)
				}
			}
			// Sent once A has given k up and before B has won it: only B
			// can run these, and must, once.
			const after = 20
			if !sendAll(g, after, 5*time.Second) {
				t.Fatal("the sends after A gave k up did not return")
			}
			close(gate.proceed)
			if err := recv(t, claimed, 10*time.Second, "B's claim"); err != nil {
				t.Fatalf("B's claim of k once A gave it up: %v", err)
			}
			// A call queued behind what B kept: once it is answered, B has
			// run all of that.
			var res echoResult
			if err := call(timeout(t, 5*time.Second), caller, "k", "Echo", &echoArgs{}, &res); err != nil || res.Node != "B" {
				t.Fatalf("a call to k after B's claim: %v, answered by %q", err, res.Node)
			}
			ranA, ranB := notes(fa, "k"), notes(fb, "k")
			twice := 0
			for i := range n {
				if ranA[i]+ranB[i] > 1 {
					twice++
				}
			}
			if twice > 0 {
				t.Errorf("%d of %d one-way messages ran twice: on A, which held k, and again on B, which claimed k as A gave it up (A ran %d, B ran %d)",
					twice, n, len(ranA), len(ranB))
			}
			for i, r := range g.snapshot()[:n] {
				if r.dones > 0 {
					t.Errorf("message %d, which A ran, reached Done: %v", i, r.err)
				}
			}
			for i := n; i < n+after; i++ {
				if ranA[i] != 0 || ranB[i] != 1 {
					t.Errorf("message %d, sent after A gave k up, ran %d times on A and %d on B; want once, on B", i, ranA[i], ranB[i])
				}
			}
		})
	}
}

// Contract: Node.Close's doc ("ctx bounds the releases and the
// confirmation"; "Close waits, within ctx, for the node's goroutines, one
// of which may be running a Done or dead-letter handler"; the one-way
// messages sent are confirmed or handed to Done) and outbound.failAll
// (the refusals that came before the reply inbox was unsubscribed, and
// that no goroutine handed on, reach their callers). Here, on the hosting
// node, k's recipient is stuck in a Wait call and its mailbox of one is
// full; on the calling node, the Done of the first refused one-way message
// blocks, so the goroutine that hands out replies and refusals (Node.drain)
// is stuck, and every other refusal, of k's full mailbox and of a key
// nobody holds, has come and waits behind it. Both nodes close with a
// context of 500 ms: each Close must return within a bound of it, and
// failAll, running while the stuck goroutine still runs, must hand on
// what that goroutine did not; once the blocked Done and method are let
// go, every message must have run or reached Done exactly once, and no
// goroutine may be left (goleak, at the test's end).
func TestClaimAdvCloseWhileAMethodAndADoneBlock(t *testing.T) {
	closeWhileAMethodAndADoneBlock(t, true)
}

// The stated limit next to TestClaimAdvCloseWhileAMethodAndADoneBlock:
// doc.go, Delivery ("A refusal reaches the message's Done ... if it comes
// back while the node still remembers the message") and Close ("has the
// server confirm ... the messages not yet confirmed, while the node still
// listens for refusals"). The same, but the nodes close at once, while
// the hosting node's refusals (ErrMailboxFull) are still on their way:
// the server confirmed reading those messages, Close stops listening
// before their refusals come, and they reach neither the recipient nor
// Done (from 232 to 299 of 400 in seven runs).
func TestClaimAdvCloseBeforeTheRefusalsComeLosesThem(t *testing.T) {
	openFinding(t)
	closeWhileAMethodAndADoneBlock(t, false)
}

// closeWhileAMethodAndADoneBlock runs the two tests above; settled says to
// wait for every refusal to reach the calling node before closing.
func closeWhileAMethodAndADoneBlock(t *testing.T, settled bool) {
	ignore := goleak.IgnoreCurrent()
	t.Cleanup(func() { goleak.VerifyNone(t, ignore) })
	srv := startServer(t, embedded.Config{})
	hostNode := startNode(t, srv, WithSendWait(50*time.Millisecond))
	host := newFake("host")
	hl := bind(t, hostNode, host)
	host.register("k", 1)
	if err := hl.Claim(timeout(t, 5*time.Second), "k"); err != nil {
		t.Fatal(err)
	}
	callerNode := startNode(t, srv)
	cl := bind(t, callerNode, newFake("caller"))

	waited := make(chan error, 1)
	go func() { waited <- call(context.Background(), cl, "k", "Wait", &echoArgs{}, nil) }()
	eventually(t, 5*time.Second, "the Wait call runs", func() bool {
		s := host.Stats()["k"]
		hostNode.in.runningMu.Lock()
		running := len(hostNode.in.running)
		hostNode.in.runningMu.Unlock()
		return s.Queued == 0 && running == 1
	})

	const toK, toNobody = 300, 100
	before := callerNode.nc.Stats().InMsgs
	unblock := make(chan struct{})
	var blocking atomic.Bool // the first Done blocks; sync.Once would block the others too
	blockedNow := make(chan struct{})
	var dones [toK + toNobody]atomic.Int32
	for i := range toK + toNobody {
		key := "k"
		if i >= toK {
			key = "nobody"
		}
		send(context.Background(), cl, key, "Note", &echoArgs{N: i}, func(err error) {
			dones[i].Add(1)
			if blocking.CompareAndSwap(false, true) {
				close(blockedNow)
				<-unblock
			}
		})
	}
	recv(t, blockedNow, 5*time.Second, "a refusal reaches its Done")
	if settled {
		// Every message but the one queued behind Wait is refused.
		eventually(t, 5*time.Second, "every refusal reaches the calling node", func() bool {
			return callerNode.nc.Stats().InMsgs-before >= toK-1+toNobody
		})
	}

	for _, c := range []struct {
		name string
		n    *Node
	}{{"caller", callerNode}, {"host", hostNode}} {
		name, n := c.name, c.n
		select {
		case took := <-closeWithin(n, 500*time.Millisecond):
			if took > 2*time.Second {
				t.Errorf("the %s node's Close took %v for a context of 500ms", name, took)
			}
		case <-time.After(5 * time.Second):
			close(unblock)
			t.Fatalf("the %s node's Close, with a context of 500ms, had not returned after 5s", name)
		}
	}
	close(unblock)
	host.close()
	recv(t, waited, 5*time.Second, "the Wait call ends")

	var ran map[int]int
	var lost []int
	deadline := time.Now().Add(5 * time.Second)
	for {
		ran, lost = notes(host, "k"), lost[:0]
		for i := range toK + toNobody {
			if ran[i] == 0 && dones[i].Load() == 0 {
				lost = append(lost, i)
			}
		}
		if len(lost) == 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if len(lost) > 0 {
		t.Errorf("%d one-way messages (0..%d to k, the rest to a key nobody holds) neither ran nor reached Done: %v",
			len(lost), toK-1, head(lost, 20))
	}
	for i := range toK + toNobody {
		if d := dones[i].Load(); d > 1 || (d == 1 && ran[i] > 0) || ran[i] > 1 {
			t.Errorf("message %d: ran %d times, reached Done %d times", i, ran[i], d)
		}
	}
}

// fencedWhileReady wins a claim of k with 1024 messages kept and 300 in
// the overflow list, and fences the node's keys, as the lease goroutine
// does when the lease lapses, while inbound.ready serves the first of
// them.
func fencedWhileReady(t *testing.T, srv *embedded.Server) *heldClaim {
	t.Helper()
	hc := claimWithHeldMessages(t, srv, 300, WithLeaseTTL(time.Second))
	fenced := make(chan struct{})
	go func() {
		hc.node.own.fence()
		close(fenced)
	}()
	eventually(t, 5*time.Second, "the fence waits for the delivery goroutine", func() bool { return writerWaits(hc.node) })
	close(hc.gs.open)
	recv(t, fenced, 5*time.Second, "the fence")
	return hc
}
