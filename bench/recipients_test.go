package bench_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	goruntime "runtime"
	"testing"

	"github.com/dispatchgen/dispatchgen/bench"
)

// recipientCounts are the numbers of registered recipients
// BenchmarkRecipients calls among.
var recipientCounts = []int{1, 1_000, 100_000, 1_000_000}

// zipfS is the exponent of BenchmarkRecipients' skewed choice of key: with
// 1.1, a few keys take most of the calls, as hot accounts or sessions do.
const zipfS = 1.1

// keyCycle is how many keys each sub-benchmark draws before it starts, and
// cycles through, so that drawing them is not timed.
const keyCycle = 1 << 16

// BenchmarkRecipients measures a synchronous call (context.Background())
// to one of N registered recipients, N from 1 to 1 000 000, the key chosen
// uniformly (generated-uniform) or with a Zipf distribution
// (generated-zipf), and reports the heap the N recipients take
// (bytes/recipient, in generated-uniform). The recipients are registered
// once per N, outside the timed sub-benchmarks, which is what keeps the
// 1 000 000 case affordable: about half a GiB for a second or two.
func BenchmarkRecipients(b *testing.B) {
	for _, n := range recipientCounts {
		d, perRecipient := registerMeasured(b, n)
		refs := refs(d, n)
		uniform := rand.New(rand.NewPCG(1, uint64(n)))
		zipf := rand.NewZipf(rand.New(rand.NewPCG(2, uint64(n))), zipfS, 1, uint64(n-1))
		for _, choice := range []struct {
			name string
			key  func() int
		}{
			{"uniform", func() int { return uniform.IntN(n) }},
			{"zipf", func() int { return int(zipf.Uint64()) }},
		} {
			keys := make([]int, keyCycle)
			for i := range keys {
				keys[i] = choice.key()
			}
			b.Run(fmt.Sprintf("%s-%s/recipients=%d", implGenerated, choice.name, n), func(b *testing.B) {
				ctx := context.Background()
				b.ReportAllocs()
				b.ResetTimer()
				for i := range b.N {
					k := keys[i%keyCycle]
					r, err := refs[k].Echo(ctx, i)
					checkReply(b, r, err, k, i)
				}
				b.StopTimer()
				if choice.name == "uniform" {
					b.ReportMetric(perRecipient, "bytes/recipient")
				}
			})
		}
		if err := d.Close(context.Background()); err != nil {
			b.Fatal(err)
		}
	}
}

// registerMeasured registers n recipients on a new dispatcher and returns
// it with the heap each recipient took, its own state included.
func registerMeasured(b *testing.B, n int) (*bench.EchoerDispatcher, float64) {
	b.Helper()
	before := liveHeap()
	d := bench.NewEchoerDispatcher()
	for k := range n {
		if err := d.Register(k, bench.NewRecipient(k)); err != nil {
			b.Fatal(err)
		}
	}
	after := liveHeap()
	return d, float64(after-before) / float64(n)
}

// liveHeap returns the heap in use after a collection.
func liveHeap() int64 {
	goruntime.GC()
	var m goruntime.MemStats
	goruntime.ReadMemStats(&m)
	return int64(m.HeapAlloc)
}
