package natsdispatch

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dispatchgen/dispatchgen/natsdispatch/embedded"
	"github.com/dispatchgen/dispatchgen/runtime"
)

// A flood of one-way messages past the remote mailbox: every message is
// either run or refused, and every refusal reaches the sender's Done (the
// dead-letter handler of a dispatcher), counted; none is dropped unseen,
// neither by the mailbox nor by the server or nats.go on the way.
func TestOneWayFlood(t *testing.T) {
	const sent = 20000
	srv := startServer(t, embedded.Config{})
	host := startNode(t, srv, WithSendWait(time.Millisecond))
	caller := startNode(t, srv)
	f := newFake("host")
	var ran atomic.Int64
	f.handlers["Note"] = func(ctx context.Context, key string, in *runtime.Inbound) (any, error) {
		time.Sleep(20 * time.Microsecond)
		ran.Add(1)
		return nil, nil
	}
	// The fake refuses at once when its mailbox of 16 is full, as a
	// dispatcher WithFailFast does.
	l := bind(t, host, f)
	f.register("k", 16)
	if err := l.Claim(context.Background(), "k"); err != nil {
		t.Fatal(err)
	}
	out := bind(t, caller, newFake("caller"))

	var refused, other atomic.Int64
	for i := range sent {
		send(context.Background(), out, "k", "Note", &echoArgs{N: i}, func(err error) {
			if errors.Is(err, runtime.ErrMailboxFull) {
				refused.Add(1)
			} else {
				other.Add(1)
				t.Errorf("message failed with %v, not a refusal", err)
			}
		})
	}
	eventually(t, 30*time.Second, "every message run or refused", func() bool {
		return ran.Load()+refused.Load()+other.Load() >= sent
	})
	time.Sleep(100 * time.Millisecond) // nothing more may come
	t.Logf("%d sent: %d ran, %d refused", sent, ran.Load(), refused.Load())
	if n := ran.Load() + refused.Load() + other.Load(); n != sent {
		t.Errorf("%d sent, %d ran, %d refused, %d failed otherwise: %d accounted for", sent, ran.Load(), refused.Load(), other.Load(), n)
	}
	if refused.Load() == 0 {
		t.Error("no message was refused: the flood did not fill the mailbox")
	}
}
