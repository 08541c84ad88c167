package bench_test

import (
	"context"
	"fmt"
	goruntime "runtime"
	"sync"
	"testing"
	"time"

	"github.com/dispatchgen/dispatchgen/bench"
)

// idleRecipients is how many recipients, goroutines or actors
// BenchmarkIdleRecipient keeps at once.
const idleRecipients = 100_000

// BenchmarkIdleRecipient measures the memory that an idle recipient holds,
// with idleRecipients of them registered: the generated dispatcher's, a
// goroutine parked on a channel (what a hand-written recipient holds while
// it waits) and a protoactor actor, spawned and idle. It follows the method
// of the runtime's own BenchmarkIdleRecipient: each op registers, starts or
// spawns idleRecipients of them, and the metric bytes/recipient is live heap
// plus goroutine stacks, after a collection, divided by their number. The
// recipients themselves are made before measuring: they are the user's. A
// new goroutine's stack starts at the average stack use the collector last
// saw (GODEBUG=adaptivestackstart), so the goroutine figure depends on what
// the process ran before.
func BenchmarkIdleRecipient(b *testing.B) {
	rs := recipients(idleRecipients)
	b.Run(implGenerated, func(b *testing.B) {
		benchIdle(b, func() (stop func() error, err error) {
			d := bench.NewEchoerDispatcher()
			for k, r := range rs {
				if err := d.Register(k, r); err != nil {
					return nil, err
				}
			}
			return func() error {
				if n := len(d.Keys()); n != idleRecipients {
					b.Errorf("%d recipients registered, want %d", n, idleRecipients)
				}
				return d.Close(context.Background())
			}, nil
		})
	})
	b.Run(implGoroutine, func(b *testing.B) {
		heap := goroutineHeap()
		var bytes float64
		b.ResetTimer()
		for range b.N {
			b.StopTimer()
			before := readMem()
			b.StartTimer()
			stop := parkGoroutines(idleRecipients)
			b.StopTimer()
			after := readMem()
			stop()
			// The runtime never frees a goroutine's descriptor: these
			// goroutines reuse those of the first idleRecipients, whose
			// heap goroutineHeap measured.
			bytes += float64(after.stack) - float64(before.stack) + heap*idleRecipients
			b.StartTimer()
		}
		b.ReportMetric(bytes/float64(b.N)/idleRecipients, "bytes/recipient")
	})
	b.Run(implProtoactor, func(b *testing.B) {
		benchIdle(b, func() (stop func() error, err error) {
			a := newActors(idleRecipients)
			if err := a.spawn(rs); err != nil {
				return nil, err
			}
			return a.stop, nil
		})
	})
}

// benchIdle measures the memory that start holds once the goroutines it
// started have ended, per idleRecipients, as the metric bytes/recipient;
// start's stop is called outside the timer and measurement.
func benchIdle(b *testing.B, start func() (stop func() error, err error)) {
	var bytes float64
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		goroutines := goruntime.NumGoroutine()
		before := readMem()
		b.StartTimer()
		stop, err := start()
		if err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		if err := settle(goroutines); err != nil {
			b.Fatal(err)
		}
		after := readMem()
		bytes += float64(after.heap+after.stack) - float64(before.heap+before.stack)
		if err := stop(); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
	b.ReportMetric(bytes/float64(b.N)/idleRecipients, "bytes/recipient")
}

// settleTimeout bounds how long settle waits.
const settleTimeout = 30 * time.Second

// settle waits until no more than n goroutines run: protoactor starts one
// per spawned actor, to handle its Started message, and an idle recipient
// is measured once that has ended.
func settle(n int) error {
	deadline := time.Now().Add(settleTimeout)
	for goruntime.NumGoroutine() > n {
		if time.Now().After(deadline) {
			return fmt.Errorf("%d goroutines still run after %v, want at most %d",
				goruntime.NumGoroutine(), settleTimeout, n)
		}
		time.Sleep(time.Millisecond)
	}
	return nil
}

// parkGoroutines starts n goroutines parked on a channel receive, and
// returns once they all run; the function it returns ends them and waits
// for them.
func parkGoroutines(n int) (stop func()) {
	release := make(chan struct{})
	var started, ended sync.WaitGroup
	started.Add(n)
	for range n {
		ended.Go(func() {
			started.Done()
			<-release
		})
	}
	started.Wait()
	return func() {
		close(release)
		ended.Wait()
	}
}

// goroutineHeap returns the heap bytes per goroutine of the first
// idleRecipients parked goroutines of the process (descriptor, wait record
// and closure), measured once since later goroutines reuse those
// descriptors.
var goroutineHeap = sync.OnceValue(func() float64 {
	before := readMem()
	stop := parkGoroutines(idleRecipients)
	after := readMem()
	stop()
	return (float64(after.heap) - float64(before.heap)) / idleRecipients
})

// memStats is the memory in use after a collection.
type memStats struct {
	heap  uint64 // live heap objects
	stack uint64 // goroutine stacks
}

// readMem collects garbage and returns the memory in use; twice, so that
// what finalizers or cleanups of the first collection let go is gone too.
func readMem() memStats {
	goruntime.GC()
	goruntime.GC()
	var m goruntime.MemStats
	goruntime.ReadMemStats(&m)
	return memStats{heap: m.HeapAlloc, stack: m.StackInuse}
}
