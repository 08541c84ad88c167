package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dispatchgen/dispatchgen/natsdispatch"
	"github.com/dispatchgen/dispatchgen/natsdispatch/internal/benchload"
	"github.com/dispatchgen/dispatchgen/runtime"
	"github.com/nats-io/nats.go"
)

// The benchmarks set calls and one-way messages through generated
// dispatchers on two nodes beside raw nats.go doing the same on the same
// embedded server, in the same run: compare the ratios, not the figures.

// benchArgs are the arguments of every benchmarked call and message.
var benchArgs = Args{N: 42, Text: "hello, recipient"}

// benchServer answers CallTool with its arguments and counts Notify.
type benchServer struct {
	notes atomic.Int64
}

func (*benchServer) CallTool(_ context.Context, _ string, a Args) (Result, error) {
	return Result{Key: "k", Node: "hosting", N: a.N, Text: a.Text}, nil
}

func (s *benchServer) Notify(context.Context, Args) { s.notes.Add(1) }

func (*benchServer) Fail(context.Context, string) error { return nil }

func (*benchServer) Hop(context.Context, []string) ([]string, error) { return nil, nil }

// wirePayloads are what the generated code puts on the wire for a CallTool
// of benchArgs, and what comes back: the raw baselines send and answer the
// same bytes.
func wirePayloads(b *testing.B) (request, reply []byte) {
	request, err := json.Marshal(toolServerCallToolArgs{Name: "echo", Args: benchArgs})
	if err != nil {
		b.Fatal(err)
	}
	reply, err = json.Marshal(Result{Key: "k", Node: "hosting", N: benchArgs.N, Text: benchArgs.Text})
	if err != nil {
		b.Fatal(err)
	}
	return request, reply
}

// codecs are the nodes' codecs the dispatcher paths run with: the default
// JSON, and CBOR.
var codecs = []struct {
	suffix string
	codec  natsdispatch.Codec
}{{"", nil}, {"+cbor", natsdispatch.CBOR()}}

var transports = []struct {
	name string
	tcp  bool
}{{"inproc", false}, {"tcp", true}}

// BenchmarkCall sets a synchronous CallTool from one node to a recipient
// of another beside a raw nc.Request of the same payload to a subscriber
// that answers with the same reply.
func BenchmarkCall(b *testing.B) {
	for _, tr := range transports {
		for _, callers := range []int{1, 8} {
			b.Run(fmt.Sprintf("%s/callers=%d/raw", tr.name, callers), func(b *testing.B) {
				c := newCluster(b)
				c.tcp = tr.tcp
				request, reply := wirePayloads(b)
				host, caller := connectB(b, c), connectB(b, c)
				sub, err := host.Subscribe("raw.req", func(m *nats.Msg) { _ = m.Respond(reply) })
				if err != nil {
					b.Fatal(err)
				}
				defer sub.Unsubscribe()
				if err := host.Flush(); err != nil {
					b.Fatal(err)
				}
				b.ReportAllocs()
				benchload.Parallel(b, callers, func() error {
					_, err := caller.Request("raw.req", request, 10*time.Second)
					return err
				})
			})
			for _, codec := range codecs {
				b.Run(fmt.Sprintf("%s/callers=%d/dispatcher%s", tr.name, callers, codec.suffix), func(b *testing.B) {
					c := newCluster(b)
					c.tcp, c.codec = tr.tcp, codec.codec
					hosting, calling := c.node("hosting"), c.node("calling")
					if err := hosting.d.Register("k", &benchServer{}); err != nil {
						b.Fatal(err)
					}
					ref := calling.d.To("k")
					ctx := context.Background()
					b.ReportAllocs()
					benchload.Parallel(b, callers, func() error {
						res, err := ref.CallTool(ctx, "echo", benchArgs)
						if err == nil && res.N != benchArgs.N {
							err = fmt.Errorf("CallTool = %+v", res)
						}
						return err
					})
				})
			}
		}
	}
}

// BenchmarkNotify sets one-way Notify messages from one sender, delivered
// to a recipient of another node, beside raw Publish of the same payload
// to a subscriber: the time per message delivered.
func BenchmarkNotify(b *testing.B) {
	for _, tr := range transports {
		b.Run(tr.name+"/raw", func(b *testing.B) {
			c := newCluster(b)
			c.tcp = tr.tcp
			payload, err := json.Marshal(toolServerNotifyArgs{Args: benchArgs})
			if err != nil {
				b.Fatal(err)
			}
			host, caller := connectB(b, c), connectB(b, c)
			var got atomic.Int64
			sub, err := host.Subscribe("raw.pub", func(*nats.Msg) { got.Add(1) })
			if err != nil {
				b.Fatal(err)
			}
			defer sub.Unsubscribe()
			if err := sub.SetPendingLimits(-1, -1); err != nil {
				b.Fatal(err)
			}
			if err := host.Flush(); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for i := range b.N {
				if err := caller.Publish("raw.pub", payload); err != nil {
					b.Fatal(err)
				}
				benchload.WaitWindow(i, &got)
			}
			benchload.WaitAll(b, &got)
		})
		for _, codec := range codecs {
			b.Run(tr.name+"/dispatcher"+codec.suffix, func(b *testing.B) {
				c := newCluster(b)
				c.tcp, c.codec = tr.tcp, codec.codec
				// A message refused counts as delivered, so that the wait
				// ends, and fails the benchmark.
				s := &benchServer{}
				var refused atomic.Value
				hosting := c.node("hosting")
				calling := c.node("calling", runtime.WithDeadLetterHandler(func(l runtime.DeadLetter) {
					refused.Store(l.Err)
					s.notes.Add(1)
				}))
				if err := hosting.d.Register("k", s); err != nil {
					b.Fatal(err)
				}
				ref := calling.d.To("k")
				ctx := context.Background()
				b.ReportAllocs()
				b.ResetTimer()
				for i := range b.N {
					ref.Notify(ctx, benchArgs)
					benchload.WaitWindow(i, &s.notes)
				}
				benchload.WaitAll(b, &s.notes)
				if err, _ := refused.Load().(error); err != nil {
					b.Fatalf("a one-way message was refused: %v", err)
				}
			})
		}
	}
}

// connectB opens a connection of its own to c's server, closed at the end
// of the benchmark.
func connectB(b *testing.B, c *cluster) *nats.Conn {
	nc, err := c.connect()
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(nc.Close)
	return nc
}
