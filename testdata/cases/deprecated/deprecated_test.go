//lint:file-ignore SA1019 the test implements a deprecated interface, as its dispatcher does

package deprecated

import (
	"context"
	"database/sql/driver"
	"errors"
	"testing"

	"github.com/dispatchgen/dispatchgen/testdata/cases/deprecated/old"
)

type conn struct{ closed bool }

func (*conn) Prepare(string) (driver.Stmt, error) { return nil, errors.New("no statements") }
func (c *conn) Close() error                      { c.closed = true; return nil }
func (*conn) Begin() (driver.Tx, error)           { return nil, errors.New("no transactions") }

type resolver struct{}

func (resolver) Resolve(_ context.Context, region string) (old.Endpoint, error) {
	return old.Endpoint{URL: "https://" + region}, nil
}
func (resolver) Legacy(context.Context) error { return nil }

func TestDeprecated(t *testing.T) {
	ctx := context.Background()
	d := NewConnDispatcher()
	c := &conn{}
	if err := d.Register("c", c); err != nil {
		t.Fatal(err)
	}
	if _, err := d.To("c").BeginAsync().Await(ctx); err == nil {
		t.Error("Begin succeeded")
	}
	if err := d.To("c").Close(); err != nil {
		t.Error(err)
	}
	r := NewResolverDispatcher()
	if err := r.Register("r", resolver{}); err != nil {
		t.Fatal(err)
	}
	if e, err := r.To("r").Resolve(ctx, "eu"); err != nil || e.URL != "https://eu" {
		t.Errorf("Resolve = %v, %v", e, err)
	}
	for _, close := range []func(context.Context) error{d.Close, r.Close} {
		if err := close(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if !c.closed {
		t.Error("Close did not reach the recipient")
	}
}
