package bench_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/dispatchgen/dispatchgen/bench"
	"github.com/dispatchgen/dispatchgen/runtime"
)

// senderCounts are the numbers of goroutines BenchmarkSenders sends with.
var senderCounts = []int{1, 2, 4, 8, 64, 1024}

// BenchmarkSenders measures how the cost of one recipient grows with the
// number of goroutines that send to it: one-way notes (generated against
// chan-buffered, as in BenchmarkOneWay) and synchronous calls
// (generated-sync against chan-pooled, as in BenchmarkRequestReply, each
// sender waiting for its reply before the next call). The sub-benchmarks
// are named implementation/senders=N.
func BenchmarkSenders(b *testing.B) {
	ctx := context.Background()
	for _, senders := range senderCounts {
		b.Run(fmt.Sprintf("%s/senders=%d", implGenerated, senders), func(b *testing.B) {
			ref := newDispatcher(b, 1).To(0)
			benchNotes(b, senders, func(n int) { ref.Note(ctx, n) }, func() (bench.Tally, error) {
				return ref.Tally(ctx)
			})
		})
		b.Run(fmt.Sprintf("%s/senders=%d", implChanBuf, senders), func(b *testing.B) {
			notes, tally := startChanNotes()
			benchNotes(b, senders, func(n int) { notes <- n }, tally)
		})
		b.Run(fmt.Sprintf("%s/senders=%d", implSync, senders), func(b *testing.B) {
			ref := newDispatcher(b, 1).To(0)
			benchParallelCalls(b, senders, func(n int) (bench.Reply, error) { return ref.Echo(ctx, n) })
		})
		b.Run(fmt.Sprintf("%s/senders=%d", implChanPooled, senders), func(b *testing.B) {
			c := startChanRecipients(1)
			defer c.stop()
			benchParallelCalls(b, senders, func(n int) (bench.Reply, error) { return c.echoPooled(0, n) })
		})
	}
}

// startChanNotes starts a goroutine that hands the notes sent on the
// returned channel to a recipient, until tally closes the channel and
// returns the recipient's tally.
func startChanNotes() (chan<- int, func() (bench.Tally, error)) {
	ctx := context.Background()
	r := bench.NewRecipient(0)
	notes := make(chan int, runtime.DefaultMailboxSize)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for n := range notes {
			r.Note(ctx, n)
		}
	}()
	return notes, func() (bench.Tally, error) {
		close(notes)
		<-done
		return r.Tally(ctx)
	}
}

// benchParallelCalls makes calls 0..b.N-1 to recipient 0 with echo, shared
// between senders goroutines, and checks each reply.
func benchParallelCalls(b *testing.B, senders int, echo func(n int) (bench.Reply, error)) {
	b.ReportAllocs()
	b.ResetTimer()
	var wg sync.WaitGroup
	for s := range senders {
		wg.Go(func() {
			for n := s; n < b.N; n += senders {
				r, err := echo(n)
				if err != nil || r != (bench.Reply{By: 0, N: n}) {
					b.Errorf("Echo(%d) = %+v, %v", n, r, err)
					return
				}
			}
		})
	}
	wg.Wait()
	b.StopTimer()
}
