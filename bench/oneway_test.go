package bench_test

import (
	"context"
	"sync"
	"testing"

	"github.com/dispatchgen/dispatchgen/bench"
)

// oneWaySenders is how many goroutines send at once in BenchmarkOneWay.
const oneWaySenders = 8

// BenchmarkOneWay measures one-way messages from oneWaySenders goroutines to
// one recipient, per message sent and handled: the timer stops only once the
// recipient has handled them all, which a final synchronous Tally queued
// behind them tells (closing the channel, for chan-buffered). The baseline
// chan-buffered is a goroutine receiving the notes from a channel of the
// same capacity as a mailbox.
func BenchmarkOneWay(b *testing.B) {
	benchOneWay(b, oneWaySenders)
}

// BenchmarkOneWaySingle is BenchmarkOneWay with one sender, whose messages
// never meet another sender's at the mailbox.
func BenchmarkOneWaySingle(b *testing.B) {
	benchOneWay(b, 1)
}

// benchOneWay runs BenchmarkOneWay with senders goroutines.
func benchOneWay(b *testing.B, senders int) {
	ctx := context.Background()
	b.Run(implMutex, func(b *testing.B) {
		l := newLockedRecipients(1)[0]
		benchNotes(b, senders, func(n int) { l.Note(ctx, n) }, func() (bench.Tally, error) {
			return l.Tally(ctx)
		})
	})
	b.Run(implGenerated, func(b *testing.B) {
		ref := newDispatcher(b, 1).To(0)
		benchNotes(b, senders, func(n int) { ref.Note(ctx, n) }, func() (bench.Tally, error) {
			return ref.Tally(ctx)
		})
	})
	b.Run(implChanBuf, func(b *testing.B) {
		notes, tally := startChanNotes()
		benchNotes(b, senders, func(n int) { notes <- n }, tally)
	})
	b.Run(implProtoactor, func(b *testing.B) {
		a := startActors(b, recipients(1))
		benchNotes(b, senders, func(n int) { a.note(0, n) }, func() (bench.Tally, error) {
			return a.tally(0)
		})
	})
}

// benchNotes sends notes 0..b.N-1 with note, shared between senders
// goroutines, then waits for tally, which must come after all of them have
// been handled, and checks it.
func benchNotes(b *testing.B, senders int, note func(n int), tally func() (bench.Tally, error)) {
	b.ReportAllocs()
	b.ResetTimer()
	var wg sync.WaitGroup
	for s := range senders {
		wg.Go(func() {
			for n := s; n < b.N; n += senders {
				note(n)
			}
		})
	}
	wg.Wait()
	t, err := tally()
	b.StopTimer()
	if want := (bench.Tally{Notes: b.N, Sum: b.N * (b.N - 1) / 2}); err != nil || t != want {
		b.Fatalf("after %d notes, tally = %+v, %v; want %+v", b.N, t, err, want)
	}
}
