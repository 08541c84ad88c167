// Package benchload drives natsdispatch's benchmarks: calls from several
// goroutines at once, and one-way messages kept within a window of those
// delivered, so that neither a node nor raw nats.go outruns its subscriber
// into nats.go's slow-consumer drops.
package benchload

import (
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
)

// Window bounds the one-way messages in flight.
const Window = 8192

// Parallel runs op b.N times in all, from callers goroutines, and fails b
// with the first error op returns.
func Parallel(b *testing.B, callers int, op func() error) {
	var next atomic.Int64
	var wg sync.WaitGroup
	var failed atomic.Value
	b.ResetTimer()
	for range callers {
		wg.Go(func() {
			for next.Add(1) <= int64(b.N) {
				if err := op(); err != nil {
					failed.Store(err)
					return
				}
			}
		})
	}
	wg.Wait()
	b.StopTimer()
	if err, _ := failed.Load().(error); err != nil {
		b.Fatal(err)
	}
}

// WaitWindow waits until no more than Window of the sent messages are not
// yet in got.
func WaitWindow(sent int, got *atomic.Int64) {
	for int64(sent)-got.Load() > Window {
		runtime.Gosched()
	}
}

// WaitAll waits until got holds all b.N messages, and stops b's timer.
func WaitAll(b *testing.B, got *atomic.Int64) {
	for got.Load() < int64(b.N) {
		runtime.Gosched()
	}
	b.StopTimer()
}
