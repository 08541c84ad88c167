package bench_test

import (
	"context"
	"testing"
	"time"

	"github.com/dispatchgen/dispatchgen/bench"
)

// BenchmarkRequestReply measures a synchronous call, one caller to one
// recipient. With context.Background() (generated) a caller that finds the
// recipient idle runs the call itself; with a context that can be canceled
// (generated-cancelctx) the call goes through the mailbox to a goroutine of
// the recipient's own. That context has a deadline, as a request's has, and
// is reused across calls as a handler making several calls would;
// generated-deadline-percall gives each call a deadline of its own.
// generated-async is a Future awaited at once, under context.Background()
// or (generated-async-cancelctx) the reused deadline context. The
// hand-written recipients answer on a reply channel made per call
// (chan-percall) or taken from a sync.Pool (chan-pooled); chan-ctxselect
// is the like-for-like baseline of a cancelable call: its caller also
// selects on ctx.Done() and its server checks the request's context, under
// the reused deadline context or (chan-ctxselect-percall) one per call.
// protoactor is RequestFuture to an actor.
func BenchmarkRequestReply(b *testing.B) {
	b.Run(implMutex, func(b *testing.B) {
		l := newLockedRecipients(1)[0]
		benchCalls(b, func(_, n int) (bench.Reply, error) {
			return l.Echo(context.Background(), n)
		})
	})
	b.Run(implGenerated, func(b *testing.B) {
		ref := newDispatcher(b, 1).To(0)
		benchCalls(b, func(_, n int) (bench.Reply, error) {
			return ref.Echo(context.Background(), n)
		})
	})
	b.Run(implCancelCtx, func(b *testing.B) {
		ctx, cancel := context.WithTimeout(context.Background(), requestTimeout)
		defer cancel()
		ref := newDispatcher(b, 1).To(0)
		benchCalls(b, func(_, n int) (bench.Reply, error) {
			return ref.Echo(ctx, n)
		})
	})
	b.Run(implDeadlinePerCall, func(b *testing.B) {
		ref := newDispatcher(b, 1).To(0)
		benchCalls(b, func(_, n int) (bench.Reply, error) {
			ctx, cancel := context.WithTimeout(context.Background(), requestTimeout)
			defer cancel()
			return ref.Echo(ctx, n)
		})
	})
	b.Run(implAsync, func(b *testing.B) {
		ctx := context.Background()
		ref := newDispatcher(b, 1).To(0)
		benchCalls(b, func(_, n int) (bench.Reply, error) {
			return ref.EchoAsync(ctx, n).Await(ctx)
		})
	})
	b.Run(implAsyncCancelCtx, func(b *testing.B) {
		ctx, cancel := context.WithTimeout(context.Background(), requestTimeout)
		defer cancel()
		ref := newDispatcher(b, 1).To(0)
		benchCalls(b, func(_, n int) (bench.Reply, error) {
			return ref.EchoAsync(ctx, n).Await(ctx)
		})
	})
	b.Run(implChanPerCall, func(b *testing.B) {
		c := startChanRecipients(1)
		defer c.stop()
		benchCalls(b, c.echoPerCall)
	})
	b.Run(implChanPooled, func(b *testing.B) {
		c := startChanRecipients(1)
		defer c.stop()
		benchCalls(b, c.echoPooled)
	})
	b.Run(implChanCtxSelect, func(b *testing.B) {
		ctx, cancel := context.WithTimeout(context.Background(), requestTimeout)
		defer cancel()
		c := startCtxRecipients(1)
		defer c.stop()
		benchCalls(b, func(k, n int) (bench.Reply, error) {
			return c.echo(ctx, k, n)
		})
	})
	b.Run(implChanPerCallCancelCtx, func(b *testing.B) {
		ctx, cancel := context.WithTimeout(context.Background(), requestTimeout)
		defer cancel()
		c := startCtxRecipients(1)
		defer c.stop()
		benchCalls(b, func(k, n int) (bench.Reply, error) {
			return c.echoPerCall(ctx, k, n)
		})
	})
	b.Run(implChanCtxPerCall, func(b *testing.B) {
		c := startCtxRecipients(1)
		defer c.stop()
		benchCalls(b, func(k, n int) (bench.Reply, error) {
			ctx, cancel := context.WithTimeout(context.Background(), requestTimeout)
			defer cancel()
			return c.echo(ctx, k, n)
		})
	})
	b.Run(implProtoactor, func(b *testing.B) {
		a := startActors(b, recipients(1))
		benchCalls(b, a.echo)
	})
}

// requestTimeout is the deadline of the benchmarks' request contexts: far
// enough that no call reaches it, so that they measure a deadline's cost
// and not its firing.
const requestTimeout = time.Hour

// benchCalls makes b.N calls to recipient 0 with echo and checks each reply.
// The timer stops with the last reply, before the recipient is stopped.
func benchCalls(b *testing.B, echo echoFunc) {
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		r, err := echo(0, i)
		checkReply(b, r, err, 0, i)
	}
	b.StopTimer()
}
