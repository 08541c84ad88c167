package natsdispatch

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/dispatchgen/dispatchgen/natsdispatch/embedded"
	"github.com/dispatchgen/dispatchgen/runtime"
)

// Closing a node fails its calls still waiting with ErrClosed, refuses new
// ones, and releases its keys, which another node can claim at once.
func TestNodeClose(t *testing.T) {
	srv := startServer(t, embedded.Config{})
	host, other, caller := startNode(t, srv), startNode(t, srv), startNode(t, srv)
	fh := newFake("host")
	bind(t, host, fh, "k", "slow")
	lo := bind(t, other, newFake("other"))
	out := bind(t, caller, newFake("caller"))

	waiting := make(chan error, 1)
	go func() { waiting <- call(context.Background(), out, "slow", "Wait", &echoArgs{}, nil) }()
	eventually(t, 5*time.Second, "the call reaches the host", func() bool { return host.links["Echo"].calls.Load() == 1 })
	ctx := timeout(t, 10*time.Second)
	if err := caller.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if err := <-waiting; !errors.Is(err, runtime.ErrClosed) {
		t.Errorf("a call waiting at Close: %v, want ErrClosed", err)
	}
	if err := call(ctx, out, "k", "Echo", &echoArgs{}, &echoResult{}); !errors.Is(err, runtime.ErrClosed) {
		t.Errorf("a call after Close: %v, want ErrClosed", err)
	}
	if err := out.Claim(ctx, "mine"); !errors.Is(err, runtime.ErrClosed) {
		t.Errorf("a claim after Close: %v, want ErrClosed", err)
	}

	if err := host.Close(ctx); err != nil {
		t.Fatal(err)
	}
	fh.mu.Lock()
	revoked := len(fh.revokes) == 1 && len(fh.revokes[0].keys) == 2
	fh.mu.Unlock()
	if !revoked {
		t.Errorf("closing the host revoked %v, want k and slow", fh.revokes)
	}
	for _, key := range []string{"k", "slow"} {
		if err := lo.Claim(ctx, key); err != nil {
			t.Errorf("claim of %q right after its holder closed: %v", key, err)
		}
	}
}

// A message that arrives while its key is being claimed waits for the
// claim: served if it is won, dropped if not.
func TestMessagesDuringClaim(t *testing.T) {
	srv := startServer(t, embedded.Config{})
	host := startNode(t, srv)
	f := newFake("host")
	l := bind(t, host, f, "first").(*link) // takes the lease
	raw := connect(t, srv, false)
	ctx := timeout(t, 10*time.Second)
	lease, err := host.own.ensureLease(ctx)
	if err != nil {
		t.Fatal(err)
	}
	payload, _ := JSON().Marshal(&echoArgs{N: 5})

	for _, won := range []bool{true, false} {
		key := map[bool]string{true: "won", false: "lost"}[won]
		f.register(key, 16)
		h := &held{link: l, key: key, kvKey: "Echo." + key, subjectPrefix: l.subjectBase + key + "."}
		if err := host.in.add(host, h, lease.epoch); err != nil {
			t.Fatal(err)
		}
		if err := host.nc.Flush(); err != nil {
			t.Fatal(err)
		}
		replies := make(chan error, 1)
		before := host.nc.Stats().InMsgs
		go func() {
			wait := 5 * time.Second // for the reply of a claim that is won
			if !won {
				wait = 300 * time.Millisecond // for none to come
			}
			_, err := raw.Request(l.subjectBase+key+".Echo", payload, wait)
			replies <- err
		}()
		// Once the message is in the delivery channel, the marker that
		// decides the claim comes after it. The connection counts it a
		// moment before it puts it there: the sleep makes it all but
		// certain that the message waits, rather than meets a decided
		// claim, which the checks below accept too.
		eventually(t, 5*time.Second, "the message arrives", func() bool { return host.nc.Stats().InMsgs > before })
		time.Sleep(50 * time.Millisecond)
		if won {
			if err := host.in.activate(host, h, 1, lease.epoch); err != nil {
				t.Fatal(err)
			}
		} else {
			host.in.abandon(host, h)
		}
		err := <-replies
		if won && err != nil {
			t.Errorf("a message that came during a claim that was won: %v", err)
		}
		if !won && err == nil {
			t.Error("a message that came during a claim that was lost was answered")
		}
	}
}
