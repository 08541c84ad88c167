package runtime_test

import (
	"context"
	"testing"
)

// The counters of a recipient outlive its Unregister and its dispatcher's
// Close, so that a program can log its final counts; registering the key
// again starts them anew.
func TestStatsSurviveUnregisterAndClose(t *testing.T) {
	ctx := context.Background()
	d := NewWorkerDispatcher()
	for _, k := range []string{"a", "b"} {
		if err := d.Register(k, newTestWorker(k)); err != nil {
			t.Fatal(err)
		}
	}
	for range 3 {
		if _, err := d.To("a").Do(ctx, Job{}); err != nil {
			t.Fatal(err)
		}
	}
	d.To("b").Tell(ctx, "x")
	if err := d.Unregister(ctx, "a"); err != nil {
		t.Fatal(err)
	}
	if s, ok := d.Stats()["a"]; !ok || s.Handled != 3 || s.Queued != 0 {
		t.Errorf("Stats after Unregister(a) = %+v (present %v), want a's final counts: 3 handled", s, ok)
	}
	if err := d.Close(ctx); err != nil {
		t.Fatal(err)
	}
	stats := d.Stats()
	if stats["a"].Handled != 3 || stats["b"].Handled != 1 || len(stats) != 2 {
		t.Errorf("Stats after Close = %+v, want a's 3 and b's 1 handled", stats)
	}

	d2 := NewWorkerDispatcher()
	defer d2.Close(ctx)
	if err := d2.Register("a", newTestWorker("a")); err != nil {
		t.Fatal(err)
	}
	if _, err := d2.To("a").Do(ctx, Job{}); err != nil {
		t.Fatal(err)
	}
	if err := d2.Unregister(ctx, "a"); err != nil {
		t.Fatal(err)
	}
	if err := d2.Register("a", newTestWorker("a")); err != nil {
		t.Fatal(err)
	}
	if s := d2.Stats()["a"]; s.Handled != 0 {
		t.Errorf("Stats of a registered again = %+v, want counts of its own", s)
	}
}
