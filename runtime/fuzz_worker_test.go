package runtime_test

import (
	"context"
	"errors"
	"fmt"
	goruntime "runtime"
	"sync/atomic"

	"github.com/dispatchgen/dispatchgen/runtime"
)

// fzImpl is the Worker of the fuzz runs: each method reports to the tracker
// and does what its message's job says. begun is unsynchronized on purpose,
// so that the race detector sees two methods that run at once; running
// counts them, for runs without it.
type fzImpl struct {
	name, key string
	tr        *fzTracker
	d         *WorkerDispatcher
	running   atomic.Int32
	begun     int
	// gone is set once the worker is being stopped, after which its key
	// may name another recipient.
	gone atomic.Bool
}

// Do does what job.From names, and replies with the worker's name, the job
// and how many methods of the worker began before it.
func (w *fzImpl) Do(ctx context.Context, job Job) (Reply, error) {
	seen, err := w.serve(ctx, job.Seq, fzJobOf(job.From), false)
	if err != nil {
		return Reply{}, err
	}
	return Reply{By: w.name, Job: job, Seen: seen}, nil
}

// Pair and Ping complete the interface; the fuzz runs send neither.
func (w *fzImpl) Pair(context.Context, int, int) (int, string, error) { return 0, w.name, nil }

func (w *fzImpl) Ping(context.Context) error { return nil }

// Tell does what note names: a job and the id of its message.
func (w *fzImpl) Tell(ctx context.Context, note string) {
	job, id := fzParseNote(note)
	_, _ = w.serve(ctx, id, job, true)
}

// serve is the body of every method: it counts the methods running at once,
// records the message's start and end, checks the context the method got,
// and does what the job says. seen is how many methods began before it.
func (w *fzImpl) serve(ctx context.Context, id int, job fzJob, oneWay bool) (seen int, err error) {
	if n := w.running.Add(1); n != 1 {
		w.tr.problemf("%s runs %d methods at once", w.name, n)
	}
	seen = w.begun
	w.begun++
	returned := false
	defer func() {
		w.running.Add(-1)
		w.tr.exit(id, returned)
	}()
	gid := ""
	if !oneWay {
		gid = goroutineID()
	}
	sent := w.tr.begin(w.name, id, gid)
	w.checkContext(ctx, id, sent)
	err = w.act(ctx, id, job, oneWay)
	if oneWay {
		// After a hold, too, a one-way message sees no cancellation.
		w.checkContext(ctx, id, sent)
	}
	returned = true
	return seen, err
}

// checkContext checks that the context a method got carries its caller's
// values and, for a one-way message, none of its cancellation.
func (w *fzImpl) checkContext(ctx context.Context, id int, s fzSent) {
	if got, _ := ctx.Value(fzMarkKey{}).(int); s.marked && got != id || !s.marked && got != 0 {
		w.tr.problemf("the method of message #%d sees the mark of #%d in its context (marked %v)", id, got, s.marked)
	}
	switch {
	case s.oneWay:
		_, hasDeadline := ctx.Deadline()
		if ctx.Done() != nil || ctx.Err() != nil || hasDeadline {
			w.tr.problemf("the method of one-way message #%d sees its context's cancellation: Done %v, Err %v, deadline %v",
				id, ctx.Done() != nil, ctx.Err(), hasDeadline)
		}
	case s.canEnd && ctx.Done() == nil:
		w.tr.problemf("the method of call #%d, whose context can end, got a context that cannot", id)
	}
}

// act does what job says.
func (w *fzImpl) act(ctx context.Context, id int, job fzJob, oneWay bool) error {
	switch job {
	case fzFail:
		if !oneWay {
			return errFzJobFailed
		}
	case fzPanic:
		panic(fzBoom)
	case fzPanicNil:
		panic(nil) // by default, recover returns a *runtime.PanicNilError
	case fzGoexit:
		goruntime.Goexit()
	case fzHoldJob, fzStuck:
		gate := w.tr.holdBegan(id)
		if job == fzStuck || oneWay {
			<-gate
			return nil
		}
		select {
		case <-gate:
		case <-ctx.Done():
			return ctx.Err()
		}
	case fzSelf:
		return w.callSelf(ctx, id, oneWay)
	}
	return nil
}

// callSelf waits for its own recipient, which must fail at once with
// ErrDeadlock: a call, or for a one-way message a Flush. The context given is
// canceled, so that neither ever waits should it not fail; once the worker
// is being stopped, its key may name another recipient, which owes it no
// ErrDeadlock.
func (w *fzImpl) callSelf(ctx context.Context, id int, oneWay bool) error {
	c, cancel := context.WithCancel(ctx)
	cancel()
	var err error
	if oneWay {
		err = w.d.Flush(c, w.key)
	} else {
		_, err = w.d.To(w.key).Do(c, Job{From: "inner", Seq: id})
	}
	if errors.Is(err, runtime.ErrDeadlock) || w.gone.Load() {
		return nil
	}
	if oneWay {
		w.tr.problemf("Flush of its own key from one-way message #%d returned %v, want ErrDeadlock", id, err)
		return nil
	}
	return fmt.Errorf("a call to itself returned %v, want ErrDeadlock", err)
}
