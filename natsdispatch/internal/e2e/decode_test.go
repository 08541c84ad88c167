package e2e

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dispatchgen/dispatchgen/natsdispatch"
	"github.com/dispatchgen/dispatchgen/runtime"
)

// A hosting node decodes a message's arguments before it queues the
// message, and a payload near the server's 1 MiB maximum takes tens of
// milliseconds of JSON to decode. These tests hold such a decode with a
// codec that waits at a gate, so that they are about order, not speed: one
// key's large message must not hold up the other keys' messages, nor run
// out of order with the messages of its own key that came after it.

// largeText makes a message's payload larger than the node decodes on its
// delivery goroutine.
var largeText = strings.Repeat("x", 64<<10)

// gatedCodec is JSON whose decode of a large payload waits until the gate
// opens, and says on entered that it has begun.
type gatedCodec struct {
	natsdispatch.Codec
	entered chan struct{}
	gate    chan struct{}
	once    sync.Once
}

func newGatedCodec() *gatedCodec {
	return &gatedCodec{Codec: natsdispatch.JSON(), entered: make(chan struct{}, 16), gate: make(chan struct{})}
}

func (g *gatedCodec) Unmarshal(data []byte, v any) error {
	if len(data) >= len(largeText) {
		g.entered <- struct{}{}
		<-g.gate
	}
	return g.Codec.Unmarshal(data, v)
}

// open lets every decode held at the gate, and every later one, go on.
func (g *gatedCodec) open() { g.once.Do(func() { close(g.gate) }) }

// awaitEntered waits until a large payload's decode has begun.
func (g *gatedCodec) awaitEntered(t *testing.T) {
	t.Helper()
	select {
	case <-g.entered:
	case <-time.After(10 * time.Second):
		t.Fatal("the large message's decode did not begin within 10s")
	}
}

// gatedCluster is a cluster whose nodes use a gated codec. Its caller
// defers g.open, so that the gate opens before the nodes close.
func gatedCluster(t *testing.T) (*cluster, *gatedCodec) {
	c := newCluster(t)
	g := newGatedCodec()
	c.codec = g
	return c, g
}

// While a large one-way message to one key is being decoded, a call to
// another key of the same node is served, and the messages to the first
// key that came after the large one run after it, in order.
func TestLargeMessageHoldsUpNoOtherKey(t *testing.T) {
	c, g := gatedCluster(t)
	defer g.open()
	hosting, calling := c.node("hosting"), c.node("calling")
	servers := hosting.serve(t, "large", "small")
	ctx := within(t, 30*time.Second)

	calling.d.To("large").Notify(ctx, Args{N: 1, Text: largeText})
	g.awaitEntered(t)
	calling.d.To("large").Notify(ctx, Args{N: 2})
	calling.d.To("large").Notify(ctx, Args{N: 3})

	callCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	res, err := calling.d.To("small").CallTool(callCtx, "echo", Args{N: 7})
	cancel()
	if err != nil || res.Key != "small" || res.N != 7 {
		t.Errorf("a call to another key while a large message was decoded = %+v, %v; want it served at once", res, err)
	}
	if got := servers["large"].notesOf(); len(got) != 0 {
		t.Errorf("the key of the large message ran %v before the large message was decoded", got)
	}

	g.open()
	want := []int{1, 2, 3}
	got := servers["large"].notesOf()
	for len(got) < len(want) && ctx.Err() == nil {
		time.Sleep(5 * time.Millisecond)
		got = servers["large"].notesOf()
	}
	if !slices.Equal(got, want) {
		t.Errorf("the key of the large message ran %v; want %v", got, want)
	}
}

// A large call is answered, with its arguments intact, once decoded, and a
// call to another key made meanwhile is not held up by it.
func TestLargeCallHoldsUpNoOtherKey(t *testing.T) {
	c, g := gatedCluster(t)
	defer g.open()
	hosting, calling := c.node("hosting"), c.node("calling")
	hosting.serve(t, "large", "small")
	ctx := within(t, 30*time.Second)

	type outcome struct {
		res Result
		err error
	}
	large := make(chan outcome, 1)
	go func() {
		res, err := calling.d.To("large").CallTool(ctx, "echo", Args{N: 1, Text: largeText})
		large <- outcome{res, err}
	}()
	g.awaitEntered(t)

	callCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	res, err := calling.d.To("small").CallTool(callCtx, "echo", Args{N: 7})
	cancel()
	if err != nil || res.Key != "small" {
		t.Errorf("a call to another key while a large call was decoded = %+v, %v; want it served at once", res, err)
	}

	g.open()
	o := <-large
	if o.err != nil || o.res.Key != "large" || o.res.N != 1 || o.res.Text != largeText {
		t.Errorf("the large call = {Key:%q N:%d len(Text):%d}, %v; want it served with its arguments",
			o.res.Key, o.res.N, len(o.res.Text), o.err)
	}
}

// Unregister of a key whose large message is being decoded returns once
// that message is either queued or refused, and the messages that came
// after it reach the sender's dead-letter handler: none is lost unseen,
// and the key can be registered again, here or on another node.
func TestUnregisterDuringLargeDecode(t *testing.T) {
	c, g := gatedCluster(t)
	defer g.open()
	hosting := c.node("hosting")
	var mu sync.Mutex
	var dead []runtime.DeadLetter
	calling := c.node("calling", runtime.WithDeadLetterHandler(func(l runtime.DeadLetter) {
		mu.Lock()
		dead = append(dead, l)
		mu.Unlock()
	}))
	s := hosting.serve(t, "large", "probe")["large"]
	ctx := within(t, 30*time.Second)

	calling.d.To("large").Notify(ctx, Args{N: 1, Text: largeText})
	g.awaitEntered(t)
	calling.d.To("large").Notify(ctx, Args{N: 2})
	// The message behind the large one has reached the hosting node once a
	// call behind it, on another key, has its answer: one sender's
	// messages travel in order.
	probeCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if _, err := calling.d.To("probe").CallTool(probeCtx, "echo", Args{}); err != nil {
		t.Fatalf("probe: %v", err)
	}

	unregistered := make(chan error, 1)
	go func() { unregistered <- hosting.d.Unregister(ctx, "large") }()
	// Unregister may return before the decode ends, or wait for it; either
	// way the count below must hold.
	time.Sleep(100 * time.Millisecond)
	g.open()
	if err := <-unregistered; err != nil {
		t.Fatalf("Unregister: %v", err)
	}

	deadline := time.Now().Add(10 * time.Second)
	for {
		mu.Lock()
		n := len(dead)
		mu.Unlock()
		if n+len(s.notesOf()) >= 2 || time.Now().After(deadline) {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	ran := s.notesOf()
	mu.Lock()
	defer mu.Unlock()
	if len(ran)+len(dead) != 2 {
		t.Fatalf("of 2 one-way messages, %v ran and %d reached the dead-letter handler; want each to do one", ran, len(dead))
	}
	for _, l := range dead {
		if !errors.Is(l.Err, runtime.ErrNoRecipient) && !errors.Is(l.Err, runtime.ErrClosed) {
			t.Errorf("dead letter %v: %v, want ErrNoRecipient or ErrClosed", l.Method, l.Err)
		}
	}
	if err := hosting.d.Register("large", &server{key: "large", node: "hosting", d: hosting.d}); err != nil {
		t.Errorf("Register again after Unregister: %v", err)
	}
}

// One sender's messages to one key, large and small mixed, run in the
// order sent, however many are decoded apart.
func TestLargeAndSmallMessagesKeepTheirOrder(t *testing.T) {
	c := newCluster(t)
	hosting, calling := c.node("hosting"), c.node("calling")
	s := hosting.serve(t, "k")["k"]
	ctx := within(t, 30*time.Second)

	const n = 300
	want := make([]int, n)
	for i := range n {
		args := Args{N: i}
		if i%7 == 0 || i%11 == 0 {
			args.Text = largeText
		}
		calling.d.To("k").Notify(ctx, args)
		want[i] = i
	}
	got := s.notesOf()
	for len(got) < n && ctx.Err() == nil {
		time.Sleep(5 * time.Millisecond)
		got = s.notesOf()
	}
	if !slices.Equal(got, want) {
		t.Errorf("the recipient ran %d of %d messages; in order up to %d", len(got), n, firstDiff(got, want))
	}
}
