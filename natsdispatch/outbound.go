package natsdispatch

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/dispatchgen/dispatchgen/runtime"
	"github.com/nats-io/nats.go"
)

// replyGrace is how long past WithMaxTimeout a call without a deadline
// waits for its reply, at least: the hosting node ends such a call at its
// own WithMaxTimeout and says so, which takes a round trip. The node checks
// for such calls once per lease renewal period.
const replyGrace = time.Second

// outbound is a node's calling side: one inbox subscription receives the
// replies to its calls and the refusals of its one-way messages, and one
// goroutine hands them to their callers.
type outbound struct {
	inbox string // "<inbox>.", followed by "c" and a call's id, or "s" and a send's
	ch    chan *nats.Msg
	sub   *nats.Subscription

	mu     sync.Mutex
	calls  map[uint64]*pendingCall
	lastID uint64

	sends sendRing
	// publishing is held, shared, by each sender from its message's place
	// in sends until it is published, so that a confirmation counts as
	// read only messages published before its PING.
	publishing sync.RWMutex
	// unconfirmed holds a token while messages are sent that the server has
	// not been asked to confirm; status reports the connection's drops.
	unconfirmed chan struct{}
	status      chan nats.Status
}

// pendingCall is a call waiting for its reply.
type pendingCall struct {
	c    *runtime.RemoteCall
	link *link
	// msg is the request, allocated with the call: its Subject and Reply
	// stay for a cancellation to use, its Data and Header are dropped once
	// it is published.
	msg      nats.Msg
	stop     func() bool   // stops the watch on c.Ctx; nil for a context that never ends
	expireAt time.Duration // n.since() at which a call without a deadline gives up; 0 for others
}

func (o *outbound) init(n *Node) error {
	o.inbox = n.nc.NewInbox() + "."
	o.ch = make(chan *nats.Msg, deliveryBuffer)
	o.calls = make(map[uint64]*pendingCall)
	o.unconfirmed = make(chan struct{}, 1)
	sub, err := n.nc.ChanSubscribe(o.inbox+"*", o.ch)
	if err != nil {
		return fmt.Errorf("natsdispatch: subscribe to the reply inbox: %w", err)
	}
	o.sub = sub
	o.status = n.nc.StatusChanged(nats.RECONNECTING, nats.DISCONNECTED, nats.CLOSED)
	return nil
}

// call publishes p.msg as its call's request. The reply, the end of the
// call's context, or the node's own bound for a call without a deadline
// ends it, whichever comes first.
func (o *outbound) call(p *pendingCall) {
	l, c := p.link, p.c
	if err := l.n.unsendable(); err != nil {
		c.Done(l.notSent(c, err))
		return
	}
	o.mu.Lock()
	o.lastID++
	id := o.lastID
	p.msg.Reply = o.reply('c', id)
	if c.Ctx.Done() != nil {
		// A context that can never end needs no watch: three allocations
		// saved, of the calls made with context.Background.
		p.stop = context.AfterFunc(c.Ctx, func() { o.expire(id, c.Ctx.Err()) })
	}
	bound := l.n.cfg.maxTimeout + replyGrace
	if deadline, ok := c.Ctx.Deadline(); !ok || time.Until(deadline) > bound {
		p.expireAt = l.n.since() + bound
	}
	o.calls[id] = p
	o.mu.Unlock()
	err := l.n.nc.PublishMsg(&p.msg)
	p.msg.Data, p.msg.Header = nil, nil
	if err != nil {
		if p := o.take(id); p != nil {
			c.Done(l.notSent(c, err))
		}
	}
}

// reply returns the reply subject of the call (kind 'c') or one-way
// message ('s') of id, in one allocation.
func (o *outbound) reply(kind byte, id uint64) string {
	var buf [96]byte
	return string(strconv.AppendUint(append(append(buf[:0], o.inbox...), kind), id, 36))
}

// errServerUnreachable is why nothing is sent while the connection to the
// server is down.
var errServerUnreachable = fmt.Errorf("the connection to the NATS server is down: %w", nats.ErrConnectionReconnecting)

// unsendable returns errServerUnreachable while the node's connection is
// down. nats.go would buffer a message then and send it once it has
// reconnected, if it does: a call would wait for its deadline, not knowing
// whether it ran, and a one-way message might be lost unseen. Refused now,
// neither was sent, and the caller or the dead-letter handler knows it.
func (n *Node) unsendable() error {
	switch n.nc.Status() {
	case nats.RECONNECTING, nats.DISCONNECTED:
		return errServerUnreachable
	}
	return nil
}

// take removes the call of id, if it is still waiting, and stops its
// watches; whoever takes it ends it.
func (o *outbound) take(id uint64) *pendingCall {
	o.mu.Lock()
	p := o.calls[id]
	delete(o.calls, id)
	o.mu.Unlock()
	if p != nil && p.stop != nil {
		p.stop()
	}
	return p
}

// expireOverdue ends the calls without a deadline that have waited past
// the node's bound, which the lease goroutine checks at each tick rather
// than with a timer per call.
func (o *outbound) expireOverdue(now time.Duration) {
	var overdue []uint64
	o.mu.Lock()
	for id, p := range o.calls {
		if p.expireAt != 0 && p.expireAt <= now {
			overdue = append(overdue, id)
		}
	}
	o.mu.Unlock()
	for _, id := range overdue {
		o.expire(id, context.DeadlineExceeded)
	}
}

// expire ends the call of id, whose reply did not come in time. A call its
// caller canceled is canceled on the hosting node too, which otherwise
// would run it until its deadline.
func (o *outbound) expire(id uint64, cause error) {
	p := o.take(id)
	if p == nil {
		return
	}
	if errors.Is(cause, context.Canceled) {
		subject := p.msg.Subject
		method := strings.LastIndexByte(subject, '.')
		_ = p.link.n.nc.Publish(subject[:method+1]+cancelMethod, []byte(p.msg.Reply))
	}
	p.c.Done(fmt.Errorf("natsdispatch: %s[%q].%s got no reply, so whether it ran is unknown: %w",
		p.link.iface, p.c.Key, p.c.Method, cause))
}

// send publishes data on subject, c's one-way message, with header, the
// propagator's or nil, and a reply subject that only a refusal uses: a
// delivered message costs one message on the wire.
func (o *outbound) send(l *link, c *runtime.RemoteCall, subject string, data []byte, header nats.Header) {
	if err := l.n.unsendable(); err != nil {
		c.Done(l.notSent(c, err))
		return
	}
	o.publishing.RLock()
	seq, forgot, forgotten := o.sends.put(c, l, l.n.nc.Stats().Reconnects)
	reply := o.reply('s', seq)
	var err error
	if header == nil {
		err = l.n.nc.PublishRequest(subject, reply, data)
	} else {
		err = l.n.nc.PublishMsg(&nats.Msg{Subject: subject, Reply: reply, Header: header, Data: data})
	}
	o.publishing.RUnlock()
	if forgotten {
		o.handOver([]sendSlot{forgot}, errConfirmTooMany)
	}
	if err != nil {
		if _, ok := o.sends.take(seq); ok {
			c.Done(l.notSent(c, err))
		}
		return
	}
	o.wantConfirm()
}

// dispatch hands a reply or a refusal to the call or message it answers.
func (o *outbound) dispatch(n *Node, msg *nats.Msg) {
	tag, ok := cutPrefix(msg.Subject, o.inbox)
	if !ok || len(tag) < 2 {
		return
	}
	id, err := strconv.ParseUint(tag[1:], 36, 64)
	if err != nil {
		return
	}
	switch tag[0] {
	case 'c':
		if p := o.take(id); p != nil {
			p.c.Done(n.outcome(p.link, p.c, msg))
		}
	case 's':
		s, ok := o.sends.take(id)
		if !ok {
			n.cfg.logger.Warn("natsdispatch: a one-way message was refused too late to reach its sender's dead-letter handler",
				"subject", msg.Header.Get("Nats-Subject"), "code", msg.Header.Get(hdrStatus)+msg.Header.Get("Nats-Service-Error-Code"),
				"error", msg.Header.Get("Nats-Service-Error"))
			return
		}
		err := n.failure(s.link, s.c, msg)
		if err == nil {
			err = fmt.Errorf("natsdispatch: %s[%q].%s: refused with a reply that says nothing", s.link.iface, s.c.Key, s.c.Method)
		}
		s.c.Done(err)
	}
}

// dispatchOne dispatches a message waiting in o.ch, if one is, and says
// whether it did. Close calls it once the delivery goroutine has ended, or
// while it is stuck in a Done.
func (o *outbound) dispatchOne(n *Node) bool {
	select {
	case msg := <-o.ch:
		o.dispatch(n, msg)
		return true
	default:
		return false
	}
}

// outcome reads the reply to c.
func (n *Node) outcome(l *link, c *runtime.RemoteCall, msg *nats.Msg) error {
	if err := n.failure(l, c, msg); err != nil {
		return err
	}
	if c.Result != nil {
		if err := n.cfg.codec.Unmarshal(msg.Data, c.Result); err != nil {
			return fmt.Errorf("natsdispatch: %s[%q].%s ran, but its result could not be decoded: %w",
				l.iface, c.Key, c.Method, err)
		}
	}
	return nil
}

// failure reads msg as a failure of c: the server's "no responders", or an
// error reply. It returns nil when msg is neither.
func (n *Node) failure(l *link, c *runtime.RemoteCall, msg *nats.Msg) error {
	if status := msg.Header.Get(hdrStatus); status != "" {
		if status == "503" && len(msg.Data) == 0 {
			return fmt.Errorf("natsdispatch: no node holds %s[%q], to call %s: %w",
				l.iface, c.Key, c.Method, runtime.ErrNoRecipient)
		}
		return fmt.Errorf("natsdispatch: %s[%q].%s: the server answered with status %s", l.iface, c.Key, c.Method, status)
	}
	if re, ok := n.remoteError(l.iface, c.Key, c.Method, msg); ok {
		return re
	}
	return nil
}

// close stops receiving replies.
func (o *outbound) close() error {
	if err := o.sub.Unsubscribe(); err != nil && err != nats.ErrConnectionClosed && err != nats.ErrBadSubscription {
		return fmt.Errorf("natsdispatch: unsubscribe the reply inbox: %w", err)
	}
	return nil
}

// failAll ends every call still waiting for a reply, and every one-way
// message the server has not confirmed reading, when the node closes and
// its delivery goroutines have ended, or Close gave up waiting for them.
// The replies and refusals that came before the reply inbox was
// unsubscribed, and that no goroutine handed on, reach their callers
// first.
func (o *outbound) failAll(ctx context.Context, n *Node) {
	for o.dispatchOne(n) {
	}
	o.mu.Lock()
	ids := make([]uint64, 0, len(o.calls))
	for id := range o.calls {
		ids = append(ids, id)
	}
	o.mu.Unlock()
	for _, id := range ids {
		o.expire(id, errNodeClosed)
	}
	o.settleAtClose(ctx, n)
	o.sends.clear()
}
