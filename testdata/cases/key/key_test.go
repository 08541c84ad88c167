package key

import (
	"context"
	"testing"
)

type inbox struct{ n int }

func (b *inbox) Deliver(context.Context, string) (int, error) { b.n++; return b.n, nil }

type partition struct{ size int }

func (p partition) Size(context.Context) (int, error) { return p.size, nil }

func TestKeys(t *testing.T) {
	ctx := context.Background()
	d := NewInboxDispatcher()
	for id := range UserID(3) {
		if err := d.Register(id, &inbox{}); err != nil {
			t.Fatal(err)
		}
	}
	for range 2 {
		if _, err := d.To(UserID(1)).Deliver(ctx, "hi"); err != nil {
			t.Fatal(err)
		}
	}
	if n, err := d.To(1).Deliver(ctx, "hi"); n != 3 || err != nil {
		t.Errorf("Deliver = %d, %v", n, err)
	}
	var keys []UserID = d.Keys()
	if len(keys) != 3 {
		t.Errorf("Keys = %v", keys)
	}
	p := NewPartitionDispatcher()
	if err := p.Register(Shard{"eu", 1}, partition{size: 7}); err != nil {
		t.Fatal(err)
	}
	if n, err := p.To(Shard{"eu", 1}).Size(ctx); n != 7 || err != nil {
		t.Errorf("Size = %d, %v", n, err)
	}
	if err := d.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if err := p.Close(ctx); err != nil {
		t.Fatal(err)
	}
}
