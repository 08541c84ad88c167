package runtime_test

// The benchmarks of this file compare the router with the hand-written
// channel code it replaces, in the same run, so that the figures read as
// ratios: BenchmarkCall/router against BenchmarkCall/chan-pooled, and so on.
// The router side goes through the as-generated WorkerDispatcher; the
// channel side does the same work on the same kind of Worker, with nothing
// else: no cancellation, no panic isolation, no deadlock detection.
//
// Run them with
//
//	go test -run '^$' -bench . -benchmem -count 5 ./runtime

import (
	"context"
	goruntime "runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dispatchgen/dispatchgen/runtime"
)

// benchWorker is the Worker of the benchmarks. Unlike testWorker it keeps no
// state that grows with the calls, so that the benchmarks measure delivery,
// and the channel baselines run the very same methods.
type benchWorker struct {
	name string
	seen int // calls handled
}

func (w *benchWorker) Do(_ context.Context, job Job) (Reply, error) {
	r := Reply{By: w.name, Job: job, Seen: w.seen}
	w.seen++
	return r, nil
}

func (w *benchWorker) Pair(_ context.Context, a, b int) (int, string, error) {
	w.seen++
	return a + b, w.name, nil
}

func (w *benchWorker) Ping(context.Context) error {
	w.seen++
	return nil
}

func (w *benchWorker) Tell(context.Context, string) {
	w.seen++
}

// benchRouter registers a benchWorker under each of names in a new
// dispatcher, and closes the dispatcher when the benchmark ends.
func benchRouter(b *testing.B, names ...string) (*WorkerDispatcher, []*benchWorker) {
	b.Helper()
	d := NewWorkerDispatcher()
	ws := make([]*benchWorker, len(names))
	for i, name := range names {
		ws[i] = &benchWorker{name: name}
		if err := d.Register(name, ws[i]); err != nil {
			b.Fatal(err)
		}
	}
	b.Cleanup(func() {
		if err := d.Close(context.Background()); err != nil {
			b.Error(err)
		}
	})
	return d, ws
}

// checkReply fails the benchmark unless r is the reply of the recipient
// named by to a job with sequence number seq.
func checkReply(b *testing.B, r Reply, err error, by string, seq int) {
	if err != nil || r.By != by || r.Job.Seq != seq {
		b.Fatalf("Do(Seq %d) to %s = %+v, %v", seq, by, r, err)
	}
}

// benchResult is what a channel baseline's worker answers: Do's results.
type benchResult struct {
	reply Reply
	err   error
}

// benchRequest is a channel baseline's request: a Job and the channel to
// answer on.
type benchRequest struct {
	job   Job
	reply chan benchResult
}

// benchChanWorker is the hand-written equivalent of a registered recipient:
// a goroutine of its own that reads requests from a channel as large as a
// mailbox and answers each on the channel the request carries.
type benchChanWorker struct {
	reqs chan benchRequest
	done chan struct{}
}

// startBenchChanWorker starts serving w, until stop.
func startBenchChanWorker(w Worker) *benchChanWorker {
	cw := &benchChanWorker{
		reqs: make(chan benchRequest, runtime.DefaultMailboxSize),
		done: make(chan struct{}),
	}
	go func() {
		defer close(cw.done)
		ctx := context.Background()
		for req := range cw.reqs {
			r, err := w.Do(ctx, req.job)
			req.reply <- benchResult{r, err}
		}
	}()
	return cw
}

// stop ends the worker's goroutine and waits for it.
func (cw *benchChanWorker) stop() {
	close(cw.reqs)
	<-cw.done
}

// doPerCall calls Do with a reply channel made for the call.
func (cw *benchChanWorker) doPerCall(job Job) (Reply, error) {
	reply := make(chan benchResult, 1)
	cw.reqs <- benchRequest{job, reply}
	res := <-reply
	return res.reply, res.err
}

// benchReplyPool holds the reply channels of doPooled.
var benchReplyPool = sync.Pool{New: func() any { return make(chan benchResult, 1) }}

// doPooled calls Do with a reply channel taken from a sync.Pool.
func (cw *benchChanWorker) doPooled(job Job) (Reply, error) {
	reply := benchReplyPool.Get().(chan benchResult)
	cw.reqs <- benchRequest{job, reply}
	res := <-reply
	benchReplyPool.Put(reply)
	return res.reply, res.err
}

// BenchmarkCall measures a synchronous call, one caller to one recipient,
// through the router against a worker goroutine that answers on a reply
// channel made per call (chan-percall) or taken from a sync.Pool
// (chan-pooled). With context.Background() (router) the caller finds the
// recipient idle and runs the call itself; with a context that can be
// canceled (router-cancelctx) the call goes through the mailbox to a
// goroutine of the recipient's own, started for it, and the method's context
// costs an allocation.
func BenchmarkCall(b *testing.B) {
	b.Run("router", func(b *testing.B) {
		benchRouterCall(b, context.Background())
	})
	b.Run("router-cancelctx", func(b *testing.B) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		benchRouterCall(b, ctx)
	})
	b.Run("chan-percall", func(b *testing.B) {
		benchChanCall(b, (*benchChanWorker).doPerCall)
	})
	b.Run("chan-pooled", func(b *testing.B) {
		benchChanCall(b, (*benchChanWorker).doPooled)
	})
}

func benchRouterCall(b *testing.B, ctx context.Context) {
	d, _ := benchRouter(b, "w")
	ref := d.To("w")
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		r, err := ref.Do(ctx, Job{From: "bench", Seq: i})
		checkReply(b, r, err, "w", i)
	}
}

func benchChanCall(b *testing.B, do func(*benchChanWorker, Job) (Reply, error)) {
	cw := startBenchChanWorker(&benchWorker{name: "w"})
	defer cw.stop()
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		r, err := do(cw, Job{From: "bench", Seq: i})
		checkReply(b, r, err, "w", i)
	}
}

// BenchmarkCallParallel measures synchronous calls from several goroutines
// (b.SetParallelism(benchParallelism) per processor) to benchRecipients
// recipients, each goroutine calling one of them, through the router against
// hand-written per-recipient worker goroutines with pooled reply channels.
// Two goroutines or more share each recipient, so that calls also wait in
// mailboxes rather than only run inline.
func BenchmarkCallParallel(b *testing.B) {
	names := make([]string, benchRecipients)
	for i := range names {
		names[i] = "w" + strconv.Itoa(i)
	}
	b.Run("router", func(b *testing.B) {
		d, _ := benchRouter(b, names...)
		refs := make([]WorkerRef, len(names))
		for i, name := range names {
			refs[i] = d.To(name)
		}
		benchParallel(b, func(k int, job Job) (Reply, error) {
			return refs[k].Do(context.Background(), job)
		}, names)
	})
	b.Run("chan-pooled", func(b *testing.B) {
		cws := make([]*benchChanWorker, len(names))
		for i, name := range names {
			cws[i] = startBenchChanWorker(&benchWorker{name: name})
			defer cws[i].stop()
		}
		benchParallel(b, func(k int, job Job) (Reply, error) {
			return cws[k].doPooled(job)
		}, names)
	})
}

// benchRecipients and benchParallelism shape BenchmarkCallParallel.
const (
	benchRecipients  = 4
	benchParallelism = 4
)

// benchParallel runs do from parallel goroutines, the i-th of them calling
// recipient i % len(names), and checks every reply.
func benchParallel(b *testing.B, do func(k int, job Job) (Reply, error), names []string) {
	var next atomic.Int64
	b.SetParallelism(benchParallelism)
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		k := int(next.Add(1)-1) % len(names)
		for seq := 0; pb.Next(); seq++ {
			r, err := do(k, Job{From: "bench", Seq: seq})
			if err != nil || r.By != names[k] || r.Job.Seq != seq {
				b.Errorf("Do(Seq %d) to %s = %+v, %v", seq, names[k], r, err)
				return
			}
		}
	})
}

// BenchmarkAsync measures an asynchronous call followed at once by the wait
// for its result: a Future through the router, made with
// context.Background() (router) or with a context that can be canceled
// (router-cancelctx), which arranges for the call to fail if it ends, against
// a request to a worker goroutine that carries a reply channel made for the
// call, which is what a hand-written future is. In router-cold the calls go
// round benchColdRecipients recipients, so that each finds its recipient
// idle, its goroutine ended, as a recipient that is called now and then
// does: each call starts a goroutine.
func BenchmarkAsync(b *testing.B) {
	b.Run("router", func(b *testing.B) {
		benchRouterAsync(b, context.Background())
	})
	b.Run("router-cold", func(b *testing.B) {
		ctx := context.Background()
		names := make([]string, benchColdRecipients)
		for i := range names {
			names[i] = "w" + strconv.Itoa(i)
		}
		d, _ := benchRouter(b, names...)
		refs := make([]WorkerRef, len(names))
		for i, name := range names {
			refs[i] = d.To(name)
		}
		b.ReportAllocs()
		b.ResetTimer()
		for i := range b.N {
			k := i % len(refs)
			r, err := refs[k].DoAsync(ctx, Job{From: "bench", Seq: i}).Await(ctx)
			checkReply(b, r, err, names[k], i)
		}
	})
	b.Run("router-cancelctx", func(b *testing.B) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		benchRouterAsync(b, ctx)
	})
	b.Run("chan-percall", func(b *testing.B) {
		benchChanCall(b, (*benchChanWorker).doPerCall)
	})
}

// benchColdRecipients is how many recipients BenchmarkAsync/router-cold
// calls in turn.
const benchColdRecipients = 64

func benchRouterAsync(b *testing.B, ctx context.Context) {
	d, _ := benchRouter(b, "w")
	ref := d.To("w")
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		f := ref.DoAsync(ctx, Job{From: "bench", Seq: i})
		r, err := f.Await(ctx)
		checkReply(b, r, err, "w", i)
	}
}

// BenchmarkSend measures one-way messages from one sender to one recipient,
// per message sent and handled: the timer stops only once the recipient has
// handled them all. The router's recipient is compared with a goroutine
// receiving from a channel of the same capacity as its mailbox, the note
// itself (chan) or, as the router does, a message taken from a sync.Pool
// and given back once handled (chan-pooledmsg), which tells the cost of the
// pool from that of the mailbox.
func BenchmarkSend(b *testing.B) {
	ctx := context.Background()
	b.Run("router", func(b *testing.B) {
		d, ws := benchRouter(b, "w")
		ref := d.To("w")
		b.ReportAllocs()
		b.ResetTimer()
		for range b.N {
			ref.Tell(ctx, "note")
		}
		// The Ping is queued behind every Tell: once it returns, all of
		// them have been handled.
		if err := ref.Ping(ctx); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		if got := ws[0].seen; got != b.N+1 {
			b.Fatalf("recipient handled %d messages, want %d", got, b.N+1)
		}
	})
	b.Run("chan", func(b *testing.B) {
		w := &benchWorker{name: "w"}
		notes := make(chan string, runtime.DefaultMailboxSize)
		done := make(chan struct{})
		go func() {
			defer close(done)
			for note := range notes {
				w.Tell(ctx, note)
			}
		}()
		b.ReportAllocs()
		b.ResetTimer()
		for range b.N {
			notes <- "note"
		}
		close(notes)
		<-done
		b.StopTimer()
		if w.seen != b.N {
			b.Fatalf("receiver handled %d messages, want %d", w.seen, b.N)
		}
	})
	b.Run("chan-pooledmsg", func(b *testing.B) {
		w := &benchWorker{name: "w"}
		msgs := make(chan *benchNote, runtime.DefaultMailboxSize)
		done := make(chan struct{})
		go func() {
			defer close(done)
			for m := range msgs {
				w.Tell(ctx, m.note)
				*m = benchNote{}
				benchNotePool.Put(m)
			}
		}()
		b.ReportAllocs()
		b.ResetTimer()
		for range b.N {
			m := benchNotePool.Get().(*benchNote)
			m.note = "note"
			msgs <- m
		}
		close(msgs)
		<-done
		b.StopTimer()
		if w.seen != b.N {
			b.Fatalf("receiver handled %d messages, want %d", w.seen, b.N)
		}
	})
}

// benchNote is the message of BenchmarkSend/chan-pooledmsg, pooled as the
// router's messages are.
type benchNote struct {
	note string
}

// benchNotePool holds the messages of BenchmarkSend/chan-pooledmsg.
var benchNotePool = sync.Pool{New: func() any { return new(benchNote) }}

// benchIdle is how many recipients, or goroutines, BenchmarkIdleRecipient
// keeps at once.
const benchIdle = 100_000

// BenchmarkIdleRecipient measures the memory that an idle registered
// recipient holds, with benchIdle of them registered (router), the same with
// WithDedicatedGoroutine once each has handled a message (router-dedicated),
// and for comparison the memory of a goroutine parked on a channel, which is what a hand-written
// recipient holds while it waits. Each op registers, or starts, benchIdle of
// them; the metric bytes/recipient is live heap plus goroutine stacks, after
// a collection, divided by their number. Keys and implementations are made
// before measuring: they are the user's, not the router's. A new goroutine's
// stack starts at the average stack use the collector last saw
// (GODEBUG=adaptivestackstart), so the goroutine figure depends on what the
// process ran before: 2 KiB of stack in a fresh process, more after
// benchmarks whose goroutines used more.
func BenchmarkIdleRecipient(b *testing.B) {
	b.Run("router", func(b *testing.B) { benchIdleRouter(b) })
	// With a goroutine each, parked once it has handled a first message.
	b.Run("router-dedicated", func(b *testing.B) { benchIdleRouter(b, runtime.WithDedicatedGoroutine()) })
	b.Run("goroutine", func(b *testing.B) {
		heap := benchGoroutineHeap()
		var bytes float64
		b.ResetTimer()
		for range b.N {
			b.StopTimer()
			before := benchMem()
			b.StartTimer()
			stop := benchParked(benchIdle)
			b.StopTimer()
			after := benchMem()
			stop()
			// The runtime never frees a goroutine's descriptor: these
			// goroutines reuse those of the first benchIdle, whose heap
			// cost benchGoroutineHeap measured.
			bytes += float64(after.stack) - float64(before.stack) + heap*benchIdle
			b.StartTimer()
		}
		b.ReportMetric(bytes/float64(b.N)/benchIdle, "bytes/recipient")
	})
}

// benchIdleRouter measures benchIdle idle recipients registered with opts;
// if they keep a goroutine, once each has handled a message and parked.
func benchIdleRouter(b *testing.B, opts ...runtime.RecipientOption) {
	keys := make([]string, benchIdle)
	impls := make([]benchWorker, benchIdle)
	for i := range keys {
		keys[i] = "w" + strconv.Itoa(i)
		impls[i].name = keys[i]
	}
	// A context that can end makes the call go through the mailbox, and so
	// start the recipient's goroutine.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var bytes float64
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		d := NewWorkerDispatcher()
		goroutines := goruntime.NumGoroutine()
		before := benchMem()
		b.StartTimer()
		for i, key := range keys {
			if err := d.Register(key, &impls[i], opts...); err != nil {
				b.Fatal(err)
			}
			if len(opts) > 0 {
				if err := d.To(key).Ping(ctx); err != nil {
					b.Fatal(err)
				}
			}
		}
		b.StopTimer()
		if len(opts) > 0 {
			time.Sleep(10 * time.Millisecond) // for the last ones to park
			if n := goruntime.NumGoroutine() - goroutines; n < benchIdle {
				b.Fatalf("%d goroutines kept, want one per recipient, %d", n, benchIdle)
			}
		}
		after := benchMem()
		bytes += float64(after.heap+after.stack) - float64(before.heap+before.stack)
		if n := len(d.Keys()); n != benchIdle {
			b.Fatalf("%d recipients registered, want %d", n, benchIdle)
		}
		if err := d.Close(context.Background()); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
	b.ReportMetric(bytes/float64(b.N)/benchIdle, "bytes/recipient")
}

// benchParked starts n goroutines parked on a channel receive, and returns
// once they all run; the function it returns ends them and waits for them.
func benchParked(n int) (stop func()) {
	release := make(chan struct{})
	var started, ended sync.WaitGroup
	started.Add(n)
	ended.Add(n)
	for range n {
		go func() {
			defer ended.Done()
			started.Done()
			<-release
		}()
	}
	started.Wait()
	return func() {
		close(release)
		ended.Wait()
	}
}

var (
	benchGoroutineOnce  sync.Once
	benchGoroutineBytes float64
)

// benchGoroutineHeap returns the heap bytes per goroutine of the first
// benchIdle parked goroutines of the process, measured once: descriptor,
// wait record and closure.
func benchGoroutineHeap() float64 {
	benchGoroutineOnce.Do(func() {
		before := benchMem()
		stop := benchParked(benchIdle)
		after := benchMem()
		stop()
		benchGoroutineBytes = (float64(after.heap) - float64(before.heap)) / benchIdle
	})
	return benchGoroutineBytes
}

// benchMemStats is the memory in use after a collection.
type benchMemStats struct {
	heap  uint64 // live heap objects
	stack uint64 // goroutine stacks
}

// benchMem collects garbage and returns the memory in use.
func benchMem() benchMemStats {
	goruntime.GC()
	goruntime.GC()
	var m goruntime.MemStats
	goruntime.ReadMemStats(&m)
	return benchMemStats{heap: m.HeapAlloc, stack: m.StackInuse}
}
