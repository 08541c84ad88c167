package runtime_test

// Adversarial tests of Service.Revoke (remote.go: Revoke, revoked,
// pruneRevoked, and the retired counters it keeps), the transport's way of
// taking keys back when its lease lapses or it closes: a process whose keys
// are revoked over and over must not keep more of them as it goes, Stats
// must count them right, and Close must wait for those still running. They
// use the hub and taTransport of remote_test.go and
// transport_adversary_test.go, and read the router's own bookkeeping
// through reflect (routerMemory), since the package exposes no count of it.

import (
	"context"
	"errors"
	"reflect"
	goruntime "runtime"
	"strconv"
	"sync"
	"testing"
	"time"
	"unsafe"
	"weak"

	"github.com/dispatchgen/dispatchgen/runtime"
)

// routerMemory is what a dispatcher's Router keeps, counted under its lock.
type routerMemory struct {
	registered int // r.m
	byText     int // remote.byText
	claiming   int // remote.claiming
	releasing  int // remote.releasing
	revoked    int // remote.revoked
	retired    int // retired.last
	order      int // retired.order
	// retiredLive counts the entries of retired.last that hold a recipient
	// itself rather than its last counters.
	retiredLive int
}

// memoryOf reads d's Router through reflect, under the Router's read lock.
// A renamed field fails the test, which then needs updating.
func memoryOf(t *testing.T, d *EchoDispatcher) routerMemory {
	t.Helper()
	field := func(v reflect.Value, name string) reflect.Value {
		f := v.FieldByName(name)
		if !f.IsValid() {
			t.Fatalf("runtime.Router has no field %s any more: update memoryOf", name)
		}
		return f
	}
	r := field(reflect.ValueOf(d).Elem(), "router").Elem()
	mu := (*sync.RWMutex)(unsafe.Pointer(field(r, "mu").UnsafeAddr()))
	mu.RLock()
	defer mu.RUnlock()
	rm := field(r, "remote").Elem()
	retired := field(r, "retired")
	m := routerMemory{
		registered: field(r, "m").Len(),
		byText:     field(rm, "byText").Len(),
		claiming:   field(rm, "claiming").Len(),
		releasing:  field(rm, "releasing").Len(),
		revoked:    field(rm, "revoked").Len(),
		retired:    field(retired, "last").Len(),
		order:      field(retired, "order").Len(),
	}
	for it := field(retired, "last").MapRange(); it.Next(); {
		if !field(it.Value(), "live").IsNil() {
			m.retiredLive++
		}
	}
	return m
}

// maxRetired is runtime's bound on the counters kept of keys no longer
// registered (router.go).
const maxRetired = 4096

// Contract: remote.go, pruneRevoked ("so that a process whose keys are
// revoked again and again keeps none of them"), and Stats' doc ("the last
// counters of the keys unregistered, or stopped by Close, that have not
// been registered again (the latest maxRetired of them)"). Here 10 000
// distinct keys are each registered, called once, and revoked by the
// transport, one at a time. Afterwards the router must hold no recipient
// registered, none in byText, claiming or releasing, at most a few revoked
// ones (those revoked since the last prune), and at most maxRetired
// retired counters; Stats must show exactly the latest maxRetired keys,
// each with its one call handled; and the key first revoked must register
// again and answer.
func TestRevokeAdvManyCyclesKeepNothingUnbounded(t *testing.T) {
	const cycles = 10_000
	d, tr := taDispatcher(t, newHub())
	svc := tr.service()
	ctx := context.Background()
	for i := range cycles {
		key := "k" + strconv.Itoa(i)
		if err := d.Register(key, &taEcho{name: key}); err != nil {
			t.Fatalf("cycle %d: Register: %v", i, err)
		}
		if got, err := d.To(key).Say(ctx, "x"); err != nil || got != key+": x" {
			t.Fatalf("cycle %d: Say = %q, %v", i, got, err)
		}
		svc.Revoke([]string{key})
		if i%1000 == 999 {
			if m := memoryOf(t, d); m.revoked > 8 || m.retired > maxRetired || m.order > 2*maxRetired {
				t.Fatalf("after %d register/revoke cycles the router keeps %+v", i+1, m)
			}
		}
	}
	m := memoryOf(t, d)
	t.Logf("after %d register/revoke cycles: %+v", cycles, m)
	if m.registered != 0 || m.byText != 0 || m.claiming != 0 || m.releasing != 0 {
		t.Errorf("after every key was revoked the router still has %+v", m)
	}
	if m.revoked > 8 {
		t.Errorf("the router keeps %d revoked recipients after %d cycles, each finished before the next", m.revoked, cycles)
	}
	if m.retired > maxRetired || m.order > 2*maxRetired {
		t.Errorf("the router keeps %d retired counters (%d in order), over its bound of %d", m.retired, m.order, maxRetired)
	}
	if keys := d.Keys(); len(keys) != 0 {
		t.Errorf("Keys after every key was revoked: %d of them", len(keys))
	}
	stats := d.Stats()
	if len(stats) != maxRetired {
		t.Errorf("Stats holds %d keys, want the latest %d revoked", len(stats), maxRetired)
	}
	for i := cycles - maxRetired; i < cycles; i++ {
		key := "k" + strconv.Itoa(i)
		if s, ok := stats[key]; !ok || s.Handled != 1 || s.Failed != 0 || s.Queued != 0 || s.Panics != 0 {
			t.Fatalf("Stats[%s] = %+v (present %v), want its one call handled", key, s, ok)
		}
	}
	if _, ok := stats["k0"]; ok {
		t.Error("Stats still holds the key revoked first, past the bound")
	}
	if err := d.Register("k0", &taEcho{name: "again"}); err != nil {
		t.Fatalf("Register of a key revoked long ago: %v", err)
	}
	if got, err := d.To("k0").Say(ctx, "y"); err != nil || got != "again: y" {
		t.Fatalf("Say to the key registered again = %q, %v", got, err)
	}
}

// bigEcho is an Echo that holds memory of its own, as a recipient with a
// cache or a buffer does.
type bigEcho struct {
	taEcho
	buf []byte
}

// Contract: router.go, retire ("A recipient whose method outlives the
// stop ... is kept itself, so that its counters follow that method to its
// end"; otherwise its last counters are kept) and maxRetired ("bounds the
// counters a Router keeps of keys no longer registered"). A recipient that
// Unregister stopped leaves only its counters, and its implementation can
// be collected; one that the transport revoked must too, once it has
// finished: Revoke stops it, so nothing of it runs again. Here 64
// recipients of 1 MiB each are registered, called once and revoked, all
// finished, as a control 64 others are unregistered; the test counts, after
// a GC, the implementations still reachable, and the retired entries that
// hold a recipient itself.
func TestRevokeAdvFinishedRevokedRecipientsAreNotKept(t *testing.T) {
	const n = 64
	for _, how := range []string{"unregister", "revoke"} {
		t.Run(how, func(t *testing.T) {
			d, tr := taDispatcher(t, newHub())
			ctx := context.Background()
			ptrs := make([]weak.Pointer[bigEcho], n)
			for i := range n {
				key := how + strconv.Itoa(i)
				e := &bigEcho{taEcho: taEcho{name: key}, buf: make([]byte, 1<<20)}
				ptrs[i] = weak.Make(e)
				if err := d.Register(key, &e.taEcho); err != nil {
					t.Fatal(err)
				}
				if _, err := d.To(key).Say(ctx, "x"); err != nil {
					t.Fatal(err)
				}
				switch how {
				case "unregister":
					if err := d.Unregister(ctx, key); err != nil {
						t.Fatal(err)
					}
				case "revoke":
					tr.service().Revoke([]string{key})
				}
			}
			// The last one revoked is pruned at the next Revoke: make one.
			tr.service().Revoke([]string{"none"})
			alive := 0
			deadline := time.Now().Add(2 * time.Second)
			for {
				goruntime.GC()
				alive = 0
				for _, p := range ptrs {
					if p.Value() != nil {
						alive++
					}
				}
				if alive == 0 || time.Now().After(deadline) {
					break
				}
				time.Sleep(10 * time.Millisecond)
			}
			m := memoryOf(t, d)
			stats := d.Stats()
			if s := stats[how+"0"]; s.Handled != 1 {
				t.Errorf("Stats[%s0] = %+v, want its one call handled", how, s)
			}
			if alive > 0 || m.retiredLive > 0 {
				t.Errorf("after %d recipients of 1 MiB were called once and %sd, all finished: %d implementations still reachable, %d of %d retired entries hold the recipient itself",
					n, how, alive, m.retiredLive, m.retired)
			}
		})
	}
}

// Contract: the doc of Revoke's revoked list in remote.go ("the recipients
// Revoke stopped that may not have finished, for Close to wait for") and
// Router.Close ("what is queued is handled until ctx ends, after which the
// rest fails with ErrClosed and Close returns an error that wraps ctx's").
// TestTransportAdvCloseWaitsForRevokedRecipients revokes one running
// recipient; here 100 running ones are revoked one at a time among 100
// that finish, so that each Revoke's prune passes over running ones: none
// of those may be forgotten. Close, with a context of 200 ms, must then
// say that it did not drain, while they run; once let go, each held call
// ends as it ran, and Stats counts each key's call handled.
func TestRevokeAdvCloseWaitsForEveryRevokedOneStillRunning(t *testing.T) {
	const pairs = 100
	d, tr := taDispatcher(t, newHub())
	svc := tr.service()
	g := newGate()
	t.Cleanup(g.release)
	held := make([]*runtime.Future[string], 0, pairs)
	for i := range pairs {
		hk, fk := "held"+strconv.Itoa(i), "done"+strconv.Itoa(i)
		if err := d.Register(hk, &taEcho{name: hk, g: g}); err != nil {
			t.Fatal(err)
		}
		held = append(held, taHold(t, d, hk, g))
		svc.Revoke([]string{hk})
		if err := d.Register(fk, &taEcho{name: fk}); err != nil {
			t.Fatal(err)
		}
		if _, err := d.To(fk).Say(context.Background(), "x"); err != nil {
			t.Fatal(err)
		}
		svc.Revoke([]string{fk})
	}
	if m := memoryOf(t, d); m.revoked < pairs || m.revoked > pairs+8 {
		t.Errorf("the router keeps %d revoked recipients, want the %d still running and at most a few finished ones", m.revoked, pairs)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	err := d.Close(ctx)
	running := 0
	for _, f := range held {
		if !f.Resolved() {
			running++
		}
	}
	if running != pairs {
		t.Fatalf("%d of %d held calls still run after Close: the test is broken", running, pairs)
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Close returned %v while %d revoked recipients still ran a method, want an error wrapping its context's", err, running)
	}
	g.release()
	for i, f := range held {
		actx, acancel := context.WithTimeout(context.Background(), patience)
		got, err := f.Await(actx)
		acancel()
		if want := "held" + strconv.Itoa(i) + ": hold"; err != nil || got != want {
			t.Errorf("held call %d: %q, %v, want %q", i, got, err, want)
		}
	}
	stats := d.Stats()
	for i := range pairs {
		for _, key := range []string{"held" + strconv.Itoa(i), "done" + strconv.Itoa(i)} {
			if s, ok := stats[key]; !ok || s.Handled != 1 || s.Failed != 0 {
				t.Errorf("Stats[%s] = %+v (present %v), want its one call handled", key, s, ok)
			}
		}
	}
}
