package dispatchotel_test

import (
	"testing"
	"time"

	dispatchotel "github.com/dispatchgen/dispatchgen/otel"
	"github.com/dispatchgen/dispatchgen/runtime"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
)

// gauge returns the value of the gauge name for the recipient Hop, and
// whether it was reported.
func gauge(t *testing.T, rm metricdata.ResourceMetrics, name string) (int64, bool) {
	t.Helper()
	m := metric(rm, name)
	if m == nil {
		return 0, false
	}
	g, ok := m.Data.(metricdata.Gauge[int64])
	if !ok {
		t.Fatalf("%s is a %T, not an int64 gauge", name, m.Data)
	}
	for _, p := range g.DataPoints {
		if v, _ := p.Attributes.Value(dispatchotel.AttrRecipient); v.AsString() == "Hop" {
			return p.Value, true
		}
	}
	return 0, false
}

// TestObserveMailboxes checks the mailbox gauges while recipients are
// blocked with messages queued behind them, once they have drained, and
// after Unregister.
func TestObserveMailboxes(t *testing.T) {
	tel := newTelemetry(t)
	d, s := tel.dispatcher(t, "a", "b")
	reg, err := dispatchotel.ObserveMailboxes("Hop", d.Stats, dispatchotel.WithMeterProvider(tel.mp))
	if err != nil {
		t.Fatal(err)
	}
	ctx := timeout(t, 10*time.Second)
	// a holds the one it is handling and three behind it, b one.
	var fs []*runtime.Future[string]
	for _, key := range []string{"a", "a", "a", "a", "b"} {
		fs = append(fs, d.To(key).DoAsync(ctx, "block"))
	}
	rm := tel.collect(t)
	for name, want := range map[string]int64{"dispatch.mailbox.queued": 5, "dispatch.mailbox.queued.max": 4} {
		if got, ok := gauge(t, rm, name); !ok || got != want {
			t.Errorf("%s while blocked: %d (reported: %v), want %d", name, got, ok, want)
		}
	}
	close(s.Release)
	for _, f := range fs {
		if _, err := f.Await(ctx); err != nil {
			t.Fatal(err)
		}
	}
	for _, key := range []string{"a", "b"} {
		if err := d.Flush(ctx, key); err != nil {
			t.Fatal(err)
		}
	}
	rm = tel.collect(t)
	for _, name := range []string{"dispatch.mailbox.queued", "dispatch.mailbox.queued.max"} {
		if got, ok := gauge(t, rm, name); !ok || got != 0 {
			t.Errorf("%s once drained: %d (reported: %v), want 0", name, got, ok)
		}
	}
	if err := reg.Unregister(); err != nil {
		t.Fatal(err)
	}
	if got, ok := gauge(t, tel.collect(t), "dispatch.mailbox.queued"); ok {
		t.Errorf("dispatch.mailbox.queued after Unregister: %d, want none", got)
	}
}
