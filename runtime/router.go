package runtime

import (
	"context"
	"errors"
	"fmt"
)

// Register gives impl a mailbox under key. From then on, calls to key run on
// impl, one at a time, until Unregister or Close. It fails with
// ErrNilRecipient when impl is nil, ErrDuplicateKey, or ErrClosed after
// Close.
func (r *Router[K]) Register(key K, impl any, opts ...RecipientOption) error {
	if any(impl) == nil {
		return fmt.Errorf("%w: %s[%v]", ErrNilRecipient, r.name, key)
	}
	rc := newRecipient(&r.cfg, r, key, impl, r.cfg.recipientConfig(opts))
	if r.remote != nil {
		return r.remote.register(key, rc)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return fmt.Errorf("%w: %s dispatcher", ErrClosed, r.name)
	}
	if _, dup := r.m[key]; dup {
		return fmt.Errorf("%w: %s[%v]", ErrDuplicateKey, r.name, key)
	}
	r.m[key] = rc
	r.retired.forget(key)
	return nil
}

// Unregister removes the recipient under key: new calls to key fail with
// ErrNoRecipient at once, and what is queued is handled until ctx ends, after
// which the rest fails with ErrClosed and Unregister returns an error that
// wraps ctx's. Called from the recipient's own method, it does not wait: the
// mailbox drains after the method returns.
func (r *Router[K]) Unregister(ctx context.Context, key K) error {
	if ctx == nil {
		return ErrNilContext
	}
	r.mu.Lock()
	rc := r.m[key]
	delete(r.m, key)
	if rc != nil {
		// Its counters stay in Stats while it drains, and retire keeps
		// the last of them once it has stopped.
		r.retired.keep(key, retired{live: rc})
		rc.gone.Store(true)
		if r.remote != nil {
			r.remote.forget(rc)
		}
	}
	r.mu.Unlock()
	if rc == nil {
		return fmt.Errorf("%w: %s[%v]", ErrNoRecipient, r.name, key)
	}
	err := r.stop(ctx, rc)
	if err != nil {
		err = fmt.Errorf("dispatch: unregister %s[%v]: %w", r.name, key, err)
	}
	r.retire(key, rc)
	if r.remote != nil && rc.node.label != "" && callerNode(ctx) == &rc.node {
		// Its own method unregisters it: the key is free once the mailbox
		// has drained, after the method returns.
		go func() {
			if idle := rc.beginStop(); idle != nil {
				<-idle
			}
			_ = r.remote.releaseOf(context.WithoutCancel(ctx), rc)
		}()
		return err
	}
	if r.remote != nil && rc.node.label != "" {
		if rerr := r.remote.releaseOf(ctx, rc); rerr != nil {
			err = errors.Join(err, fmt.Errorf("dispatch: unregister %s[%v]: release: %w", r.name, key, rerr))
		}
	}
	return err
}

// stop drains rc until ctx ends, then fails what is left. Called from rc's
// own method, it does not wait: the mailbox drains after the method returns.
func (r *Router[K]) stop(ctx context.Context, rc *recipient) error {
	idle := rc.beginStop()
	if idle == nil || callerNode(ctx) == &rc.node {
		return nil
	}
	select {
	case <-idle:
		return nil
	case <-ctx.Done():
	}
	n := rc.abort(rc.closedErr())
	return fmt.Errorf("%d queued messages failed with ErrClosed: %w", n, ctx.Err())
}

// Close stops every recipient: new calls fail with ErrClosed at once, and what
// is queued is handled until ctx ends, after which the rest fails with
// ErrClosed and Close returns an error that wraps ctx's. Once the mailboxes
// have drained, no goroutine of the Router's is left. Called from a
// recipient's method, Close does not wait for that recipient. Closing a
// closed Router does nothing.
func (r *Router[K]) Close(ctx context.Context) error {
	if ctx == nil {
		return ErrNilContext
	}
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return nil
	}
	r.closed = true
	all := make([]*recipient, 0, len(r.m))
	for k, rc := range r.m {
		r.retired.keep(k, retired{live: rc}) // as Unregister's
		rc.gone.Store(true)
		all = append(all, rc)
	}
	clear(r.m)
	if r.remote != nil {
		clear(r.remote.byText)
		// The recipients the transport revoked drain too, before Close
		// says the dispatcher has.
		all = append(all, r.remote.revoked...)
		r.remote.revoked = nil
	}
	r.mu.Unlock()

	self := callerNode(ctx)
	idles := make([]<-chan struct{}, len(all))
	for i, rc := range all {
		if &rc.node != self {
			idles[i] = rc.beginStop()
		} else {
			rc.beginStop()
		}
	}
	drained := true
wait:
	for _, idle := range idles {
		if idle == nil {
			continue
		}
		select {
		case <-idle:
		case <-ctx.Done():
			drained = false
			break wait
		}
	}
	var err error
	if !drained {
		failed := 0
		for _, rc := range all {
			failed += rc.abort(rc.closedErr())
		}
		err = fmt.Errorf("dispatch: close %s dispatcher: %d queued messages failed with ErrClosed: %w", r.name, failed, ctx.Err())
	}
	for _, rc := range all {
		r.retire(rc.key.(K), rc)
	}
	if rm := r.remote; rm != nil && rm.link != nil {
		lctx := ctx
		if ctx.Err() != nil {
			var cancel context.CancelFunc
			lctx, cancel = context.WithTimeout(context.WithoutCancel(ctx), releaseGrace)
			defer cancel()
		}
		if lerr := rm.link.Close(lctx); lerr != nil {
			err = errors.Join(err, fmt.Errorf("dispatch: close %s dispatcher: %w", r.name, lerr))
		}
	}
	return err
}

// Keys returns the keys registered now, in no particular order.
func (r *Router[K]) Keys() []K {
	r.mu.RLock()
	defer r.mu.RUnlock()
	keys := make([]K, 0, len(r.m))
	for k := range r.m {
		keys = append(keys, k)
	}
	return keys
}

// Flush waits until every message accepted for key before it was called has
// ended, however it ended: handled, failed or sent to the dead-letter
// handler; the calls among them have their results by then. It returns
// ctx's error if ctx ends first, an error wrapping ErrNoRecipient if nothing
// is registered under key, or ErrClosed after Close. Called from a method of the recipient under key, or of one it
// waits for, it fails at once with ErrDeadlock.
func (r *Router[K]) Flush(ctx context.Context, key K) error {
	if ctx == nil {
		return ErrNilContext
	}
	rc, err := r.lookup(key)
	if err == errElsewhere {
		return fmt.Errorf("%w: %s[%v]", ErrNoRecipient, r.name, key)
	}
	if err != nil {
		return err
	}
	return rc.flushAll(ctx)
}

// Stats returns the counters of every recipient registered now, and the
// last counters of the keys unregistered, or stopped by Close, that have not
// been registered again (the latest maxRetired of them), so that a program
// can log its final counts.
func (r *Router[K]) Stats() map[K]Stats {
	r.mu.RLock()
	all := make(map[K]*recipient, len(r.m))
	for k, rc := range r.m {
		all[k] = rc
	}
	stats := make(map[K]Stats, len(all)+len(r.retired.last))
	for k, e := range r.retired.last {
		if e.live != nil {
			all[k] = e.live
			continue
		}
		stats[k] = e.stats
	}
	r.mu.RUnlock()
	for k, rc := range all {
		stats[k] = rc.snapshot()
	}
	return stats
}

// retire keeps the counters of rc, which was under key, once it has
// stopped or been failed. A recipient whose method outlives the stop, stuck
// past its deadline or stopping its own recipient, is kept itself, so that
// its counters follow that method to its end.
func (r *Router[K]) retire(key K, rc *recipient) {
	// Finished first, snapshot second: counters read before the recipient
	// finished may still grow.
	e := retired{live: rc}
	if rc.finishedLocked() {
		e = retired{stats: rc.snapshot()}
	}
	r.mu.Lock()
	if r.m[key] == nil {
		r.retired.keep(key, e)
	}
	r.mu.Unlock()
}

// maxRetired bounds the counters a Router keeps of keys no longer
// registered, so that a program that registers ever new keys holds no more.
const maxRetired = 4096

// retiredStats is the last counters of keys no longer registered, the
// oldest forgotten first past maxRetired.
type retiredStats[K comparable] struct {
	last  map[K]retired
	order []retiredKey[K] // oldest first; may name entries forgotten since
	seq   uint64
}

type retired struct {
	stats Stats
	live  *recipient // or nil: see retire
	seq   uint64
}

type retiredKey[K comparable] struct {
	key K
	seq uint64
}

func (rs *retiredStats[K]) keep(key K, e retired) {
	if rs.last == nil {
		rs.last = make(map[K]retired)
	}
	rs.seq++
	e.seq = rs.seq
	rs.last[key] = e
	rs.order = append(rs.order, retiredKey[K]{key, rs.seq})
	for len(rs.last) > maxRetired || len(rs.order) > 2*maxRetired {
		old := rs.order[0]
		rs.order = rs.order[1:]
		if e, ok := rs.last[old.key]; ok && e.seq == old.seq && len(rs.last) > maxRetired {
			delete(rs.last, old.key)
		}
	}
}

// settle replaces the entry of key that holds rc, which has finished, with
// its final counters, if the entry is still rc's.
func (rs *retiredStats[K]) settle(key K, rc *recipient, stats Stats) {
	if e, ok := rs.last[key]; ok && e.live == rc {
		rs.last[key] = retired{stats: stats, seq: e.seq}
	}
}

func (rs *retiredStats[K]) forget(key K) { delete(rs.last, key) }

// lookup returns the recipient registered under key now.
func (r *Router[K]) lookup(key K) (*recipient, error) {
	r.mu.RLock()
	rc, closed := r.m[key], r.closed
	r.mu.RUnlock()
	if rc != nil {
		return rc, nil
	}
	switch {
	case closed:
		return nil, fmt.Errorf("%w: %s dispatcher", ErrClosed, r.name)
	case r.remote != nil:
		return nil, errElsewhere
	}
	return nil, fmt.Errorf("%w: %s[%v]", ErrNoRecipient, r.name, key)
}

// forget removes rc from the map if it is still the one under its key.
func (r *Router[K]) forget(rc *recipient) {
	key := rc.key.(K)
	r.mu.Lock()
	held := r.m[key] == rc
	if held {
		delete(r.m, key)
		rc.gone.Store(true)
		if r.remote != nil {
			r.remote.forget(rc)
		}
	}
	r.mu.Unlock()
	// A recipient unregistered already, whose method panics once
	// Unregister has given up waiting, has had its claim released: the key
	// may be another recipient's now, and its claim not this one's to give.
	if held && r.remote != nil && rc.node.label != "" {
		// The recipient stopped on a panic: its key is free once it
		// drains, which abort sees to at once.
		go r.remote.releaseOf(context.Background(), rc)
	}
}
