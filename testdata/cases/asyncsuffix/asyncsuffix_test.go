package asyncsuffix

import (
	"context"
	"testing"
)

type publisher struct{ n int }

func (p *publisher) Publish(_ context.Context, _ string, data []byte) (int, error) {
	p.n++
	return len(data), nil
}

func (p *publisher) PublishAsync(_ context.Context, _ string, data []byte) (int, error) {
	p.n++
	return -len(data), nil
}

func TestFutureSuffix(t *testing.T) {
	ctx := context.Background()
	d := NewPublisherDispatcher()
	if err := d.Register("p", &publisher{}); err != nil {
		t.Fatal(err)
	}
	ref := d.To("p")
	if n, err := ref.PublishFuture(ctx, "s", []byte("abc")).Await(ctx); err != nil || n != 3 {
		t.Errorf("PublishFuture = %d, %v", n, err)
	}
	if n, err := ref.PublishAsyncFuture(ctx, "s", []byte("abc")).Await(ctx); err != nil || n != -3 {
		t.Errorf("PublishAsyncFuture = %d, %v", n, err)
	}
	if n, err := ref.PublishAsync(ctx, "s", []byte("ab")); err != nil || n != -2 {
		t.Errorf("PublishAsync = %d, %v", n, err)
	}
	if err := d.Close(ctx); err != nil {
		t.Fatal(err)
	}
}
