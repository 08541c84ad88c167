package bench_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/dispatchgen/dispatchgen/bench"
	"github.com/dispatchgen/dispatchgen/runtime"
)

// wakePause is how long BenchmarkWake asks to leave its recipient idle before
// each call: long enough for a goroutine waiting for work to park, and for
// the processor it ran on to go idle. time.Sleep may sleep longer (about a
// millisecond on an idle Linux machine): the benchmark reports the pauses'
// median as pause-ns.
const wakePause = 50 * time.Microsecond

// BenchmarkWake measures the latency of a synchronous call to a recipient
// left idle since the previous one, each op a pause then a call: the
// generated dispatcher (with context.Background(), the caller runs the call
// itself; with a context that can be canceled, or as a Future, a goroutine
// is started for it, unless the recipient keeps one parked by option)
// against a goroutine blocked on its request channel
// (chan-blocked), the same whose caller also selects on a cancelable
// context (chan-ctxselect), and a protoactor actor. It reports the median and 99th
// percentile latency as p50-ns and p99-ns, and as ns/op their mean: the
// pauses are inside the timer, so that b.N stays in step with the wall
// clock, but outside every figure reported.
func BenchmarkWake(b *testing.B) {
	b.Run(implGenerated, func(b *testing.B) {
		ctx := context.Background()
		ref := newDispatcher(b, 1).To(0)
		benchWake(b, func(_, n int) (bench.Reply, error) {
			return ref.Echo(ctx, n)
		})
	})
	// A context that can be canceled, with and without a goroutine parked
	// for the recipient.
	for _, c := range []struct {
		impl string
		opts []runtime.Option
	}{
		{implCancelCtx, nil},
		{implDedicated, []runtime.Option{runtime.WithDedicatedGoroutine()}},
	} {
		b.Run(c.impl, func(b *testing.B) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			ref := newDispatcher(b, 1, c.opts...).To(0)
			benchWake(b, func(_, n int) (bench.Reply, error) {
				return ref.Echo(ctx, n)
			})
		})
	}
	b.Run(implAsync, func(b *testing.B) {
		ctx := context.Background()
		ref := newDispatcher(b, 1).To(0)
		benchWake(b, func(_, n int) (bench.Reply, error) {
			return ref.EchoAsync(ctx, n).Await(ctx)
		})
	})
	b.Run(implChanBlocked, func(b *testing.B) {
		c := startChanRecipients(1)
		defer c.stop()
		benchWake(b, c.echoPooled)
	})
	// A hand-written request/reply that honors a context that can be
	// canceled, as generated-cancelctx does: the cost of the select alone.
	b.Run(implChanCtxSelect, func(b *testing.B) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		c := startCtxRecipients(1)
		defer c.stop()
		benchWake(b, func(k, n int) (bench.Reply, error) { return c.echo(ctx, k, n) })
	})
	b.Run(implProtoactor, func(b *testing.B) {
		a := startActors(b, recipients(1))
		benchWake(b, a.echo)
	})
}

// benchWake makes b.N calls to recipient 0 with echo, each after wakePause,
// checks each reply, and reports the calls' latency.
func benchWake(b *testing.B, echo echoFunc) {
	lat := make([]time.Duration, b.N)
	pauses := make([]time.Duration, b.N)
	b.ReportAllocs()
	b.ResetTimer()
	for n := range b.N {
		paused := time.Now()
		time.Sleep(wakePause)
		start := time.Now()
		pauses[n] = start.Sub(paused)
		r, err := echo(0, n)
		lat[n] = time.Since(start)
		checkReply(b, r, err, 0, n)
	}
	b.StopTimer()
	var sum time.Duration
	for _, d := range lat {
		sum += d
	}
	slices.Sort(lat)
	b.ReportMetric(float64(sum)/float64(b.N), "ns/op")
	b.ReportMetric(float64(percentile(lat, 50)), "p50-ns")
	b.ReportMetric(float64(percentile(lat, 99)), "p99-ns")
	slices.Sort(pauses)
	b.ReportMetric(float64(percentile(pauses, 50)), "pause-ns")
}

// percentile returns the p-th percentile of sorted, by the nearest rank.
func percentile(sorted []time.Duration, p int) time.Duration {
	rank := (p*len(sorted) + 99) / 100 // ⌈p/100 × len⌉
	return sorted[max(rank, 1)-1]
}
