package natsdispatch

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nuid"
)

// A node's lease: one KV record, put again every renewEvery, whatever the
// number of keys it holds. Other nodes see it gone a TTL after the last put
// the server stored (see leaseAlive; the bucket's MaxAge removes it
// then or later); the node counts fenceAfter from the moment it sent its
// last confirmed put, which came before the store, so it stops serving
// 0.2 × TTL before any other node can see the lease gone and take its keys
// over.

func (o *ownership) renewEvery() time.Duration { return o.n.cfg.leaseTTL / 5 }
func (o *ownership) fenceAfter() time.Duration { return o.n.cfg.leaseTTL * 4 / 5 }

// ensureLease returns the lease to claim keys under, taking a new one if
// the node holds none.
func (o *ownership) ensureLease(ctx context.Context) (leaseRef, error) {
	o.acquire.Lock()
	defer o.acquire.Unlock()
	if err := o.openBuckets(ctx); err != nil {
		return leaseRef{}, err
	}
	o.mu.Lock()
	id, leases := o.leaseID, o.leases
	o.mu.Unlock()
	if id != "" {
		return leaseRef{id: id, epoch: o.epoch.Load()}, nil
	}
	id = nuid.Next()
	sent := o.n.since()
	if _, err := leases.Put(ctx, id, []byte(o.n.id)); err != nil {
		return leaseRef{}, fmt.Errorf("natsdispatch: take a lease: %w", err)
	}
	o.mu.Lock()
	o.leaseID = id
	o.fenceAt.Store(int64(sent + o.fenceAfter()))
	epoch := o.epoch.Load()
	o.mu.Unlock()
	o.poke()
	return leaseRef{id: id, epoch: epoch}, nil
}

// renew puts the lease again, with a deadline no later than the fence.
func (o *ownership) renew() {
	o.mu.Lock()
	id, leases := o.leaseID, o.leases
	o.mu.Unlock()
	if id == "" {
		return
	}
	sent := o.n.since()
	left := time.Duration(o.fenceAt.Load()) - sent
	if left <= 0 {
		o.fence()
		return
	}
	ctx, cancel := context.WithTimeout(o.n.ctx, min(left, o.renewEvery()))
	_, err := leases.Put(ctx, id, []byte(o.n.id))
	cancel()
	if err != nil {
		if !errors.Is(err, context.Canceled) {
			o.n.cfg.logger.Warn("natsdispatch: lease renewal failed", "node", o.n.id,
				"left", time.Duration(o.fenceAt.Load())-o.n.since(), "error", err)
		}
		return
	}
	o.mu.Lock()
	if o.leaseID == id {
		o.fenceAt.Store(max(o.fenceAt.Load(), int64(sent+o.fenceAfter())))
	}
	o.mu.Unlock()
}

// checkFence fences the node if its lease may be about to lapse.
func (o *ownership) checkFence() {
	o.mu.Lock()
	held := o.leaseID != ""
	o.mu.Unlock()
	if held && o.n.since() >= time.Duration(o.fenceAt.Load()) {
		o.fence()
	}
}

// fence gives up the lease and every key claimed under it: the keys are
// unsubscribed and revoked from their dispatchers, and their records and
// the lease are deleted once JetStream can be reached, so that other nodes
// need not wait for the lease to expire. The node takes a new lease at its
// next claim.
func (o *ownership) fence() {
	o.mu.Lock()
	id := o.leaseID
	if id == "" {
		o.mu.Unlock()
		return
	}
	o.leaseID = ""
	o.epoch.Add(1)
	o.fenceAt.Store(0)
	o.stale = append(o.stale, staleRecord{lease: true, key: id})
	o.mu.Unlock()
	revoked := 0
	for l, hs := range o.n.in.fence(o.n) {
		keys := l.forget(hs)
		revoked += len(keys)
		if len(keys) > 0 {
			l.svc.Revoke(keys)
		}
		o.mu.Lock()
		for _, h := range hs {
			o.stale = append(o.stale, staleRecord{key: h.kvKey, rev: h.rev})
		}
		o.mu.Unlock()
	}
	o.n.cfg.logger.Warn("natsdispatch: lease not renewed in time; stopped serving its keys",
		"node", o.n.id, "keys", revoked)
}

// poke wakes the lease goroutine, to fence or to rearm its timer.
func (o *ownership) poke() {
	select {
	case o.poked <- struct{}{}:
	default:
	}
}

// run renews the lease, fences the node when renewals fail, retries stale
// deletions and sweeps the memory of one-way messages.
func (o *ownership) run() {
	n := o.n
	defer n.wg.Done()
	tick := time.NewTicker(o.renewEvery())
	defer tick.Stop()
	fence := time.NewTimer(time.Hour)
	defer fence.Stop()
	sweepEvery := n.cfg.sendWait + time.Second
	lastSweep := time.Now()
	for {
		if at := o.fenceAt.Load(); at != 0 {
			fence.Reset(time.Duration(at) - n.since())
		} else {
			fence.Stop()
		}
		select {
		case <-n.done:
			return
		case <-tick.C:
			o.renew()
			o.retryStale(o.renewEvery())
			n.out.expireOverdue(n.since())
			if time.Since(lastSweep) >= sweepEvery {
				n.out.sends.sweep()
				lastSweep = time.Now()
			}
		case <-fence.C:
			o.checkFence()
		case <-o.poked:
			o.checkFence()
		}
	}
}

// close deletes the lease, once the node has released its keys, and the
// records it could not delete before.
func (o *ownership) close(ctx context.Context) error {
	o.acquire.Lock()
	defer o.acquire.Unlock()
	o.mu.Lock()
	id := o.leaseID
	o.leaseID = ""
	o.epoch.Add(1)
	o.fenceAt.Store(0)
	stale := o.stale
	o.stale = nil
	o.mu.Unlock()
	if id != "" {
		stale = append(stale, staleRecord{lease: true, key: id})
	}
	var errs []error
	for _, r := range stale {
		if err := o.delete(ctx, r); err != nil {
			errs = append(errs, fmt.Errorf("natsdispatch: delete record %s: %w", r.key, err))
		}
	}
	return errors.Join(errs...)
}
