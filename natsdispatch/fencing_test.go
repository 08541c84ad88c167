package natsdispatch

import (
	"context"
	"errors"
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

// kvHistory records, from a connection of its own, every change of a KV
// bucket with the server's time of it.
type kvHistory struct {
	mu      sync.Mutex
	entries []jetstream.KeyValueEntry
}

func watchBucket(t *testing.T, nc *nats.Conn, bucket string) *kvHistory {
	t.Helper()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	ctx := timeout(t, time.Minute)
	kv, err := js.KeyValue(ctx, bucket)
	if err != nil {
		t.Fatal(err)
	}
	w, err := kv.WatchAll(ctx)
	if err != nil {
		t.Fatal(err)
	}
	h := &kvHistory{}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for e := range w.Updates() {
			if e != nil {
				h.mu.Lock()
				h.entries = append(h.entries, e)
				h.mu.Unlock()
			}
		}
	}()
	t.Cleanup(func() { _ = w.Stop(); <-done })
	return h
}

func (h *kvHistory) snapshot() []jetstream.KeyValueEntry {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]jetstream.KeyValueEntry(nil), h.entries...)
}

// A node cut off from the server stops serving its keys before its lease
// can expire, and so before another node can take them over: a watcher of
// both nodes and of the owner records sees no moment with two owners.
func TestFencingBeforeExpiry(t *testing.T) {
	// The node fences itself 0.2 × TTL before its lease can expire: 400ms,
	// room enough for a loaded machine to run the fence in time.
	const ttl = 2 * time.Second
	srv := startServer(t, embedded.Config{})
	px := startProxy(t, strings.TrimPrefix(srv.ClientURL(), "nats://"))
	ncA, err := nats.Connect(px.url(), nats.MaxReconnects(-1))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(ncA.Close)
	a := nodeOn(t, ncA, WithLeaseTTL(ttl))
	b := startNode(t, srv, WithLeaseTTL(ttl))
	caller := startNode(t, srv)
	fa, fb := newFake("A"), newFake("B")
	bind(t, a, fa, "k")
	lb := bind(t, b, fb)
	out := bind(t, caller, newFake("caller"))
	watch := connect(t, srv, false)
	owners := watchBucket(t, watch, "dispatch_owners")
	leases := watchBucket(t, watch, "dispatch_leases")
	leaseA := a.own.leaseID

	var bOwns atomic.Bool
	overlaps := watchTwoOwners(func() bool { return fa.holds("k") && bOwns.Load() })
	px.pause(true)
	paused := time.Now()
	ctx := timeout(t, 10*time.Second)
	fb.register("k", 16)
	claimWhenFree(t, ctx, lb, "k")
	bOwns.Store(true)
	claimed := time.Now()
	if n := overlaps(); n > 0 {
		t.Errorf("the watcher saw both nodes own the key %d times", n)
	}

	revoked := onlyRevocation(t, fa, "k")
	takeover := eventuallyTakenOver(t, owners, "Echo.k", leaseA)
	var lastRenewal time.Time
	for _, e := range leases.snapshot() {
		if e.Key() == leaseA && e.Operation() == jetstream.KeyValuePut && e.Created().Before(takeover) {
			lastRenewal = e.Created()
		}
	}
	if lastRenewal.IsZero() {
		t.Fatal("the watcher saw no renewal of A's lease")
	}
	t.Logf("after the cut: A fenced itself at %v, its lease could expire at %v, B took over at %v, B's claim returned at %v",
		revoked.Sub(paused), lastRenewal.Add(ttl).Sub(paused), takeover.Sub(paused), claimed.Sub(paused))
	if !revoked.Before(lastRenewal.Add(ttl)) {
		t.Errorf("A revoked its key %v after its lease could expire", revoked.Sub(lastRenewal.Add(ttl)))
	}
	if !revoked.Before(takeover) {
		t.Errorf("B took the key over %v before A revoked it", revoked.Sub(takeover))
	}

	// Once the cut heals, A serves nothing of what it gave up, and claims
	// again under a new lease.
	px.pause(false)
	served := a.links["Echo"].calls.Load()
	for i := range 20 {
		var res echoResult
		if err := call(ctx, out, "k", "Echo", &echoArgs{N: i}, &res); err != nil || res.Node != "B" {
			t.Fatalf("call %d after the cut healed: %v, served by %q", i, err, res.Node)
		}
	}
	if n := a.links["Echo"].calls.Load() - served; n != 0 {
		t.Errorf("A received %d calls for a key it gave up", n)
	}
	fa.register("k2", 16)
	if err := a.links["Echo"].Claim(ctx, "k2"); err != nil {
		t.Fatalf("a claim after the fence: %v", err)
	}
	if a.own.leaseID == leaseA || a.own.leaseID == "" {
		t.Errorf("A claims under lease %q, after losing %q", a.own.leaseID, leaseA)
	}
	var res echoResult
	if err := call(ctx, out, "k2", "Echo", &echoArgs{}, &res); err != nil || res.Node != "A" {
		t.Fatalf("a call to A's new key: %v, served by %q", err, res.Node)
	}
}

// watchTwoOwners checks both every millisecond until the returned function
// is called, which returns how many times both held.
func watchTwoOwners(both func() bool) (stop func() int64) {
	var overlaps atomic.Int64
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			select {
			case <-done:
				return
			case <-time.After(time.Millisecond):
				if both() {
					overlaps.Add(1)
				}
			}
		}
	})
	return func() int64 {
		close(done)
		wg.Wait()
		return overlaps.Load()
	}
}

// claimWhenFree claims key through l as soon as its holder's lease is gone.
func claimWhenFree(t *testing.T, ctx context.Context, l runtime.Link, key string) {
	t.Helper()
	for {
		err := l.Claim(ctx, key)
		if err == nil {
			return
		}
		if !errors.Is(err, runtime.ErrDuplicateKey) {
			t.Fatal(err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// onlyRevocation returns when f's one revocation, of key, happened.
func onlyRevocation(t *testing.T, f *fakeService, key string) time.Time {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.revokes) != 1 || len(f.revokes[0].keys) != 1 || f.revokes[0].keys[0] != key {
		t.Fatalf("revocations: %v, want one of %q", f.revokes, key)
	}
	return f.revokes[0].at
}

// eventuallyTakenOver returns the server's time of the first record of key
// that names a lease other than from.
func eventuallyTakenOver(t *testing.T, h *kvHistory, key, from string) time.Time {
	t.Helper()
	var at time.Time
	eventually(t, 5*time.Second, "the watcher sees the takeover", func() bool {
		for _, e := range h.snapshot() {
			if e.Key() == key && e.Operation() == jetstream.KeyValuePut && string(e.Value()) != from {
				at = e.Created()
				return true
			}
		}
		return false
	})
	return at
}
