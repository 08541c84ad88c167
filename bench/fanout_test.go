package bench_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dispatchgen/dispatchgen/bench"
)

// The shape of BenchmarkFanOut: fanOutRecipients recipients, called from
// fanOutParallelism goroutines per processor, so that callers outnumber
// processors and calls also wait in mailboxes rather than only run inline.
const (
	fanOutRecipients  = 64
	fanOutParallelism = 4
)

// BenchmarkFanOut measures synchronous calls from parallel goroutines to
// fanOutRecipients recipients, each goroutine calling them in turn: the
// generated dispatcher against hand-written per-recipient goroutines with
// pooled reply channels (chan-pooled), protoactor actors, a mutex per
// recipient, and the shared queue that dispatchgen replaces, where
// fanOutRecipients workers read one channel (see sharedQueue). ns/op is the
// inverse of throughput.
func BenchmarkFanOut(b *testing.B) {
	ctx := context.Background()
	b.Run(implMutex, func(b *testing.B) {
		ls := newLockedRecipients(fanOutRecipients)
		benchFanOut(b, func(k, n int) (bench.Reply, error) {
			return ls[k].Echo(ctx, n)
		})
	})
	b.Run(implGenerated, func(b *testing.B) {
		rs := refs(newDispatcher(b, fanOutRecipients), fanOutRecipients)
		benchFanOut(b, func(k, n int) (bench.Reply, error) {
			return rs[k].Echo(ctx, n)
		})
	})
	b.Run(implChanPooled, func(b *testing.B) {
		c := startChanRecipients(fanOutRecipients)
		defer c.stop()
		benchFanOut(b, c.echoPooled)
	})
	b.Run(implProtoactor, func(b *testing.B) {
		a := startActors(b, recipients(fanOutRecipients))
		benchFanOut(b, a.echo)
	})
	for _, putBack := range []bool{true, false} {
		name := implDiscard
		if putBack {
			name = implPutBack
		}
		b.Run(name, func(b *testing.B) {
			benchSharedQueue(b, sharedQueueConfig{
				Workers:  fanOutRecipients,
				PutBack:  putBack,
				Deadline: sharedQueueDeadline,
			})
		})
	}
}

// sharedQueueDeadline is how long a caller of the shared queue waits for its
// reply before it counts the message lost: thousands of times a dispatched
// call. A put-back message would reach its worker after fanOutRecipients
// takes on average, but for the livelock of sharedQueue; a discarded
// message never does, so the discard variant's ns/op is mostly this
// deadline, shared between the callers, and tells nothing but that.
const sharedQueueDeadline = time.Millisecond

// benchFanOut calls echo from parallel goroutines, each calling the
// recipients in turn from its own starting point, and checks every reply.
func benchFanOut(b *testing.B, echo echoFunc) {
	var next atomic.Int64
	b.SetParallelism(fanOutParallelism)
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		first := int(next.Add(1) - 1)
		for n := 0; pb.Next(); n++ {
			k := (first + n) % fanOutRecipients
			r, err := echo(k, n)
			if err != nil || r != (bench.Reply{By: k, N: n}) {
				b.Errorf("Echo(%d) to %d = %+v, %v", n, k, r, err)
				return
			}
		}
	})
	b.StopTimer()
}

// benchSharedQueue is benchFanOut through a sharedQueue, whose calls may be
// lost: it counts them, and the wrong-worker deliveries, as metrics, and
// checks every reply that does come.
func benchSharedQueue(b *testing.B, cfg sharedQueueConfig) {
	q := startSharedQueue(cfg)
	defer q.stop()
	var next, lost atomic.Int64
	b.SetParallelism(fanOutParallelism)
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		first := int(next.Add(1) - 1)
		deadline := time.NewTimer(cfg.Deadline)
		defer deadline.Stop()
		for n := 0; pb.Next(); n++ {
			k := (first + n) % cfg.Workers
			res, ok := q.echo(k, n, deadline)
			if !ok {
				lost.Add(1)
				continue
			}
			if res.err != nil || res.reply != (bench.Reply{By: k, N: n}) {
				b.Errorf("Echo(%d) to %d = %+v, %v", n, k, res.reply, res.err)
				return
			}
		}
	})
	b.StopTimer()
	b.ReportMetric(float64(q.wrong.Load())/float64(b.N), "wrongworker/op")
	b.ReportMetric(float64(lost.Load())/float64(b.N), "lost/op")
}
