package embedded

import (
	"context"
	"testing"
)

type device struct {
	on     bool
	closed bool
}

func (d *device) Name(context.Context) (string, error)   { return "lamp", nil }
func (d *device) Power(_ context.Context, on bool) error { d.on = on; return nil }
func (d *device) Close() error                           { d.closed = true; return nil }

func TestEmbedded(t *testing.T) {
	ctx := context.Background()
	disp := NewDeviceDispatcher()
	dev := &device{}
	if err := disp.Register("lamp", dev); err != nil {
		t.Fatal(err)
	}
	var _ Namer = disp.To("lamp")
	if n, err := disp.To("lamp").Name(ctx); n != "lamp" || err != nil {
		t.Errorf("Name = %q, %v", n, err)
	}
	if err := disp.To("lamp").Power(ctx, true); err != nil {
		t.Fatal(err)
	}
	if err := disp.To("lamp").Close(); err != nil {
		t.Fatal(err)
	}
	if err := disp.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if !dev.on || !dev.closed {
		t.Errorf("device = %+v", dev)
	}
}
