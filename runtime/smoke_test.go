package runtime_test

import (
	"context"
	"testing"
)

func TestSmoke(t *testing.T) {
	ctx := context.Background()
	d := NewWorkerDispatcher()
	if err := d.Register("a", newTestWorker("a")); err != nil {
		t.Fatal(err)
	}
	r, err := d.To("a").Do(ctx, Job{From: "t", Seq: 1})
	if err != nil || r.By != "a" {
		t.Fatalf("Do = %+v, %v", r, err)
	}
	f := d.To("a").PairAsync(ctx, 2, 3)
	p, err := f.Await(ctx)
	if err != nil || p.Sum != 5 {
		t.Fatalf("Pair = %+v, %v", p, err)
	}
	d.To("a").Tell(ctx, "hi")
	if err := d.Close(ctx); err != nil {
		t.Fatal(err)
	}
	t.Logf("%+v", d.Stats())
}
