package bench_test

import (
	"context"
	"sync"

	"github.com/dispatchgen/dispatchgen/bench"
	"github.com/dispatchgen/dispatchgen/runtime"
)

// chanResult is what a hand-written recipient answers: Echo's results.
type chanResult struct {
	reply bench.Reply
	err   error
}

// chanRequest is a hand-written recipient's request: Echo's argument and the
// channel to answer on.
type chanRequest struct {
	n     int
	reply chan chanResult
}

// chanRecipients are the hand-written equivalent of registered recipients: a
// goroutine each, reading requests from a channel as large as a mailbox and
// answering each on the channel the request carries. They do nothing else:
// no cancellation, no panic isolation, no shutdown drain.
type chanRecipients struct {
	reqs []chan chanRequest
	// replies holds the reply channels of echoPooled. It is not shared
	// between benchmarks, so that none starts with another's channels.
	replies sync.Pool
	done    sync.WaitGroup
}

// startChanRecipients starts n hand-written recipients, keys 0..n-1, until
// stop.
func startChanRecipients(n int) *chanRecipients {
	c := &chanRecipients{
		reqs:    make([]chan chanRequest, n),
		replies: sync.Pool{New: func() any { return make(chan chanResult, 1) }},
	}
	for k := range c.reqs {
		reqs := make(chan chanRequest, runtime.DefaultMailboxSize)
		c.reqs[k] = reqs
		r := bench.NewRecipient(k)
		c.done.Go(func() {
			ctx := context.Background()
			for req := range reqs {
				reply, err := r.Echo(ctx, req.n)
				req.reply <- chanResult{reply, err}
			}
		})
	}
	return c
}

// stop ends the recipients' goroutines and waits for them.
func (c *chanRecipients) stop() {
	for _, reqs := range c.reqs {
		close(reqs)
	}
	c.done.Wait()
}

// echoPerCall calls Echo on recipient k with a reply channel made for the
// call.
func (c *chanRecipients) echoPerCall(k, n int) (bench.Reply, error) {
	reply := make(chan chanResult, 1)
	c.reqs[k] <- chanRequest{n, reply}
	res := <-reply
	return res.reply, res.err
}

// echoPooled calls Echo on recipient k with a reply channel taken from a
// sync.Pool, which a channel can go back to once its one reply is read.
func (c *chanRecipients) echoPooled(k, n int) (bench.Reply, error) {
	reply := c.replies.Get().(chan chanResult)
	c.reqs[k] <- chanRequest{n, reply}
	res := <-reply
	c.replies.Put(reply)
	return res.reply, res.err
}

// ctxRequest is a request to a ctxRecipients goroutine: chanRequest with
// the caller's context, which the server checks before it serves.
type ctxRequest struct {
	ctx   context.Context
	n     int
	reply chan chanResult
}

// ctxRecipients are chanRecipients whose callers can give up: a request
// carries its context, the server does not serve a request whose context
// has ended, and the caller selects on its reply and on ctx.Done(). It is
// the hand-written equivalent of a sync call with a context that can be
// canceled.
type ctxRecipients struct {
	reqs    []chan ctxRequest
	replies sync.Pool
	done    sync.WaitGroup
}

// startCtxRecipients starts n such recipients, keys 0..n-1, until stop.
func startCtxRecipients(n int) *ctxRecipients {
	c := &ctxRecipients{
		reqs:    make([]chan ctxRequest, n),
		replies: sync.Pool{New: func() any { return make(chan chanResult, 1) }},
	}
	for k := range c.reqs {
		reqs := make(chan ctxRequest, runtime.DefaultMailboxSize)
		c.reqs[k] = reqs
		r := bench.NewRecipient(k)
		c.done.Go(func() {
			for req := range reqs {
				if err := req.ctx.Err(); err != nil {
					req.reply <- chanResult{err: err}
					continue
				}
				reply, err := r.Echo(req.ctx, req.n)
				req.reply <- chanResult{reply, err}
			}
		})
	}
	return c
}

// stop ends the recipients' goroutines and waits for them.
func (c *ctxRecipients) stop() {
	for _, reqs := range c.reqs {
		close(reqs)
	}
	c.done.Wait()
}

// echo calls Echo on recipient k under ctx, with a reply channel from a
// sync.Pool; a caller that gives up leaves its channel to the late reply
// rather than putting it back.
func (c *ctxRecipients) echo(ctx context.Context, k, n int) (bench.Reply, error) {
	return c.call(ctx, k, n, c.replies.Get().(chan chanResult), true)
}

// echoPerCall is echo with a new reply channel for each call, as a future
// holds.
func (c *ctxRecipients) echoPerCall(ctx context.Context, k, n int) (bench.Reply, error) {
	return c.call(ctx, k, n, make(chan chanResult, 1), false)
}

// call sends Echo's request with reply, which goes back to the pool once
// its reply is read if pooled is set.
func (c *ctxRecipients) call(ctx context.Context, k, n int, reply chan chanResult, pooled bool) (bench.Reply, error) {
	select {
	case c.reqs[k] <- ctxRequest{ctx, n, reply}:
	case <-ctx.Done():
		if pooled {
			c.replies.Put(reply)
		}
		return bench.Reply{}, ctx.Err()
	}
	select {
	case res := <-reply:
		if pooled {
			c.replies.Put(reply)
		}
		return res.reply, res.err
	case <-ctx.Done():
		return bench.Reply{}, ctx.Err()
	}
}
