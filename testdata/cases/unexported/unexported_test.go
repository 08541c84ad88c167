package unexported

import (
	"context"
	"testing"
)

type conn struct {
	sent   int
	closed bool
}

func (c *conn) Send(_ context.Context, msg string) (int, error) {
	c.sent += len(msg)
	return c.sent, nil
}
func (c *conn) close(context.Context) { c.closed = true }

func TestUnexported(t *testing.T) {
	ctx := context.Background()
	var d *sessionDispatcher = newSessionDispatcher()
	c := &conn{}
	if err := d.Register("c", c); err != nil {
		t.Fatal(err)
	}
	var ref sessionRef = d.To("c")
	if n, err := ref.Send(ctx, "abc"); n != 3 || err != nil {
		t.Errorf("Send = %d, %v", n, err)
	}
	ref.close(ctx)
	if err := d.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if !c.closed {
		t.Error("close was not delivered")
	}
}
