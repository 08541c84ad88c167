package natsdispatch

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/dispatchgen/dispatchgen/natsdispatch/embedded"
	"github.com/dispatchgen/dispatchgen/runtime"
)

// Calls from one node reach recipients on another, each served by the
// recipient of its own key, from many goroutines at once.
func TestCallsBetweenNodes(t *testing.T) {
	srv := startServer(t, embedded.Config{})
	for _, tcp := range []bool{false, true} {
		t.Run(fmt.Sprintf("tcp=%v", tcp), func(t *testing.T) {
			host := nodeOn(t, connect(t, srv, tcp), WithPrefix(fmt.Sprintf("calls%v", tcp)))
			caller := nodeOn(t, connect(t, srv, tcp), WithPrefix(fmt.Sprintf("calls%v", tcp)))
			keys := []string{"a", "b", "c", "d", "e", "f", "g", "h"}
			bind(t, host, newFake("host"), keys...)
			out := bind(t, caller, newFake("caller"))

			var wg sync.WaitGroup
			errs := make(chan error, 100)
			for g := range 16 {
				wg.Go(func() {
					for i := range 50 {
						key := keys[(g+i)%len(keys)]
						var res echoResult
						err := call(timeout(t, 10*time.Second), out, key, "Echo", &echoArgs{N: g*1000 + i, Text: key}, &res)
						if err == nil && (res.Key != key || res.N != g*1000+i || res.Node != "host") {
							err = fmt.Errorf("call to %q answered by %q (N %d, want %d, node %q)", key, res.Key, res.N, g*1000+i, res.Node)
						}
						if err != nil {
							errs <- err
							return
						}
					}
				})
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Error(err)
			}
		})
	}
}

// One-way messages from one sender arrive in the order sent, each at its
// own key.
func TestOneWayOrder(t *testing.T) {
	srv := startServer(t, embedded.Config{})
	host := startNode(t, srv)
	caller := startNode(t, srv)
	f := newFake("host")
	keys := []string{"x", "y", "z"}
	bind(t, host, f, keys...)
	out := bind(t, caller, newFake("caller"))

	const n = 3000
	ctx := context.Background()
	for i := range n {
		send(ctx, out, keys[i%len(keys)], "Note", &echoArgs{N: i}, func(err error) { t.Errorf("message %d refused: %v", i, err) })
	}
	eventually(t, 10*time.Second, "all notes", func() bool {
		f.mu.Lock()
		defer f.mu.Unlock()
		total := 0
		for _, ns := range f.notes {
			total += len(ns)
		}
		return total == n
	})
	f.mu.Lock()
	defer f.mu.Unlock()
	for ki, key := range keys {
		ns := f.notes[key]
		for j, got := range ns {
			if want := ki + j*len(keys); got != want {
				t.Fatalf("key %q: note %d is %d, want %d", key, j, got, want)
			}
		}
	}
}

// A call to a key nobody holds fails with ErrNoRecipient at once, not at
// the caller's deadline; so does a one-way message, through its Done.
func TestNoRecipientFailsFast(t *testing.T) {
	srv := startServer(t, embedded.Config{})
	caller := startNode(t, srv)
	out := bind(t, caller, newFake("caller"))

	start := time.Now()
	err := call(timeout(t, 30*time.Second), out, "nobody", "Echo", &echoArgs{}, &echoResult{})
	if !errors.Is(err, runtime.ErrNoRecipient) {
		t.Fatalf("call: %v, want ErrNoRecipient", err)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("call took %v to fail", d)
	}

	start = time.Now()
	failed := make(chan error, 1)
	send(timeout(t, 30*time.Second), out, "nobody", "Note", &echoArgs{}, func(err error) { failed <- err })
	select {
	case err := <-failed:
		if !errors.Is(err, runtime.ErrNoRecipient) {
			t.Fatalf("send: %v, want ErrNoRecipient", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("a one-way message to nobody was never refused")
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("send took %v to fail", d)
	}
}

// A recipient that does not return holds up its own calls only.
func TestSlowRecipientDoesNotStallOthers(t *testing.T) {
	srv := startServer(t, embedded.Config{})
	host := startNode(t, srv)
	caller := startNode(t, srv)
	bind(t, host, newFake("host"), "slow", "fast")
	out := bind(t, caller, newFake("caller"))

	stop, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for range 100 {
		wg.Go(func() { _ = call(stop, out, "slow", "Wait", &echoArgs{}, nil) })
	}
	for range 100 {
		send(stop, out, "slow", "Note", &echoArgs{}, func(error) {})
	}
	for i := range 200 {
		start := time.Now()
		var res echoResult
		if err := call(timeout(t, 10*time.Second), out, "fast", "Echo", &echoArgs{N: i}, &res); err != nil {
			t.Fatal(err)
		}
		if d := time.Since(start); d > time.Second {
			t.Fatalf("call %d to a fast recipient took %v beside a slow one", i, d)
		}
	}
	cancel()
	wg.Wait()
}

// A hosting node holds no goroutine per key.
func TestNoGoroutinePerKey(t *testing.T) {
	srv := startServer(t, embedded.Config{})
	host := startNode(t, srv)
	f := newFake("host")
	l := bind(t, host, f, "first")
	before := countGoroutines()
	for i := range 1000 {
		if err := l.Claim(context.Background(), fmt.Sprint("k", i)); err != nil {
			t.Fatal(err)
		}
	}
	if after := countGoroutines(); after > before+10 {
		t.Errorf("claiming 1000 keys took the goroutines from %d to %d", before, after)
	}
}

// A one-way message's context on the hosting node bounds its wait for room
// by WithSendWait, and a refusal reaches the sender's Done.
func TestOneWayWaitAndRefusal(t *testing.T) {
	const wait = 200 * time.Millisecond
	srv := startServer(t, embedded.Config{})
	host := startNode(t, srv, WithSendWait(wait))
	caller := startNode(t, srv, WithSendWait(wait))
	f := newFake("host")
	deadlines := make(chan time.Duration, 1)
	f.handlers["Note"] = func(ctx context.Context, key string, in *runtime.Inbound) (any, error) {
		d, ok := in.Ctx.Deadline()
		if !ok {
			d = time.Now().Add(time.Hour)
		}
		deadlines <- time.Until(d)
		return nil, nil
	}
	bind(t, host, f, "k")
	out := bind(t, caller, newFake("caller"))

	send(context.Background(), out, "k", "Note", &echoArgs{}, func(err error) { t.Errorf("refused: %v", err) })
	if left := <-deadlines; left > wait || left < wait*63/64-50*time.Millisecond {
		t.Errorf("a one-way message may wait %v for room, want about %v", left, wait)
	}

	// A mailbox that stays full refuses; the refusal comes back.
	f.handlers["Note"] = func(ctx context.Context, key string, in *runtime.Inbound) (any, error) {
		return nil, fmt.Errorf("still full after %v: %w", wait, runtime.ErrMailboxFull)
	}
	refused := make(chan error, 1)
	send(context.Background(), out, "k", "Note", &echoArgs{}, func(err error) { refused <- err })
	select {
	case err := <-refused:
		if !errors.Is(err, runtime.ErrMailboxFull) {
			t.Errorf("refusal: %v, want ErrMailboxFull", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the refusal did not come back")
	}
}
