package dispatchotel_test

import (
	"flag"
	goruntime "runtime"
	"testing"
	"time"

	dispatchotel "github.com/dispatchgen/dispatchgen/otel"
	"github.com/dispatchgen/dispatchgen/otel/internal/hop"
	otelmetric "go.opentelemetry.io/otel/metric"
)

// TestAdversaryMailboxesTwoDispatchers observes two dispatchers of one
// recipient interface on one MeterProvider, each with calls queued: the
// gauges must count the messages of both, not one of them.
func TestAdversaryMailboxesTwoDispatchers(t *testing.T) {
	a := newAdversary(t)
	ctx := timeout(t, 10*time.Second)
	var regs []otelmetric.Registration
	for _, n := range []int{2, 3} {
		d, s := a.dispatcher(t, nil, nil, nil, "a")
		t.Cleanup(func() { close(s.Release) })
		reg, err := dispatchotel.ObserveMailboxes("Hop", d.Stats, dispatchotel.WithMeterProvider(a.mp))
		if err != nil {
			t.Fatal(err)
		}
		regs = append(regs, reg)
		for range n {
			_ = d.To("a").DoAsync(ctx, "block")
		}
	}
	rm := a.collect(t)
	for name, want := range map[string]int64{"dispatch.mailbox.queued": 5, "dispatch.mailbox.queued.max": 3} {
		if got, ok := gauge(t, rm, name); !ok || got != want {
			t.Errorf("%s: %d (reported: %v), want %d", name, got, ok, want)
		}
	}
	// Unregistered, the first no longer counts; the second still does.
	if err := regs[0].Unregister(); err != nil {
		t.Fatal(err)
	}
	if got, ok := gauge(t, a.collect(t), "dispatch.mailbox.queued"); !ok || got != 3 {
		t.Errorf("dispatch.mailbox.queued with the first unregistered: %d (reported: %v), want 3", got, ok)
	}
	if err := regs[1].Unregister(); err != nil {
		t.Fatal(err)
	}
	if got, ok := gauge(t, a.collect(t), "dispatch.mailbox.queued"); ok {
		t.Errorf("dispatch.mailbox.queued with both unregistered: %d, want none", got)
	}
}

// openLimits runs the adversarial tests of limits the package states and
// does not lift, as natsdispatch's -adversary does: they fail.
var openLimits = flag.Bool("adversary", false, "run the adversarial tests of stated limits (they fail)")

// TestAdversaryMailboxesForgotten shows the limit ObserveMailboxes states:
// a dispatcher closed and dropped whose registration is not unregistered
// stays alive, held by the MeterProvider, and is reported still.
func TestAdversaryMailboxesForgotten(t *testing.T) {
	if !*openLimits {
		t.Skip("a stated limit: run with -adversary to see it fail")
	}
	a := newAdversary(t)
	collected := make(chan struct{})
	func() {
		d := hop.NewHopDispatcher()
		if _, err := dispatchotel.ObserveMailboxes("Hop", d.Stats, dispatchotel.WithMeterProvider(a.mp)); err != nil {
			t.Fatal(err)
		}
		if err := d.Close(timeout(t, 10*time.Second)); err != nil {
			t.Fatal(err)
		}
		goruntime.AddCleanup(d, func(ch chan struct{}) { close(ch) }, collected)
	}()
	for deadline := time.Now().Add(2 * time.Second); time.Now().Before(deadline); {
		goruntime.GC()
		select {
		case <-collected:
			return
		case <-time.After(10 * time.Millisecond):
		}
	}
	t.Fatal("a dispatcher closed and dropped, its registration forgotten, was not collected")
}

// TestAdversaryMailboxesRelease checks that a dispatcher observed, closed
// and unregistered, as ObserveMailboxes asks, is not held alive by the
// meter.
func TestAdversaryMailboxesRelease(t *testing.T) {
	a := newAdversary(t)
	collected := make(chan struct{})
	func() {
		d := hop.NewHopDispatcher()
		if err := d.Register("a", hop.NewServer(nil)); err != nil {
			t.Fatal(err)
		}
		reg, err := dispatchotel.ObserveMailboxes("Hop", d.Stats, dispatchotel.WithMeterProvider(a.mp))
		if err != nil {
			t.Fatal(err)
		}
		a.collect(t)
		if err := d.Close(timeout(t, 10*time.Second)); err != nil {
			t.Fatal(err)
		}
		if err := reg.Unregister(); err != nil {
			t.Fatal(err)
		}
		goruntime.AddCleanup(d, func(ch chan struct{}) { close(ch) }, collected)
	}()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); {
		goruntime.GC()
		select {
		case <-collected:
			return
		case <-time.After(10 * time.Millisecond):
		}
	}
	t.Fatal("the dispatcher was not collected once closed and unregistered")
}
