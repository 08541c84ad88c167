package bench_test

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/dispatchgen/dispatchgen/bench"
	"github.com/dispatchgen/dispatchgen/runtime"
)

// sharedQueueConfig shapes a sharedQueue.
type sharedQueueConfig struct {
	Workers int // workers reading the queue, keys 0..Workers-1
	// PutBack makes a worker that takes another's message put it back on
	// the queue; otherwise it drops it.
	PutBack bool
	// Deadline is how long a caller waits for its reply, queueing included,
	// before it counts its message lost. It is what keeps the benchmark
	// from hanging on a message that never reaches its worker. The message
	// carries it, and a worker drops a message past it instead of putting it
	// back: messages given up on would otherwise pile up in the queue and
	// make the livelock of sharedQueue worse with every call.
	Deadline time.Duration
}

// sharedMsg is a message of the shared queue: Echo's argument, the worker it
// is addressed to, the channel to answer on and when its caller gives up.
type sharedMsg struct {
	to, n   int
	reply   chan chanResult
	expires time.Time
}

// sharedQueue is the design that dispatchgen replaces: workers that all read
// one channel, as large as a mailbox, each message addressed to one of them.
// A worker that takes a message addressed to another either puts it back,
// and the message goes round until its worker takes it, or drops it, and
// the message is lost. Putting back livelocks on few processors: while the
// queue holds messages the workers that run pass them round among
// themselves without parking, and the parked workers, the addressees among
// them, see none until the running ones are preempted.
type sharedQueue struct {
	cfg   sharedQueueConfig
	msgs  chan sharedMsg
	quit  chan struct{}
	done  sync.WaitGroup
	wrong atomic.Int64 // messages taken by a worker they were not addressed to
}

// startSharedQueue starts the workers of cfg, until stop.
func startSharedQueue(cfg sharedQueueConfig) *sharedQueue {
	q := &sharedQueue{
		cfg:  cfg,
		msgs: make(chan sharedMsg, runtime.DefaultMailboxSize),
		quit: make(chan struct{}),
	}
	for k := range cfg.Workers {
		r := bench.NewRecipient(k)
		q.done.Go(func() { q.work(k, r) })
	}
	return q
}

// work is worker k's loop, until stop.
func (q *sharedQueue) work(k int, r *bench.Recipient) {
	ctx := context.Background()
	for {
		var m sharedMsg
		select {
		case m = <-q.msgs:
		case <-q.quit:
			return
		}
		if m.to == k {
			reply, err := r.Echo(ctx, m.n)
			m.reply <- chanResult{reply, err}
			continue
		}
		q.wrong.Add(1)
		if !q.cfg.PutBack || time.Now().After(m.expires) {
			continue
		}
		select {
		case q.msgs <- m:
		case <-q.quit:
			return
		}
	}
}

// stop ends the workers and waits for them; messages still queued are
// dropped.
func (q *sharedQueue) stop() {
	close(q.quit)
	q.done.Wait()
}

// echo calls Echo on worker k through the queue, and reports false if the
// message is lost: not answered within the configured deadline. deadline is
// the caller's own timer, stopped or expired, reused from call to call so
// that the deadline costs no allocation.
func (q *sharedQueue) echo(k, n int, deadline *time.Timer) (chanResult, bool) {
	// The reply channel is made per call, not pooled: a put-back message
	// can be answered after its caller has given up on it.
	reply := make(chan chanResult, 1)
	expires := time.Now().Add(q.cfg.Deadline)
	deadline.Reset(q.cfg.Deadline)
	select {
	case q.msgs <- sharedMsg{to: k, n: n, reply: reply, expires: expires}:
	case <-deadline.C:
		return chanResult{}, false
	}
	select {
	case res := <-reply:
		deadline.Stop()
		return res, true
	case <-deadline.C:
		return chanResult{}, false
	}
}
