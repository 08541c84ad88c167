package natsdispatch

import (
	"context"
	"fmt"
	"slices"
	"sync/atomic"
	"time"

	"github.com/dispatchgen/dispatchgen/runtime"
	"github.com/nats-io/nats.go"
)

// serve checks msg, which arrived at now, and hands it to its dispatcher.
func (in *inbound) serve(n *Node, h *held, msg *nats.Msg, now time.Duration) {
	l := h.link
	method, ok := cutPrefix(msg.Subject, h.subjectPrefix)
	switch method {
	case cancelMethod:
		in.cancel(h, string(msg.Data))
		return
	case handoverMethod:
		// Another node's release of a key this node holds now: its
		// claim, which kept what came before this, was decided already.
		return
	}
	m, known := l.methods[method]
	if !ok || !known {
		replyRefused(n, l, msg, badRequest("natsdispatch: %s has no method %q", l.iface, method))
		return
	}
	if !m.OneWay && msg.Reply == "" {
		// Nobody could learn the outcome of a call without a reply subject.
		l.refused.Add(1)
		return
	}
	if len(msg.Data) > n.cfg.maxPayload {
		replyRefused(n, l, msg, &requestError{code: 413, err: fmt.Errorf(
			"natsdispatch: %d bytes of arguments, over this node's %d", len(msg.Data), n.cfg.maxPayload)})
		return
	}
	d := &delivery{n: n, link: l, msg: msg}
	d.in = runtime.Inbound{Key: h.key, Method: method, OneWay: m.OneWay, Decode: d.decode, Reply: d.reply}
	if m.OneWay {
		// The context bounds only the wait for room, so the messages of one
		// 1/64 of WithSendWait share it: each waits between 63/64 of
		// WithSendWait and all of it.
		l.oneWay.Add(1)
		d.in.Ctx = in.oneWay.get(n, now+n.cfg.sendWait, max(n.cfg.sendWait/64, time.Millisecond))
	} else {
		l.calls.Add(1)
		if err := in.startCall(n, h, d, now); err != nil {
			replyRefused(n, l, msg, err)
			return
		}
	}
	d.in.Ctx = n.extracted(d.in.Ctx, msg)
	in.hand(n, h, d)
}

// largePayload is the size from which a message's arguments are decoded
// off the delivery goroutine: JSON reads a few tens of megabytes a second,
// so a payload near the server's 1 MiB maximum would hold up every key's
// deliveries for tens of milliseconds.
const largePayload = 16 << 10

// hand gives d to its dispatcher's Serve, which decodes its arguments and
// queues it. A large payload is served on a goroutine of its own while the
// messages of h that come after it wait in h.pending, so that neither the
// other keys wait for its decode nor its own key's later messages overtake
// it; a marker queued once it is served lets them go on. Release and fence
// wait for it (h.inflight), as for a Serve under the read lock.
func (in *inbound) hand(n *Node, h *held, d *delivery) {
	if len(d.msg.Data) < largePayload {
		h.link.svc.Serve(&d.in)
		return
	}
	h.decoding = true
	h.inflight.Add(1)
	n.wg.Add(1)
	go func() {
		defer n.wg.Done()
		h.link.svc.Serve(&d.in)
		in.mark(n, h, markServed)
		h.inflight.Done()
	}()
}

// startCall reads the headers of d, a call, into its chain and its
// context, which it registers for the caller to cancel. It returns the
// error to refuse the call with, if any.
func (in *inbound) startCall(n *Node, h *held, d *delivery, now time.Duration) error {
	l, method := h.link, d.in.Method
	timeout, alive, err := callTimeout(d.msg.Header, n.cfg.maxTimeout)
	if err == nil {
		d.in.Chain, err = decodeChain(d.msg.Header.Get(hdrChain))
	}
	switch {
	case err != nil:
		return badRequest("natsdispatch: %v", err)
	case !alive:
		return fmt.Errorf("natsdispatch: %s[%q].%s arrived after its deadline: %w",
			l.iface, h.key, method, context.DeadlineExceeded)
	case slices.Contains(d.in.Chain, l.iface+"."+h.key):
		return fmt.Errorf("natsdispatch: %s[%q].%s waits on a call chain that %s[%q] is in: %w",
			l.iface, h.key, method, l.iface, h.key, runtime.ErrDeadlock)
	}
	// Each call has a context of its own, for its caller to cancel, under a
	// deadline shared with the calls due in the same millisecond.
	d.in.Ctx, d.cancel = context.WithCancel(in.calls.get(n, now+timeout, time.Millisecond))
	d.held = h
	in.runningMu.Lock()
	in.running[d.msg.Reply] = d
	in.runningMu.Unlock()
	return nil
}

// cancel cancels the call of h's whose reply subject is reply, if it is
// still being served.
func (in *inbound) cancel(h *held, reply string) {
	in.runningMu.Lock()
	d := in.running[reply]
	in.runningMu.Unlock()
	if d != nil && d.held == h {
		d.cancel()
	}
}

func cutPrefix(s, prefix string) (string, bool) {
	if len(s) < len(prefix) || s[:len(prefix)] != prefix {
		return "", false
	}
	return s[len(prefix):], true
}

// replyRefused answers msg, which was not served, with err.
func replyRefused(n *Node, l *link, msg *nats.Msg, err error) {
	l.refused.Add(1)
	if msg.Reply == "" {
		return
	}
	reply := errorReply(err, n.cfg.errs)
	reply.Subject = msg.Reply
	_ = n.nc.PublishMsg(reply)
}

// delivery is one inbound message handed to a dispatcher.
type delivery struct {
	in      runtime.Inbound
	n       *Node
	link    *link
	msg     *nats.Msg
	cancel  context.CancelFunc // nil for a one-way message's shared context
	held    *held              // a call's key, while it may be canceled; nil for one-way messages
	replied atomic.Bool
}

func (d *delivery) decode(v any) error {
	if err := d.n.cfg.codec.Unmarshal(d.msg.Data, v); err != nil {
		return badRequest("natsdispatch: decode arguments of %s.%s: %v", d.link.iface, d.in.Method, err)
	}
	return nil
}

// reply sends the outcome, once: a one-way message's only if it failed.
func (d *delivery) reply(result any, err error) {
	if !d.replied.CompareAndSwap(false, true) {
		return
	}
	if d.cancel != nil {
		d.cancel()
	}
	if d.held != nil {
		in := &d.n.in
		in.runningMu.Lock()
		if in.running[d.msg.Reply] == d {
			delete(in.running, d.msg.Reply)
		}
		in.runningMu.Unlock()
	}
	if d.msg.Reply == "" || d.in.OneWay && err == nil {
		return
	}
	var reply *nats.Msg
	if err == nil {
		reply = d.result(result)
	} else {
		reply = errorReply(err, d.n.cfg.errs)
	}
	reply.Subject = d.msg.Reply
	_ = d.n.nc.PublishMsg(reply)
}

func (d *delivery) result(result any) *nats.Msg {
	if result == nil {
		return &nats.Msg{}
	}
	data, err := d.n.cfg.codec.Marshal(result)
	if err != nil {
		return errorReply(fmt.Errorf("natsdispatch: %s.%s ran, but its result could not be encoded: %w",
			d.link.iface, d.in.Method, err), d.n.cfg.errs)
	}
	if max := int(d.n.nc.MaxPayload()); len(data) > max {
		return errorReply(fmt.Errorf("natsdispatch: %s.%s ran, but its result of %d bytes is over the server's max payload of %d",
			d.link.iface, d.in.Method, len(data), max), d.n.cfg.errs)
	}
	return &nats.Msg{Data: data}
}

// deadlineCache shares a context among the messages whose deadlines fall
// in one slot of its grid, so that a burst costs no timer per message: a
// deadline is rounded down to the grid. It is the delivery goroutine's.
type deadlineCache struct {
	at     time.Duration // the deadline, as n.since(), of ctx
	ctx    context.Context
	cancel context.CancelFunc
}

// get returns a context that ends at deadline, rounded down to grid, or
// when the node closes.
func (c *deadlineCache) get(n *Node, deadline, grid time.Duration) context.Context {
	deadline -= deadline % grid
	if c.ctx == nil || deadline != c.at {
		// The context replaced, still in use by earlier messages, ends at
		// its deadline, or with the node's: that releases it.
		c.ctx, c.cancel = context.WithDeadline(n.ctx, n.start.Add(deadline))
		c.at = deadline
	}
	return c.ctx
}
