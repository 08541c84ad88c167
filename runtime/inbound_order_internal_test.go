package runtime

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"
)

// An inbound message that arrives while an earlier one waits for room
// queues behind it, even when the mailbox has room at that instant: inbound
// messages are admitted in the order they arrive (admitInbound), which is
// what inboundRoom's rc.inbound == nil ensures.
//
// The state that matters is the one in which room has appeared but the
// goroutine that admits the waiting messages, admitWaiting, has not taken
// it yet: a message that arrives then finds the mailbox with room, and only
// rc.inbound tells it that another came first. While the mailbox is full the
// guard is not needed, since hasRoom refuses the later message too; and the
// window between the server's making room and admitWaiting's taking rc.mu
// again is too short for racing goroutines to hit. So the test holds that
// window open:
//
//   - the recipient, with a mailbox of one, is held in message 0, so that
//     message 1, from another process, finds the mailbox full and waits in
//     rc.inbound;
//   - message 1's context pauses admitWaiting in its Done, which waitRoom
//     calls once it has released rc.mu to wait for room: admitWaiting has
//     begun to wait and cannot see room appear;
//   - message 0 ends and the recipient goes idle, its mailbox empty (settle
//     has closed rc.room, the wake-up admitWaiting has yet to see);
//   - message 2 arrives, and must join rc.inbound behind message 1.
//
// Then admitWaiting goes on, and message 1 must run before message 2. Each
// message is a one-way one (ServeSend) or a call (ServeCall), in every
// combination, since both check inboundRoom.
func TestInboundArrivingWhileAnotherWaitsQueuesBehindIt(t *testing.T) {
	for _, tc := range []struct {
		name          string
		first, second orderKind
	}{
		{"send behind send", orderSend, orderSend},
		{"call behind send", orderSend, orderCall},
		{"send behind call", orderCall, orderSend},
		{"call behind call", orderCall, orderCall},
	} {
		t.Run(tc.name, func(t *testing.T) {
			to, log := orderRecipient(t, 1)
			rc := to.rc
			var lane Lane[orderNote]
			replies := make(chan string, 2)

			// Message 0 holds the recipient: the mailbox of one is full.
			unhold := orderHold(t, to, &lane)
			orderReceive(t, log.ran, "0", "message 0 to start")

			// Message 1 waits for room, and admitWaiting pauses in the wait.
			paused := newPausedCtx()
			t.Cleanup(paused.resume)
			tc.first.serve(to, &lane, "1", orderInbound(paused, tc.first, "1", replies))
			orderReceive(t, paused.entered, struct{}{}, "admitWaiting to wait for room")

			// Room appears: message 0 ends and the recipient goes idle.
			unhold()
			orderPoll(t, rc, "the recipient to go idle", func() bool { return rc.state == idle })
			rc.mu.Lock()
			waiting, room := rc.inbound != nil && len(rc.inbound.waits) == 1, rc.hasRoom()
			rc.mu.Unlock()
			if !waiting || !room {
				t.Fatalf("the state is not built: message 1 waits %v, the mailbox has room %v", waiting, room)
			}

			// Message 2 arrives while message 1 waits, with room to spare.
			tc.second.serve(to, &lane, "2", orderInbound(context.Background(), tc.second, "2", replies))
			rc.mu.Lock()
			queued := 0
			if rc.inbound != nil {
				queued = len(rc.inbound.waits)
			}
			rc.mu.Unlock()
			if queued != 2 {
				t.Errorf("message 2 did not join the queue of inbound messages behind message 1 (%d waiting): the mailbox's room let it overtake", queued)
			}

			paused.resume()
			var ran []string
			for range 2 {
				ran = append(ran, orderNext(t, log.ran, "messages 1 and 2 to run"))
			}
			if !slices.Equal(ran, []string{"1", "2"}) {
				t.Errorf("messages ran in the order %v, want [1 2]: message 2 overtook message 1, which waited before it", ran)
			}
			got := []string{orderNext(t, replies, "replies"), orderNext(t, replies, "replies")}
			slices.Sort(got)
			if !slices.Equal(got, []string{"1 ok", "2 ok"}) {
				t.Errorf("replies = %v, want both messages to succeed", got)
			}
		})
	}
}

// orderRecipient registers an orderLog with a mailbox of size under "k" of
// a router that the test's cleanup closes, and returns its Dest.
func orderRecipient(t *testing.T, size int) (Dest[string], *orderLog) {
	t.Helper()
	r := NewRouter[string]("Order")
	log := &orderLog{ran: make(chan string, 8)}
	if err := r.Register("k", log, WithMailboxSize(size)); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), orderPatience)
		defer cancel()
		if err := r.Close(ctx); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return r.Dest("k"), log
}

// orderHold sends to a one-way message, "0", that holds the recipient
// until the function it returns is called, as the test's cleanup does.
func orderHold(t *testing.T, to Dest[string], lane *Lane[orderNote]) (unhold func()) {
	hold := make(chan struct{})
	var release sync.Once
	unhold = func() { release.Do(func() { close(hold) }) }
	t.Cleanup(unhold)
	Send(context.Background(), to, lane, orderNote{name: "0", hold: hold})
	return unhold
}

// orderPatience bounds every wait of the test.
const orderPatience = 10 * time.Second

// orderLog is the test's recipient: it reports the name of every message it
// runs.
type orderLog struct{ ran chan string }

// orderNote is a generated-like one-way message. A note with hold set keeps
// the recipient until hold is closed.
type orderNote struct {
	name string
	hold chan struct{}
}

func (orderNote) Method() string { return "Note" }

func (m orderNote) Run(_ context.Context, impl any) {
	impl.(*orderLog).ran <- m.name
	if m.hold != nil {
		<-m.hold
	}
}

// orderCallMsg is a generated-like call, whose only result is its error.
type orderCallMsg struct {
	Request[struct{}]
	name string
}

func (*orderCallMsg) Method() string { return "Call" }

func (m *orderCallMsg) Run(_ context.Context, impl any) {
	impl.(*orderLog).ran <- m.name
	m.Resolve(struct{}{}, nil)
}

// orderKind says how a message from another process enters the mailbox.
type orderKind bool

const (
	orderSend orderKind = false
	orderCall orderKind = true
)

// serve hands the message named name to ServeSend or ServeCall, as the
// generated code of a remote interface would.
func (k orderKind) serve(to Dest[string], lane *Lane[orderNote], name string, in *Inbound) {
	if k == orderCall {
		ServeCall(to, &orderCallMsg{name: name}, in)
		return
	}
	ServeSend(to, lane, orderNote{name: name}, in)
}

// orderInbound returns the Inbound of the message named name, bounded by
// ctx, whose Reply reports name and whether it succeeded on replies.
func orderInbound(ctx context.Context, k orderKind, name string, replies chan<- string) *Inbound {
	in := &Inbound{Ctx: ctx, Key: "k", Method: "Note", OneWay: true}
	if k == orderCall {
		in.Method, in.OneWay = "Call", false
	}
	in.Reply = func(_ any, err error) {
		if err != nil {
			replies <- name + " " + err.Error()
			return
		}
		replies <- name + " ok"
	}
	return in
}

// pausedCtx is a context that never ends, whose Done, the first time it is
// called, closes entered and returns only once resume is called: the
// goroutine that watches it is held at that point.
type pausedCtx struct {
	context.Context
	entered, resumed chan struct{}
	enter, leave     sync.Once
}

func newPausedCtx() *pausedCtx {
	return &pausedCtx{Context: context.Background(), entered: make(chan struct{}), resumed: make(chan struct{})}
}

func (c *pausedCtx) Done() <-chan struct{} {
	c.enter.Do(func() {
		close(c.entered)
		<-c.resumed
	})
	return nil
}

func (c *pausedCtx) resume() { c.leave.Do(func() { close(c.resumed) }) }

// orderNext returns what ch delivers next, failing the test if nothing
// comes within orderPatience.
func orderNext[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(orderPatience):
		t.Fatalf("timed out waiting for %s", what)
		panic("unreachable")
	}
}

// orderReceive fails the test unless ch delivers want next.
func orderReceive[T comparable](t *testing.T, ch <-chan T, want T, what string) {
	t.Helper()
	if got := orderNext(t, ch, what); got != want {
		t.Fatalf("waiting for %s: got %v, want %v", what, got, want)
	}
}

// orderPoll waits, within orderPatience, until cond, which it calls with
// rc.mu held, holds.
func orderPoll(t *testing.T, rc *recipient, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(orderPatience)
	for {
		rc.mu.Lock()
		ok := cond()
		rc.mu.Unlock()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(100 * time.Microsecond)
	}
}

// An inbound message that waits for room behind another, and whose context
// ends while it waits, is refused with an error wrapping ErrMailboxFull, as
// Inbound.Ctx says, and does not run: admitWaiting watches only the context
// of the message at the head of rc.inbound, so that the one behind it must
// have its own context looked at when its turn comes, even if the mailbox has
// room for it then. Found by the adversarial tests: it ran, and its reply
// said it had been queued.
func TestInboundWaitingBehindAnotherIsRefusedOnceItsContextEnds(t *testing.T) {
	for _, k := range []struct {
		name string
		kind orderKind
	}{{"send", orderSend}, {"call", orderCall}} {
		t.Run(k.name, func(t *testing.T) {
			to, log := orderRecipient(t, 2)
			var lane Lane[orderNote]

			// Message 0 runs and holds the recipient, 0b fills the mailbox.
			unhold := orderHold(t, to, &lane)
			orderReceive(t, log.ran, "0", "message 0 to start")
			Send(context.Background(), to, &lane, orderNote{name: "0b"})

			// Message 1 waits for room at the head, admitWaiting paused in its wait.
			paused := newPausedCtx()
			t.Cleanup(paused.resume)
			ServeSend(to, &lane, orderNote{name: "1"}, orderInbound(paused, orderSend, "1", make(chan string, 1)))
			orderReceive(t, paused.entered, struct{}{}, "admitWaiting to wait for room")

			// Message 2 waits behind it, and its context ends while it waits.
			ctx2, cancel2 := context.WithCancel(context.Background())
			replied := make(chan error, 1)
			in2 := orderInbound(ctx2, k.kind, "2", nil)
			in2.Reply = func(_ any, err error) { replied <- err }
			k.kind.serve(to, &lane, "2", in2)
			cancel2()

			// Room for both appears, and admitWaiting goes on.
			unhold()
			paused.resume()
			var ran []string
			for range 2 {
				ran = append(ran, orderNext(t, log.ran, "messages 0b and 1 to run"))
			}
			if err := orderNext(t, replied, "message 2's reply"); !errors.Is(err, ErrMailboxFull) {
				t.Errorf("message 2, whose context ended while it waited for room, ended with %v, want an error wrapping ErrMailboxFull", err)
			}
			if err := to.r.Flush(context.Background(), "k"); err != nil {
				t.Fatal(err)
			}
			select {
			case name := <-log.ran:
				ran = append(ran, name)
			default:
			}
			if !slices.Equal(ran, []string{"0b", "1"}) {
				t.Errorf("messages ran in the order %v, want [0b 1]: message 2's context ended while it waited", ran)
			}
		})
	}
}
