package e2e

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dispatchgen/dispatchgen/natsdispatch"
	"github.com/dispatchgen/dispatchgen/runtime"
)

// Calls and futures from one node reach the recipients of another, and each
// reply is the one of the key called.
func TestCallsAndFuturesCross(t *testing.T) {
	c := newCluster(t)
	hosting, calling := c.node("hosting"), c.node("calling")
	ks := keys("tool", 20)
	hosting.serve(t, ks...)
	ctx := within(t, 30*time.Second)

	for i, k := range ks {
		res, err := calling.d.To(k).CallTool(ctx, "echo", Args{N: i, Text: "call " + k})
		if want := (Result{Key: k, Node: "hosting", N: i, Text: "call " + k}); err != nil || res != want {
			t.Errorf("CallTool on %s = %+v, %v; want %+v", k, res, err, want)
		}
	}

	futures := make([]*runtime.Future[Result], 0, 10*len(ks))
	for round := range 10 {
		for i, k := range ks {
			futures = append(futures, calling.d.To(k).CallToolAsync(ctx, "echo", Args{N: round*100 + i, Text: k}))
		}
	}
	for j, f := range futures {
		round, i := j/len(ks), j%len(ks)
		k := ks[i]
		res, err := f.Await(ctx)
		if want := (Result{Key: k, Node: "hosting", N: round*100 + i, Text: k}); err != nil || res != want {
			t.Errorf("future %d of %s = %+v, %v; want %+v", j, k, res, err, want)
		}
	}

	// Many callers at once, each checking its replies.
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 50 {
				k := ks[(g+i)%len(ks)]
				res, err := calling.d.To(k).CallTool(ctx, "echo", Args{N: g*1000 + i})
				if err != nil || res.Key != k || res.N != g*1000+i {
					t.Errorf("caller %d: CallTool on %s = %+v, %v", g, k, res, err)
					return
				}
			}
		})
	}
	wg.Wait()

	// A method that fails for its own reason crosses as its text.
	if _, err := calling.d.To(ks[0]).CallTool(ctx, "nosuch", Args{}); err == nil || !strings.Contains(err.Error(), `no tool "nosuch"`) {
		t.Errorf("CallTool of an unknown tool: err = %v", err)
	}
	if got := hosting.d.Stats()[ks[0]].Handled; got < 1+10+1 {
		t.Errorf("the hosting node's Stats count %d calls handled by %s, want at least 12", got, ks[0])
	}
}

// One-way messages from one sender arrive, all of them, in the order they
// were sent, at each of several keys.
func TestOneWayOrderFromOneSender(t *testing.T) {
	c := newCluster(t)
	hosting, calling := c.node("hosting"), c.node("calling")
	ks := keys("sink", 4)
	servers := hosting.serve(t, ks...)
	ctx := within(t, 30*time.Second)

	const n = 2000
	for i := range n {
		calling.d.To(ks[i%len(ks)]).Notify(ctx, Args{N: i})
	}
	for ki, k := range ks {
		var want []int
		for i := ki; i < n; i += len(ks) {
			want = append(want, i)
		}
		got := servers[k].notesOf()
		for len(got) < len(want) && ctx.Err() == nil {
			time.Sleep(5 * time.Millisecond)
			got = servers[k].notesOf()
		}
		if !slices.Equal(got, want) {
			t.Errorf("%s got %d notes, want %d in order: first difference at %d", k, len(got), len(want), firstDiff(got, want))
		}
	}
}

func firstDiff(a, b []int) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}

// Every sentinel, a panic, a listed and an unlisted application error come
// back from another node as themselves.
func TestErrorsCross(t *testing.T) {
	c := newCluster(t)
	hosting, calling := c.node("hosting"), c.node("calling")
	hosting.serve(t, "f")
	ctx := within(t, 30*time.Second)
	ref := calling.d.To("f")

	for name, want := range failures {
		err := ref.Fail(ctx, name)
		var re *natsdispatch.RemoteError
		if !errors.Is(err, want) || !errors.As(err, &re) {
			t.Errorf("Fail(%s): err = %v (%T), want a *natsdispatch.RemoteError that is %v", name, err, err, want)
		}
		for other, o := range failures {
			if other != name && errors.Is(err, o) && !errors.Is(want, o) {
				t.Errorf("Fail(%s): err is %v too", name, o)
			}
		}
	}

	err := ref.Fail(ctx, "panic")
	var pe *runtime.PanicError
	if !errors.As(err, &pe) || !strings.Contains(fmt.Sprint(pe.Value), "boom in f") || pe.Method != "Fail" {
		t.Errorf("Fail(panic): err = %v, want a *runtime.PanicError of Fail with the panic's value", err)
	}

	err = ref.Fail(ctx, "unlisted")
	var re *natsdispatch.RemoteError
	if !errors.As(err, &re) || !strings.Contains(err.Error(), "something unlisted went wrong") {
		t.Errorf("Fail(unlisted): err = %v, want a *natsdispatch.RemoteError with the error's text", err)
	}
	for name, s := range failures {
		if errors.Is(err, s) {
			t.Errorf("Fail(unlisted): err is %s", name)
		}
	}

	// The recipient's node panicked in a recipient, and serves on.
	if res, err := ref.CallTool(ctx, "echo", Args{N: 7}); err != nil || res.N != 7 {
		t.Errorf("CallTool after the panic = %+v, %v", res, err)
	}
}

// A key nobody holds fails at once, calls and futures with ErrNoRecipient
// and one-way messages at the sender's dead-letter handler, not at the
// caller's deadline.
func TestNoRecipientFailsFast(t *testing.T) {
	c := newCluster(t)
	dead := make(chan runtime.DeadLetter, 1)
	hosting := c.node("hosting")
	calling := c.node("calling", runtime.WithDeadLetterHandler(func(l runtime.DeadLetter) { dead <- l }))
	hosting.serve(t, "someone")
	ctx := within(t, 30*time.Second)

	start := time.Now()
	if _, err := calling.d.To("nobody").CallTool(ctx, "echo", Args{}); !errors.Is(err, runtime.ErrNoRecipient) {
		t.Errorf("CallTool on a key nobody holds: err = %v, want ErrNoRecipient", err)
	}
	if _, err := calling.d.To("nobody").CallToolAsync(ctx, "echo", Args{}).Await(ctx); !errors.Is(err, runtime.ErrNoRecipient) {
		t.Errorf("CallToolAsync on a key nobody holds: err = %v, want ErrNoRecipient", err)
	}
	calling.d.To("nobody").Notify(ctx, Args{N: 1})
	select {
	case l := <-dead:
		if l.Key != "nobody" || l.Method != "Notify" || !errors.Is(l.Err, runtime.ErrNoRecipient) {
			t.Errorf("dead letter %+v, want one of Notify to nobody with ErrNoRecipient", l)
		}
	case <-ctx.Done():
		t.Fatal("a one-way message to a key nobody holds reached no dead-letter handler")
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("failing three messages to a key nobody holds took %v", d)
	}
}

// Two nodes racing to register one key: exactly one wins, each round.
func TestRegisterRace(t *testing.T) {
	c := newCluster(t)
	a, b := c.node("a"), c.node("b")
	ctx := within(t, 60*time.Second)
	for round := range 100 {
		key := fmt.Sprintf("race-%d", round)
		var errA, errB error
		var wg sync.WaitGroup
		start := make(chan struct{})
		wg.Go(func() { <-start; errA = a.d.Register(key, &server{key: key, node: "a", d: a.d}) })
		wg.Go(func() { <-start; errB = b.d.Register(key, &server{key: key, node: "b", d: b.d}) })
		close(start)
		wg.Wait()
		winner, loser, lost := a, b, errB
		if errA != nil {
			winner, loser, lost = b, a, errA
		}
		if (errA == nil) == (errB == nil) || !errors.Is(lost, runtime.ErrDuplicateKey) {
			t.Fatalf("round %d: Register on a: %v, on b: %v; want exactly one ErrDuplicateKey", round, errA, errB)
		}
		// The loser's calls reach the winner.
		if res, err := loser.d.To(key).CallTool(ctx, "echo", Args{}); err != nil || res.Node != winner.name {
			t.Fatalf("round %d: a call from %s = %+v, %v; want %s to serve it", round, loser.name, res, err, winner.name)
		}
		if err := winner.d.Unregister(ctx, key); err != nil {
			t.Fatal(err)
		}
	}
}

// A cycle of calls across two nodes fails with ErrDeadlock, not at a
// timeout; a chain that only passes through a node twice is no cycle.
func TestCycleAcrossNodes(t *testing.T) {
	c := newCluster(t)
	one, two := c.node("one"), c.node("two")
	one.serve(t, "a", "c")
	two.serve(t, "b")
	ctx := within(t, 30*time.Second)

	start := time.Now()
	_, err := one.d.To("a").Hop(ctx, []string{"b", "a"})
	if !errors.Is(err, runtime.ErrDeadlock) {
		t.Errorf("a → b → a: err = %v, want ErrDeadlock", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("the cycle was found after %v", d)
	}
	// From the node that holds neither end, the same.
	if _, err := two.d.To("a").Hop(ctx, []string{"b", "a"}); !errors.Is(err, runtime.ErrDeadlock) {
		t.Errorf("a → b → a called from node two: err = %v, want ErrDeadlock", err)
	}
	served, err := one.d.To("a").Hop(ctx, []string{"b", "c"})
	if want := []string{"c", "b", "a"}; err != nil || !slices.Equal(served, want) {
		t.Errorf("a → b → c = %v, %v; want %v", served, err, want)
	}
}

// Unregister releases the key at once: another node claims it without
// waiting, and calls from anywhere reach the new owner.
func TestUnregisterHandsOver(t *testing.T) {
	c := newCluster(t)
	a, b := c.node("a"), c.node("b")
	ctx := within(t, 30*time.Second)
	a.serve(t, "k")
	if err := b.d.Register("k", &server{key: "k", node: "b", d: b.d}); !errors.Is(err, runtime.ErrDuplicateKey) {
		t.Fatalf("Register of a key another node holds: err = %v, want ErrDuplicateKey", err)
	}
	if err := a.d.Unregister(ctx, "k"); err != nil {
		t.Fatal(err)
	}
	if err := b.d.Register("k", &server{key: "k", node: "b", d: b.d}); err != nil {
		t.Fatalf("Register right after the owner's Unregister: %v", err)
	}
	for _, from := range []*host{a, b} {
		if res, err := from.d.To("k").CallTool(ctx, "echo", Args{}); err != nil || res.Node != "b" {
			t.Errorf("a call from %s after the handover = %+v, %v; want b to serve it", from.name, res, err)
		}
	}
}

// A burst of one-way messages from one sender to one key, several times
// the recipient's mailbox, loses none and keeps their order: those that
// find the mailbox full wait for room on the hosting node.
func TestOneWayBurstBeyondMailbox(t *testing.T) {
	c := newCluster(t)
	var dead atomic.Int64
	hosting := c.node("hosting")
	calling := c.node("calling", runtime.WithDeadLetterHandler(func(runtime.DeadLetter) { dead.Add(1) }))
	s := hosting.serve(t, "sink")["sink"]
	ctx := within(t, 30*time.Second)

	const n = 16 * runtime.DefaultMailboxSize
	for i := range n {
		calling.d.To("sink").Notify(ctx, Args{N: i})
	}
	got := s.notesOf()
	for len(got)+int(dead.Load()) < n && ctx.Err() == nil {
		time.Sleep(5 * time.Millisecond)
		got = s.notesOf()
	}
	if dead.Load() != 0 {
		t.Errorf("%d of %d one-way messages reached the dead-letter handler", dead.Load(), n)
	}
	want := make([]int, n)
	for i := range want {
		want[i] = i
	}
	if !slices.Equal(got, want) {
		t.Errorf("the recipient got %d of %d messages; in order up to %d", len(got), n, firstDiff(got, want))
	}
}
