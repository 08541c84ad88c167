package natsdispatch

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dispatchgen/dispatchgen/natsdispatch/embedded"
	"github.com/dispatchgen/dispatchgen/runtime"
	"github.com/nats-io/nats.go"
)

// Of two nodes that claim one key at once, exactly one wins, every time.
func TestClaimRace(t *testing.T) {
	srv := startServer(t, embedded.Config{})
	a, b := startNode(t, srv), startNode(t, srv)
	la, lb := bind(t, a, newFake("A")), bind(t, b, newFake("B"))
	rounds := 100
	if testing.Short() {
		rounds = 20
	}
	ctx := timeout(t, time.Minute)
	for i := range rounds {
		key := fmt.Sprint("race-", i)
		var errA, errB error
		var wg sync.WaitGroup
		start := make(chan struct{})
		wg.Go(func() { <-start; errA = la.Claim(ctx, key) })
		wg.Go(func() { <-start; errB = lb.Claim(ctx, key) })
		close(start)
		wg.Wait()
		if (errA == nil) == (errB == nil) {
			t.Fatalf("round %d: A got %v, B got %v: want exactly one winner", i, errA, errB)
		}
		if loser := errors.Join(errA, errB); !errors.Is(loser, runtime.ErrDuplicateKey) {
			t.Fatalf("round %d: the loser got %v, want ErrDuplicateKey", i, loser)
		}
	}
}

// A key released by one node can be claimed by another at once, and the
// node that held it no longer serves it; a second claim by the holder
// fails.
func TestReleaseLetsAnotherClaim(t *testing.T) {
	srv := startServer(t, embedded.Config{})
	a, b, caller := startNode(t, srv), startNode(t, srv), startNode(t, srv)
	fa, fb := newFake("A"), newFake("B")
	la, lb := bind(t, a, fa, "k"), bind(t, b, fb)
	out := bind(t, caller, newFake("caller"))
	ctx := timeout(t, 10*time.Second)

	if err := la.Claim(ctx, "k"); !errors.Is(err, runtime.ErrDuplicateKey) {
		t.Errorf("a second claim by the holder: %v, want ErrDuplicateKey", err)
	}
	if err := lb.Claim(ctx, "k"); !errors.Is(err, runtime.ErrDuplicateKey) {
		t.Fatalf("a claim of a held key: %v, want ErrDuplicateKey", err)
	}
	var res echoResult
	if err := call(ctx, out, "k", "Echo", &echoArgs{}, &res); err != nil || res.Node != "A" {
		t.Fatalf("before the release: %v, served by %q", err, res.Node)
	}
	fa.unregister("k")
	if err := la.Release(ctx, "k"); err != nil {
		t.Fatal(err)
	}
	fb.register("k", 16)
	if err := lb.Claim(ctx, "k"); err != nil {
		t.Fatalf("a claim right after the release: %v", err)
	}
	if err := call(ctx, out, "k", "Echo", &echoArgs{}, &res); err != nil || res.Node != "B" {
		t.Fatalf("after the release: %v, served by %q", err, res.Node)
	}
}

// A node whose connection dies without Close loses its keys to another
// node within the lease TTL, and has revoked them itself before.
func TestDeadConnectionLosesKeys(t *testing.T) {
	const ttl = time.Second
	srv := startServer(t, embedded.Config{})
	ncA := connect(t, srv, false)
	a := nodeOn(t, ncA, WithLeaseTTL(ttl))
	b := startNode(t, srv, WithLeaseTTL(ttl))
	fa, fb := newFake("A"), newFake("B")
	bind(t, a, fa, "k1", "k2")
	lb := bind(t, b, fb)
	ctx := timeout(t, 10*time.Second)

	ncA.Close()
	died := time.Now()
	for _, key := range []string{"k1", "k2"} {
		claimWhenFree(t, ctx, lb, key)
	}
	took := time.Since(died)
	t.Logf("B held A's keys %v after A's connection died (lease TTL %v)", took, ttl)
	// A renewed at most a fifth of the TTL before its connection died, and
	// B tries every 10 ms: the rest is room for a loaded machine.
	if took > ttl+200*time.Millisecond {
		t.Errorf("B took %v to take the keys over, for a lease of %v", took, ttl)
	}
	if fa.holds("k1") || fa.holds("k2") {
		t.Error("A still serves keys B holds")
	}
}

// Renewal costs one message per period, however many keys a node holds.
func TestRenewalIndependentOfKeys(t *testing.T) {
	if testing.Short() {
		t.Skip("takes 2 lease periods")
	}
	const ttl = 500 * time.Millisecond
	srv := startServer(t, embedded.Config{})
	watch := connect(t, srv, false)
	// Both nodes are counted over the same two TTLs, so that a load that
	// slows JetStream slows both alike.
	counter := func(keys int) *atomic.Uint64 {
		n := startNode(t, srv, WithLeaseTTL(ttl), WithPrefix(fmt.Sprint("renew", keys)))
		l := bind(t, n, newFake("host"), "first")
		for i := 1; i < keys; i++ {
			if err := l.Claim(context.Background(), fmt.Sprint("k", i)); err != nil {
				t.Fatal(err)
			}
		}
		var puts atomic.Uint64
		sub, err := watch.Subscribe(fmt.Sprintf("$KV.renew%d_leases.>", keys), func(*nats.Msg) { puts.Add(1) })
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = sub.Unsubscribe() })
		return &puts
	}
	onePuts, manyPuts := counter(1), counter(1000)
	onePuts.Store(0)
	manyPuts.Store(0)
	time.Sleep(2 * ttl)
	one, many := onePuts.Load(), manyPuts.Load()
	t.Logf("lease puts in 2 TTLs: %d with 1 key, %d with 1000", one, many)
	if one == 0 || many > one+2 {
		t.Errorf("lease puts in 2 TTLs: %d with 1 key, %d with 1000", one, many)
	}
}
