package natsdispatch

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/dispatchgen/dispatchgen/runtime"
	"github.com/nats-io/nats.go/jetstream"
)

// Ownership lives in two JetStream KV buckets per prefix. The owners bucket
// holds one record per claimed key, "Interface.token" → the owner's lease
// id, with no TTL. The leases bucket holds one record per live node, whose
// MaxAge is the lease TTL: a node renews its own by putting it again, and
// a node that stops renewing loses it after the TTL. Per-key TTLs are not
// used, as a key created with one and then updated never expires.

// metaPrefix is the bucket metadata that tells which prefix a bucket is
// for, since prefixes that differ only in '.' and '_' share bucket names.
const metaPrefix = "dispatch.prefix"

// ownership is a node's side of the owner records and its lease.
type ownership struct {
	n     *Node
	poked chan struct{}

	acquire sync.Mutex // serializes opening the buckets and taking a lease

	mu      sync.Mutex // guards the fields below
	owners  jetstream.KeyValue
	leases  jetstream.KeyValue
	leaseID string // the lease key; "" while the node holds no lease
	stale   []staleRecord

	// epoch counts the leases this node has lost; a claim made under one
	// epoch is not served in another.
	epoch atomic.Uint64
	// fenceAt is the n.since() at which the lease may be about to lapse,
	// 0.8 × TTL after the last renewal that was sent and confirmed: past
	// it the node serves nothing. 0 while the node holds no lease.
	fenceAt atomic.Int64

	// seen holds, for a server that does not say its time, the revision
	// of each other node's lease record this node has read, and when it
	// first read it (see leaseAlive). Guarded by mu.
	seen map[string]leaseSeen
}

// leaseSeen is a lease record's revision, and the n.since() at which a read
// of the record first returned it.
type leaseSeen struct {
	rev uint64
	at  time.Duration
}

// maxSeen bounds the leases remembered by leaseAlive; past it, they are
// forgotten, which only makes takeovers wait longer.
const maxSeen = 4096

// staleRecord is a record this node must delete once it can: a key it gave
// up while JetStream was out of reach, or a lease it lost.
type staleRecord struct {
	lease bool // a lease, deleted whatever its revision
	key   string
	rev   uint64
}

// leaseRef is the lease a claim is made under.
type leaseRef struct {
	id    string
	epoch uint64
}

var errLeaseLost = errors.New("natsdispatch: this node's lease lapsed while claiming")

func (o *ownership) init(n *Node) {
	o.n = n
	o.poked = make(chan struct{}, 1)
}

func (o *ownership) bucketName(kind string) string {
	return strings.ReplaceAll(o.n.cfg.prefix, ".", "_") + "_" + kind
}

// openBuckets opens, or creates, the prefix's buckets. It is called with
// acquire held.
func (o *ownership) openBuckets(ctx context.Context) error {
	o.mu.Lock()
	opened := o.owners != nil
	o.mu.Unlock()
	if opened {
		return nil
	}
	js, err := jetstream.New(o.n.nc)
	if err != nil {
		return err
	}
	meta := map[string]string{metaPrefix: o.n.cfg.prefix}
	owners, err := openBucket(ctx, js, jetstream.KeyValueConfig{
		Bucket:      o.bucketName("owners"),
		Description: "dispatchgen: the lease that owns each key",
		Storage:     jetstream.FileStorage,
		Metadata:    meta,
	})
	if err != nil {
		return err
	}
	leases, err := openBucket(ctx, js, jetstream.KeyValueConfig{
		Bucket:      o.bucketName("leases"),
		Description: "dispatchgen: the liveness lease of each node",
		TTL:         o.n.cfg.leaseTTL,
		Storage:     jetstream.FileStorage,
		Metadata:    meta,
	})
	if err != nil {
		return err
	}
	o.mu.Lock()
	o.owners, o.leases = owners, leases
	o.mu.Unlock()
	return nil
}

// openBucket opens the bucket of cfg, creating it if it does not exist, and
// checks that it is the one cfg describes.
func openBucket(ctx context.Context, js jetstream.JetStream, cfg jetstream.KeyValueConfig) (jetstream.KeyValue, error) {
	kv, err := js.KeyValue(ctx, cfg.Bucket)
	if errors.Is(err, jetstream.ErrBucketNotFound) {
		kv, err = js.CreateKeyValue(ctx, cfg)
		if errors.Is(err, jetstream.ErrBucketExists) {
			kv, err = js.KeyValue(ctx, cfg.Bucket)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("natsdispatch: bucket %s: %w", cfg.Bucket, err)
	}
	status, err := kv.Status(ctx)
	if err != nil {
		return nil, fmt.Errorf("natsdispatch: bucket %s: %w", cfg.Bucket, err)
	}
	if status.TTL() != cfg.TTL {
		return nil, fmt.Errorf("natsdispatch: bucket %s has a TTL of %v; this node's lease TTL is %v: every node of a prefix must use the same",
			cfg.Bucket, status.TTL(), cfg.TTL)
	}
	if p, ok := status.Metadata()[metaPrefix]; ok && p != cfg.Metadata[metaPrefix] {
		return nil, fmt.Errorf("natsdispatch: bucket %s belongs to prefix %q, not %q", cfg.Bucket, p, cfg.Metadata[metaPrefix])
	}
	return kv, nil
}

// claimRecord makes lease the owner of key: it creates the record, or takes
// it over, checking its revision, from an owner whose lease is gone. It
// returns the record's revision.
func (o *ownership) claimRecord(ctx context.Context, key string, lease leaseRef) (uint64, error) {
	o.mu.Lock()
	owners := o.owners
	o.mu.Unlock()
	value := []byte(lease.id)
	for range 3 {
		rev, err := owners.Create(ctx, key, value)
		if err == nil {
			return rev, nil
		}
		if !errors.Is(err, jetstream.ErrKeyExists) {
			return 0, err
		}
		entry, err := owners.Get(ctx, key)
		if errors.Is(err, jetstream.ErrKeyNotFound) {
			continue // released since: create it again
		}
		if err != nil {
			return 0, err
		}
		if owner := string(entry.Value()); owner != lease.id {
			alive, err := o.leaseAlive(ctx, owner)
			if err != nil {
				return 0, err
			}
			if alive {
				return 0, fmt.Errorf("another node holds it: %w", runtime.ErrDuplicateKey)
			}
		}
		rev, err = owners.Update(ctx, key, value, entry.Revision())
		if errors.Is(err, jetstream.ErrKeyRevisionMismatch) {
			return 0, fmt.Errorf("another node took it over first: %w", runtime.ErrDuplicateKey)
		}
		return rev, err
	}
	return 0, fmt.Errorf("its owner record kept changing: %w", runtime.ErrDuplicateKey)
}

// leaseAlive reports whether the lease id, read from an owner record, is
// still renewed. A value that cannot be a lease key names no live lease.
func (o *ownership) leaseAlive(ctx context.Context, id string) (bool, error) {
	if id == "" || len(id) > 64 || strings.ContainsFunc(id, func(r rune) bool { return r > 0x7f || !isTokenByte(byte(r)) }) {
		return false, nil
	}
	o.mu.Lock()
	leases := o.leases
	o.mu.Unlock()
	// The server's time is read before the record, never after: a record
	// read later can only be as new or newer, so a claimant that stalls in
	// between sees the renewals it missed, where it would otherwise judge
	// an old record by a later time and take a live node's key.
	now, err := serverTime(ctx, leases)
	if err != nil {
		return false, err
	}
	sent := o.n.since()
	entry, err := leases.Get(ctx, id)
	switch {
	case errors.Is(err, jetstream.ErrKeyNotFound):
		o.forgetSeen(id)
		return false, nil
	case err != nil:
		return false, err
	case now.IsZero():
		return o.renewedLately(id, entry.Revision(), sent), nil
	}
	// The bucket's MaxAge removes a record a TTL after its last put, but on
	// a timer that can run late; a record older than the TTL belongs to a
	// node that has stopped serving (it fences 0.8 × TTL after its last
	// confirmed renewal, and a renewal is confirmed only once stored), so
	// its keys may be taken over at once. Both times are the server's, so
	// clocks that differ between nodes do not matter.
	return now.Sub(entry.Created()) < o.n.cfg.leaseTTL, nil
}

// renewedLately judges the lease id, whose record a read sent at sent
// found at rev, on a server that does not say its time: by this node's
// clock. A lease whose record has kept one revision from a read that
// returned it to a read sent a TTL later was not renewed for a TTL, so its
// node has fenced itself (0.8 × TTL after the send of its last confirmed
// renewal, which was stored before the first read returned). A revision
// read for the first time counts as renewed, so the first claim of a key
// whose owner is dead waits a TTL, not for the bucket's MaxAge.
func (o *ownership) renewedLately(id string, rev uint64, sent time.Duration) bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	if s, ok := o.seen[id]; ok && s.rev == rev {
		return sent-s.at < o.n.cfg.leaseTTL
	}
	if o.seen == nil || len(o.seen) >= maxSeen {
		o.seen = make(map[string]leaseSeen)
	}
	o.seen[id] = leaseSeen{rev: rev, at: o.n.since()}
	return true
}

// forgetSeen forgets the revision of the lease id, whose record is gone.
func (o *ownership) forgetSeen(id string) {
	o.mu.Lock()
	delete(o.seen, id)
	o.mu.Unlock()
}

// serverTime returns the server's time, read from the bucket's stream
// info, or the zero time for a server that does not say it.
func serverTime(ctx context.Context, leases jetstream.KeyValue) (time.Time, error) {
	status, err := leases.Status(ctx)
	if err != nil {
		return time.Time{}, err
	}
	if bs, ok := status.(*jetstream.KeyValueBucketStatus); ok {
		return bs.StreamInfo().TimeStamp, nil
	}
	return time.Time{}, nil
}

// deleteRecord deletes key's owner record if it is still at rev, so that
// another node can claim the key at once. A record it could not delete is
// retried in the background.
func (o *ownership) deleteRecord(ctx context.Context, key string, rev uint64) error {
	err := o.delete(ctx, staleRecord{key: key, rev: rev})
	if err != nil {
		o.mu.Lock()
		o.stale = append(o.stale, staleRecord{key: key, rev: rev})
		o.mu.Unlock()
	}
	return err
}

// delete deletes one record; one that another node has taken since, or
// that is gone, needs nothing more.
func (o *ownership) delete(ctx context.Context, r staleRecord) error {
	o.mu.Lock()
	owners, leases := o.owners, o.leases
	o.mu.Unlock()
	var err error
	if r.lease {
		err = leases.Delete(ctx, r.key)
	} else {
		err = owners.Delete(ctx, r.key, jetstream.LastRevision(r.rev))
	}
	if errors.Is(err, jetstream.ErrKeyRevisionMismatch) || errors.Is(err, jetstream.ErrKeyNotFound) {
		return nil
	}
	return err
}

// retryStale deletes the records that could not be deleted before.
func (o *ownership) retryStale(timeout time.Duration) {
	o.mu.Lock()
	stale := o.stale
	o.stale = nil
	o.mu.Unlock()
	var left []staleRecord
	for _, r := range stale {
		ctx, cancel := context.WithTimeout(o.n.ctx, timeout)
		if err := o.delete(ctx, r); err != nil {
			left = append(left, r)
		}
		cancel()
	}
	if len(left) > 0 {
		o.mu.Lock()
		o.stale = append(o.stale, left...)
		o.mu.Unlock()
	}
}
