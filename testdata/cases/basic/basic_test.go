package basic

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/dispatchgen/dispatchgen/runtime"
)

// server keeps state that is not safe for concurrent use: the race detector
// reports any two of its methods running at once.
type server struct {
	name         string
	calls, notes int
}

func (s *server) ListTools(context.Context) ([]Tool, error) {
	return []Tool{{Name: s.name + "/echo"}}, nil
}

func (s *server) CallTool(_ context.Context, name string, args map[string]any) (Result, error) {
	if name == "fail" {
		return Result{}, errors.New("tool failed")
	}
	if name == "panic" {
		panic("tool panicked")
	}
	s.calls++
	return Result{Server: s.name, Text: fmt.Sprint(args["x"])}, nil
}

func (s *server) Notify(context.Context, Event) { s.notes++ }

func (s *server) Counts(context.Context) (int, int, error) { return s.calls, s.notes, nil }

func (s *server) Reset(context.Context) error {
	s.calls, s.notes = 0, 0
	return nil
}

func TestGeneratedDispatcher(t *testing.T) {
	ctx := context.Background()
	d := NewToolServerDispatcher()
	const servers, callers, perCaller = 8, 16, 500
	for i := range servers {
		if err := d.Register(fmt.Sprint("s", i), &server{name: fmt.Sprint("s", i)}); err != nil {
			t.Fatal(err)
		}
	}
	var wg sync.WaitGroup
	for c := range callers {
		wg.Go(func() {
			for i := range perCaller {
				key := fmt.Sprint("s", (c+i)%servers)
				ref := d.To(key)
				var res Result
				var err error
				if i%2 == 0 {
					res, err = ref.CallTool(ctx, "echo", map[string]any{"x": i})
				} else {
					res, err = ref.CallToolAsync(ctx, "echo", map[string]any{"x": i}).Await(ctx)
				}
				if err != nil || res.Server != key || res.Text != fmt.Sprint(i) {
					t.Errorf("CallTool on %s = %+v, %v", key, res, err)
				}
				ref.Notify(ctx, Event{Kind: "ping"})
			}
		})
	}
	wg.Wait()
	calls, notes := 0, 0
	for _, key := range d.Keys() {
		c, n, err := d.To(key).Counts(ctx)
		if err != nil {
			t.Fatal(err)
		}
		calls, notes = calls+c, notes+n
	}
	if calls != callers*perCaller || notes != callers*perCaller {
		t.Errorf("servers saw %d calls and %d notifications, want %d each", calls, notes, callers*perCaller)
	}
	res, err := d.To("s0").CountsAsync(ctx).Await(ctx)
	if err != nil || res.Calls == 0 {
		t.Errorf("CountsAsync = %+v, %v", res, err)
	}
	if _, err := d.To("s0").CallTool(ctx, "fail", nil); err == nil || err.Error() != "tool failed" {
		t.Errorf("failing tool: err = %v", err)
	}
	var pe *runtime.PanicError
	if _, err := d.To("s0").CallTool(ctx, "panic", nil); !errors.As(err, &pe) {
		t.Errorf("panicking tool: err = %v, want *runtime.PanicError", err)
	}
	if err := d.To("s0").Reset(ctx); err != nil {
		t.Error(err)
	}
	if _, err := d.To("nobody").ListTools(ctx); !errors.Is(err, runtime.ErrNoRecipient) {
		t.Errorf("unknown key: err = %v", err)
	}
	if tools, err := d.To("s1").ListToolsAsync(ctx).Await(ctx); err != nil || tools[0].Name != "s1/echo" {
		t.Errorf("ListToolsAsync = %v, %v", tools, err)
	}
	if err := d.Close(ctx); err != nil {
		t.Fatal(err)
	}
}
