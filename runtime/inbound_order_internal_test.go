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
			_, to, log := advSetup(t, nil, WithMailboxSize(1))
			rc := to.rc
			var lane Lane[advNote]
			rs := newAdvReplies()

			// Message 0 holds the recipient: the mailbox of one is full.
			unhold := advHold(t, to, log, "0")

			// Message 1 waits for room, and admitWaiting pauses in the wait.
			paused := newPausedCtx()
			t.Cleanup(paused.resume)
			rs.serve(to, &lane, tc.first, "1", paused, nil)
			orderReceive(t, paused.entered, struct{}{}, "admitWaiting to wait for room")

			// Room appears: message 0 ends and the recipient goes idle.
			unhold()
			advPollFor(t, "the recipient to go idle", func() bool {
				rc.mu.Lock()
				defer rc.mu.Unlock()
				return rc.state == idle
			})
			rc.mu.Lock()
			waiting, room := rc.inbound != nil && len(rc.inbound.waits) == 1, rc.hasRoom()
			rc.mu.Unlock()
			if !waiting || !room {
				t.Fatalf("the state is not built: message 1 waits %v, the mailbox has room %v", waiting, room)
			}

			// Message 2 arrives while message 1 waits, with room to spare.
			rs.serve(to, &lane, tc.second, "2", context.Background(), nil)
			if queued := advWaiting(rc); queued != 2 {
				t.Errorf("message 2 did not join the queue of inbound messages behind message 1 (%d waiting): the mailbox's room let it overtake", queued)
			}

			paused.resume()
			advPollFor(t, "messages 1 and 2 to run", func() bool { return len(log.names()) == 3 })
			if ran := log.names(); !slices.Equal(ran, []string{"0", "1", "2"}) {
				t.Errorf("messages ran in the order %v, want [0 1 2]: message 2 overtook message 1, which waited before it", ran)
			}
			for _, name := range []string{"1", "2"} {
				if err := rs.wait(t, name); err != nil {
					t.Errorf("message %s ended with %v, want both messages to succeed", name, err)
				}
			}
			rs.once(t)
		})
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
	for _, k := range advKinds {
		t.Run(k.name, func(t *testing.T) {
			_, to, log := advSetup(t, nil, WithMailboxSize(2))
			var lane Lane[advNote]
			rs := newAdvReplies()

			// Message 0 runs and holds the recipient, 0b fills the mailbox.
			unhold := advHold(t, to, log, "0")
			Send(context.Background(), to, &lane, advNote{name: "0b"})

			// Message 1 waits for room at the head, admitWaiting paused in its wait.
			paused := newPausedCtx()
			t.Cleanup(paused.resume)
			rs.serve(to, &lane, orderSend, "1", paused, nil)
			orderReceive(t, paused.entered, struct{}{}, "admitWaiting to wait for room")

			// Message 2 waits behind it, and its context ends while it waits.
			ctx2, cancel2 := context.WithCancel(context.Background())
			rs.serve(to, &lane, k.kind, "2", ctx2, nil)
			cancel2()

			// Room for both appears, and admitWaiting goes on.
			unhold()
			paused.resume()
			if err := rs.wait(t, "2"); !errors.Is(err, ErrMailboxFull) {
				t.Errorf("message 2, whose context ended while it waited for room, ended with %v, want an error wrapping ErrMailboxFull", err)
			}
			rs.wait(t, "1")
			if err := to.r.Flush(context.Background(), "k"); err != nil {
				t.Fatal(err)
			}
			if ran := log.names(); !slices.Equal(ran, []string{"0", "0b", "1"}) {
				t.Errorf("messages ran in the order %v, want [0 0b 1]: message 2's context ended while it waited", ran)
			}
			rs.once(t)
		})
	}
}

// orderPatience bounds every wait of the inbound tests.
const orderPatience = 10 * time.Second

// orderKind says how a message from another process enters the mailbox.
type orderKind bool

const (
	orderSend orderKind = false
	orderCall orderKind = true
)

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
