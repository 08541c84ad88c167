package natsdispatch

import (
	"context"
	"fmt"
	goruntime "runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dispatchgen/dispatchgen/natsdispatch/embedded"
	"github.com/dispatchgen/dispatchgen/natsdispatch/internal/benchload"
	"github.com/dispatchgen/dispatchgen/runtime"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// The benchmarks set each path of a node beside raw nats.go doing the same
// on the same embedded server, in the same run: compare the ratios, not
// the figures.

// benchService serves Echo inline, in Serve, as an idle recipient's
// caller-run call would: it decodes the arguments and replies with them,
// so that the reply has the size of the request. Note only counts.
type benchService struct {
	notes atomic.Int64
}

func (*benchService) Interface() string             { return "Echo" }
func (*benchService) Methods() []runtime.MethodInfo { return echoMethods }
func (*benchService) Revoke([]string)               {}
func (*benchService) Stats() map[string]runtime.Stats {
	return nil
}

func (s *benchService) Serve(in *runtime.Inbound) {
	if in.OneWay {
		s.notes.Add(1)
		in.Reply(nil, nil)
		return
	}
	var a echoArgs
	if err := in.Decode(&a); err != nil {
		in.Reply(nil, err)
		return
	}
	in.Reply(&a, nil)
}

var benchArgs = echoArgs{N: 42, Text: "hello, recipient"}

// benchRun numbers the runs of a benchmark, for names of their own.
var benchRun atomic.Int64

// benchConns returns two connections to srv, in-process or over TCP.
func benchConns(b *testing.B, srv *embedded.Server, tcp bool) (*nats.Conn, *nats.Conn) {
	return connect(b, srv, tcp), connect(b, srv, tcp)
}

var transports = []struct {
	name string
	tcp  bool
}{{"inproc", false}, {"tcp", true}}

// BenchmarkRequest sets a synchronous remote call beside a raw nc.Request
// of the same payload to a subscriber that answers with it.
func BenchmarkRequest(b *testing.B) {
	srv := startServer(b, embedded.Config{})
	payload, _ := JSON().Marshal(&benchArgs)
	for _, tr := range transports {
		for _, callers := range []int{1, 8} {
			b.Run(fmt.Sprintf("%s/callers=%d/raw", tr.name, callers), func(b *testing.B) {
				ncHost, ncCaller := benchConns(b, srv, tr.tcp)
				sub, err := ncHost.Subscribe("raw.req", func(m *nats.Msg) { _ = m.Respond(m.Data) })
				if err != nil {
					b.Fatal(err)
				}
				defer sub.Unsubscribe()
				_ = ncHost.Flush()
				b.ReportAllocs()
				benchload.Parallel(b, callers, func() error {
					_, err := ncCaller.Request("raw.req", payload, 10*time.Second)
					return err
				})
			})
			for _, v := range []struct {
				name     string
				deadline bool
				codec    Codec
			}{{"node", false, JSON()}, {"node+deadline", true, JSON()}, {"node+cbor", false, CBOR()}} {
				deadline := v.deadline
				b.Run(fmt.Sprintf("%s/callers=%d/%s", tr.name, callers, v.name), func(b *testing.B) {
					ncHost, ncCaller := benchConns(b, srv, tr.tcp)
					prefix := fmt.Sprint("req", benchRun.Add(1))
					opts := []Option{WithPrefix(prefix), WithCodec(v.codec)}
					host, caller := nodeOn(b, ncHost, opts...), nodeOn(b, ncCaller, opts...)
					hl, _ := host.Bind(&benchService{})
					if err := hl.Claim(context.Background(), "k"); err != nil {
						b.Fatal(err)
					}
					out, _ := caller.Bind(&benchService{})
					ctx := context.Background()
					if deadline {
						c, cancel := context.WithTimeout(ctx, time.Hour)
						defer cancel()
						ctx = c
					}
					b.ReportAllocs()
					benchload.Parallel(b, callers, func() error {
						var res echoArgs
						return call(ctx, out, "k", "Echo", &benchArgs, &res)
					})
				})
			}
		}
	}
}

// BenchmarkOneWay sets one-way remote messages, delivered to the hosting
// dispatcher, beside raw Publish to a subscriber, from one sender.
func BenchmarkOneWay(b *testing.B) {
	srv := startServer(b, embedded.Config{})
	payload, _ := JSON().Marshal(&benchArgs)
	for _, tr := range transports {
		b.Run(tr.name+"/raw", func(b *testing.B) {
			ncHost, ncCaller := benchConns(b, srv, tr.tcp)
			var got atomic.Int64
			sub, err := ncHost.Subscribe("raw.pub", func(*nats.Msg) { got.Add(1) })
			if err != nil {
				b.Fatal(err)
			}
			defer sub.Unsubscribe()
			_ = sub.SetPendingLimits(-1, -1)
			_ = ncHost.Flush()
			b.ReportAllocs()
			b.ResetTimer()
			for i := range b.N {
				if err := ncCaller.Publish("raw.pub", payload); err != nil {
					b.Fatal(err)
				}
				benchload.WaitWindow(i, &got)
			}
			benchload.WaitAll(b, &got)
		})
		b.Run(tr.name+"/node", func(b *testing.B) {
			ncHost, ncCaller := benchConns(b, srv, tr.tcp)
			prefix := "oneway" + tr.name
			host, caller := nodeOn(b, ncHost, WithPrefix(prefix)), nodeOn(b, ncCaller, WithPrefix(prefix))
			svc := &benchService{}
			hl, _ := host.Bind(svc)
			if err := hl.Claim(context.Background(), "k"); err != nil {
				b.Fatal(err)
			}
			out, _ := caller.Bind(&benchService{})
			ctx := context.Background()
			var refused atomic.Value
			b.ReportAllocs()
			b.ResetTimer()
			for i := range b.N {
				send(ctx, out, "k", "Note", &benchArgs, func(err error) { refused.Store(err) })
				benchload.WaitWindow(i, &svc.notes)
			}
			benchload.WaitAll(b, &svc.notes)
			if err, _ := refused.Load().(error); err != nil {
				b.Fatal(err)
			}
		})
	}
}

// BenchmarkClaim sets claiming a key beside one KV Create, the floor of a
// claim; run it with -benchtime 10000x for a node of 10 000 keys.
func BenchmarkClaim(b *testing.B) {
	srv := startServer(b, embedded.Config{})
	for _, tr := range transports {
		b.Run(tr.name+"/kvcreate", func(b *testing.B) {
			nc := connect(b, srv, tr.tcp)
			js, err := jetstream.New(nc)
			if err != nil {
				b.Fatal(err)
			}
			ctx := context.Background()
			bucket := fmt.Sprint("rawclaim", tr.name, benchRun.Add(1))
			kv, err := js.CreateKeyValue(ctx, jetstream.KeyValueConfig{Bucket: bucket, Storage: jetstream.FileStorage})
			if err != nil {
				b.Fatal(err)
			}
			defer js.DeleteKeyValue(ctx, bucket)
			value := []byte("0123456789abcdefghijkl") // as long as a lease id
			b.ReportAllocs()
			b.ResetTimer()
			for i := range b.N {
				if _, err := kv.Create(ctx, fmt.Sprint("Echo.k", i), value); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(tr.name+"/node", func(b *testing.B) {
			nc := connect(b, srv, tr.tcp)
			// A prefix of its own: claiming a key released before costs
			// nats.go three round trips, not one.
			n := nodeOn(b, nc, WithPrefix(fmt.Sprint("claim", tr.name, benchRun.Add(1))))
			l, _ := n.Bind(&benchService{})
			ctx := context.Background()
			if err := l.Claim(ctx, "first"); err != nil { // opens the buckets, takes the lease
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for i := range b.N {
				if err := l.Claim(ctx, fmt.Sprint("k", i)); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkIdleKeyMemory reports the heap a node holds per claimed key
// that nobody calls, beyond what the dispatcher holds for its recipient.
// The server runs in a process of its own, so that its memory is not
// counted.
func BenchmarkIdleKeyMemory(b *testing.B) {
	url := startServerProcess(b)
	const keys = 2000
	for range b.N {
		b.StopTimer()
		nc, err := nats.Connect(url)
		if err != nil {
			b.Fatal(err)
		}
		n, err := NewNode(nc, WithPrefix("idle"))
		if err != nil {
			b.Fatal(err)
		}
		l, _ := n.Bind(&benchService{})
		ctx := context.Background()
		if err := l.Claim(ctx, "first"); err != nil {
			b.Fatal(err)
		}
		before := heapInUse()
		b.StartTimer()
		for i := range keys {
			if err := l.Claim(ctx, fmt.Sprint("k", i)); err != nil {
				b.Fatal(err)
			}
		}
		b.StopTimer()
		b.ReportMetric(float64(heapInUse()-before)/keys, "B/key")
		for i := range keys {
			if err := l.Release(ctx, fmt.Sprint("k", i)); err != nil {
				b.Fatal(err)
			}
		}
		if err := n.Close(ctx); err != nil {
			b.Fatal(err)
		}
		nc.Close()
	}
}

func heapInUse() int64 {
	goruntime.GC()
	var m goruntime.MemStats
	goruntime.ReadMemStats(&m)
	return int64(m.HeapInuse)
}
