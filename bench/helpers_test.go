package bench_test

// The benchmarks of this package each compare implementations of the same
// work as sub-benchmarks named after the implementation, so that the report
// (cmd/report) can pair them: BenchmarkRequestReply/generated against
// BenchmarkRequestReply/chan-pooled, and so on. The names it pairs are the
// constants below.

import (
	"context"
	"testing"

	"github.com/dispatchgen/dispatchgen/bench"
	"github.com/dispatchgen/dispatchgen/runtime"
)

// The implementations compared, as named in the sub-benchmarks.
const (
	implMutex     = "mutex"               // a direct call under a sync.Mutex: the floor
	implGenerated = "generated"           // the generated dispatcher, context.Background()
	implCancelCtx = "generated-cancelctx" // the same with a context that can be canceled
	implAsync     = "generated-async"     // a Future, awaited at once
	implSync      = "generated-sync"      // synchronous calls, where one-way is the default
	// a new deadline context per call, and a Future under a deadline context
	implDeadlinePerCall = "generated-deadline-percall"
	implAsyncCancelCtx  = "generated-async-cancelctx"
	implDedicated       = "generated-dedicated" // cancelable context, recipient WithDedicatedGoroutine
	implChanPerCall     = "chan-percall"        // a goroutine per recipient, reply channel per call
	implChanPooled      = "chan-pooled"         // the same, reply channel from a sync.Pool
	// chan-pooled whose caller selects on ctx.Done() and whose server checks
	// the request's context; the same with a new deadline context per call
	implChanCtxSelect  = "chan-ctxselect"
	implChanCtxPerCall = "chan-ctxselect-percall"
	// chan-percall whose caller selects on ctx.Done() and whose server
	// checks the request's context: the hand-written equivalent of a Future
	// awaited with the context that can be canceled it was made with
	implChanPerCallCancelCtx = "chan-percall-cancelctx"
	implChanBuf              = "chan-buffered"       // a goroutine receiving from a buffered channel
	implChanBlocked          = "chan-blocked"        // a goroutine blocked on its channel until called
	implProtoactor           = "protoactor"          // a protoactor-go actor, default mailbox
	implGoroutine            = "goroutine"           // a goroutine parked on a channel
	implPutBack              = "sharedqueue-putback" // workers sharing one channel, putting back what is not theirs
	implDiscard              = "sharedqueue-discard" // the same, dropping what is not theirs
)

// echoFunc makes one synchronous Echo call to the recipient under key k.
type echoFunc func(k, n int) (bench.Reply, error)

// checkReply fails the benchmark unless r is the reply of recipient k to a
// call with argument n.
func checkReply(b *testing.B, r bench.Reply, err error, k, n int) {
	if err != nil || r != (bench.Reply{By: k, N: n}) {
		b.Fatalf("Echo(%d) to %d = %+v, %v", n, k, r, err)
	}
}

// newDispatcher registers a Recipient under each key 0..n-1 of a new
// dispatcher, with opts, and closes the dispatcher when the benchmark ends.
func newDispatcher(b *testing.B, n int, opts ...runtime.Option) *bench.EchoerDispatcher {
	b.Helper()
	d := bench.NewEchoerDispatcher(opts...)
	for k := range n {
		if err := d.Register(k, bench.NewRecipient(k)); err != nil {
			b.Fatal(err)
		}
	}
	b.Cleanup(func() {
		if err := d.Close(context.Background()); err != nil {
			b.Error(err)
		}
	})
	return d
}

// refs returns a Ref to each of the n recipients of d.
func refs(d *bench.EchoerDispatcher, n int) []bench.EchoerRef {
	rs := make([]bench.EchoerRef, n)
	for k := range rs {
		rs[k] = d.To(k)
	}
	return rs
}

// recipients returns n new recipients, keys 0..n-1.
func recipients(n int) []*bench.Recipient {
	rs := make([]*bench.Recipient, n)
	for k := range rs {
		rs[k] = bench.NewRecipient(k)
	}
	return rs
}
