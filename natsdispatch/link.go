package natsdispatch

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"sync"
	"sync/atomic"
	"time"

	"github.com/dispatchgen/dispatchgen/runtime"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/micro"
)

// link is one dispatcher's side of its node: the runtime.Link that Bind
// returns.
type link struct {
	n       *Node
	svc     runtime.Service
	iface   string
	methods map[string]runtime.MethodInfo
	// subjectBase is "<prefix>.<Iface>.", the start of every subject of
	// this interface.
	subjectBase string

	mu      sync.Mutex
	held    map[string]*held // by key text; nil value while claiming
	closed  atomic.Bool      // set with mu held
	service micro.Service    // created on the first claim

	// Counters for discovery.
	calls, oneWay, refused atomic.Uint64
}

var _ runtime.Link = (*link)(nil)

func newLink(n *Node, svc runtime.Service) (*link, error) {
	iface := svc.Interface()
	if err := checkName("interface", iface); err != nil {
		return nil, err
	}
	l := &link{
		n:           n,
		svc:         svc,
		iface:       iface,
		methods:     make(map[string]runtime.MethodInfo),
		subjectBase: n.cfg.prefix + "." + iface + ".",
		held:        make(map[string]*held),
	}
	for _, m := range svc.Methods() {
		if err := checkName("method", m.Name); err != nil {
			return nil, err
		}
		if _, dup := l.methods[m.Name]; dup {
			return nil, fmt.Errorf("natsdispatch: %s has two methods %s", iface, m.Name)
		}
		l.methods[m.Name] = m
	}
	return l, nil
}

// Claim takes key for this node: it claims the owner record, subscribes to
// the key's subjects, and returns once the server routes them here.
func (l *link) Claim(ctx context.Context, key string) error {
	token, err := keyToken(key)
	if err != nil {
		return fmt.Errorf("natsdispatch: claim %s: %w", l.iface, err)
	}
	if err := l.reserve(key); err != nil {
		return err
	}
	before := l.n.nc.LastError()
	h, err := l.claim(ctx, key, token)
	if err != nil {
		err = withViolation(err, before, l.n.nc.LastError())
	}
	l.mu.Lock()
	if err != nil || l.closed.Load() {
		delete(l.held, key)
	} else {
		l.held[key] = h
	}
	closed := l.closed.Load()
	l.mu.Unlock()
	if err == nil && closed {
		err = errors.Join(l.closedErr(), l.release(ctx, h))
	}
	return err
}

// withViolation adds to err, a claim that timed out, the permissions
// violation that the server reported on the connection while the claim was
// under way, if it reported one (last, not before): the server refuses a
// publish by telling the connection, so the refused request itself only
// times out, and its error would not say which subject the process may not
// use.
func withViolation(err, before, last error) error {
	timedOut := errors.Is(err, context.DeadlineExceeded) || errors.Is(err, nats.ErrTimeout)
	if !timedOut || !errors.Is(last, nats.ErrPermissionViolation) ||
		(reflect.TypeOf(last).Comparable() && last == before) {
		return err
	}
	return fmt.Errorf("%w (the server refused the connection: %w)", err, last)
}

// reserve marks key as being claimed, so that a second claim of it fails
// here rather than race the first for the owner record.
func (l *link) reserve(key string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if err := l.closedErr(); err != nil {
		return err
	}
	if _, ok := l.held[key]; ok {
		return fmt.Errorf("natsdispatch: %s key %q is claimed by this node already: %w",
			l.iface, key, runtime.ErrDuplicateKey)
	}
	l.held[key] = nil
	return nil
}

func (l *link) claim(ctx context.Context, key, token string) (*held, error) {
	if err := l.ensureService(); err != nil {
		return nil, err
	}
	lease, err := l.n.own.ensureLease(ctx)
	if err != nil {
		return nil, err
	}
	h := &held{link: l, key: key, kvKey: l.iface + "." + token, subjectPrefix: l.subjectBase + token + "."}
	if err := l.n.in.add(l.n, h, lease.epoch); err != nil {
		return nil, fmt.Errorf("natsdispatch: claim %s key %q: %w", l.iface, key, err)
	}
	rev, err := l.n.own.claimRecord(ctx, h.kvKey, lease)
	if err != nil {
		l.n.in.abandon(l.n, h)
		return nil, fmt.Errorf("natsdispatch: claim %s key %q: %w", l.iface, key, err)
	}
	if err := l.n.in.activate(l.n, h, rev, lease.epoch); err != nil {
		l.n.in.abandon(l.n, h)
		err = errors.Join(err, l.n.own.deleteRecord(ctx, h.kvKey, rev))
		return nil, fmt.Errorf("natsdispatch: claim %s key %q: %w", l.iface, key, err)
	}
	return h, nil
}

// Release gives up key: no message for it is served from now on, and its
// owner record is deleted so that another node may claim it at once.
func (l *link) Release(ctx context.Context, key string) error {
	l.mu.Lock()
	h := l.held[key]
	if h != nil {
		delete(l.held, key)
	}
	l.mu.Unlock()
	if h == nil {
		return nil
	}
	return l.release(ctx, h)
}

func (l *link) release(ctx context.Context, h *held) error {
	l.n.in.release(l.n, h)
	if err := l.n.own.deleteRecord(ctx, h.kvKey, h.rev); err != nil {
		return fmt.Errorf("natsdispatch: release %s key %q: %w", l.iface, h.key, err)
	}
	return nil
}

// Close releases every key the dispatcher still holds and removes it from
// discovery.
func (l *link) Close(ctx context.Context) error {
	return l.shutdown(ctx, false)
}

// shutdown closes l; revoke says to stop the dispatcher's recipients first,
// as when the node closes under a dispatcher that has not.
func (l *link) shutdown(ctx context.Context, revoke bool) error {
	l.mu.Lock()
	if l.closed.Load() {
		l.mu.Unlock()
		return nil
	}
	l.closed.Store(true)
	var hs []*held
	var keys []string
	for key, h := range l.held {
		if h != nil {
			hs = append(hs, h)
			keys = append(keys, key)
			delete(l.held, key)
		}
	}
	service := l.service
	l.mu.Unlock()
	var errs []error
	for _, h := range hs {
		l.n.in.release(l.n, h)
	}
	if revoke && len(keys) > 0 {
		l.svc.Revoke(keys)
	}
	for _, h := range hs {
		if err := l.n.own.deleteRecord(ctx, h.kvKey, h.rev); err != nil {
			errs = append(errs, fmt.Errorf("natsdispatch: release %s key %q: %w", l.iface, h.key, err))
		}
	}
	if service != nil {
		if err := service.Stop(); err != nil && !errors.Is(err, nats.ErrConnectionClosed) {
			errs = append(errs, fmt.Errorf("natsdispatch: stop service of %s: %w", l.iface, err))
		}
	}
	l.n.unlink(l)
	return errors.Join(errs...)
}

// Call sends c as a request; its reply, or its context's end, ends it.
func (l *link) Call(c *runtime.RemoteCall) {
	p := &pendingCall{c: c, link: l}
	if err := l.request(c, &p.msg); err != nil {
		c.Done(err)
		return
	}
	l.n.out.call(p)
}

// Send publishes c once, with a reply subject that only a refusal uses.
func (l *link) Send(c *runtime.RemoteCall) {
	subject, data, err := l.encode(c, false)
	if err != nil {
		c.Done(err)
		return
	}
	l.n.out.send(l, c, subject, data, l.n.propagated(c.Ctx))
}

// request writes c, a call, as msg.
func (l *link) request(c *runtime.RemoteCall, msg *nats.Msg) error {
	subject, data, err := l.encode(c, true)
	if err != nil {
		return err
	}
	msg.Subject, msg.Data, msg.Header = subject, data, l.n.propagated(c.Ctx)
	if deadline, ok := c.Ctx.Deadline(); ok {
		if msg.Header == nil {
			msg.Header = nats.Header{}
		}
		msg.Header.Set(hdrTimeout, time.Until(deadline).String())
	}
	if len(c.Chain) > 0 {
		chain, err := encodeChain(c.Chain)
		if err != nil {
			return err
		}
		if msg.Header == nil {
			msg.Header = nats.Header{}
		}
		msg.Header.Set(hdrChain, chain)
	}
	return nil
}

// encode returns the subject and payload of c, or says why it cannot be
// sent.
func (l *link) encode(c *runtime.RemoteCall, call bool) (subject string, data []byte, err error) {
	if err := l.closedErr(); err != nil {
		return "", nil, err
	}
	if err := c.Ctx.Err(); err != nil {
		return "", nil, l.notSent(c, err)
	}
	switch m, ok := l.methods[c.Method]; {
	case !ok:
		return "", nil, fmt.Errorf("natsdispatch: %s has no method %q", l.iface, c.Method)
	case m.OneWay && call:
		return "", nil, fmt.Errorf("natsdispatch: %s.%s is one-way: it is sent, not called", l.iface, c.Method)
	case !m.OneWay && !call:
		return "", nil, fmt.Errorf("natsdispatch: %s.%s has results: it is called, not sent", l.iface, c.Method)
	}
	token, err := keyToken(c.Key)
	if err != nil {
		return "", nil, fmt.Errorf("natsdispatch: %s.%s: %w", l.iface, c.Method, err)
	}
	data, err = l.n.cfg.codec.Marshal(c.Args)
	if err != nil {
		return "", nil, fmt.Errorf("natsdispatch: %s[%q].%s: encode arguments: %w", l.iface, c.Key, c.Method, err)
	}
	return l.subjectBase + token + "." + c.Method, data, nil
}

// notSent is the error of c, which err kept from being sent.
func (l *link) notSent(c *runtime.RemoteCall, err error) error {
	return fmt.Errorf("natsdispatch: %s[%q].%s not sent: %w", l.iface, c.Key, c.Method, err)
}

// forget removes the fenced hs from the keys l holds and returns their keys.
func (l *link) forget(hs []*held) []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	keys := make([]string, 0, len(hs))
	for _, h := range hs {
		if l.held[h.key] == h {
			delete(l.held, h.key)
			keys = append(keys, h.key)
		}
	}
	return keys
}

var errLinkClosed = fmt.Errorf("natsdispatch: dispatcher closed: %w", runtime.ErrClosed)

// closedErr says whether l, or its node, is closed.
func (l *link) closedErr() error {
	switch {
	case l.n.closed.Load():
		return errNodeClosed
	case l.closed.Load():
		return errLinkClosed
	}
	return nil
}
