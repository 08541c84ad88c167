package natsdispatch

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/dispatchgen/dispatchgen/runtime"
	"github.com/nats-io/nats.go"
)

// deliveryBuffer is how many messages, of all the keys a node holds, may
// wait for its delivery goroutine. Beyond it nats.go drops messages as a
// slow consumer; the goroutine only routes them, since Service.Serve never
// blocks, so it takes a burst far larger than a mailbox to fill it.
const deliveryBuffer = 1 << 16

// held is a key this node holds for one of its dispatchers.
type held struct {
	link  *link
	key   string
	kvKey string // the owner record's key: Interface.token
	// subjectPrefix is "<prefix>.<Iface>.<token>.": a message's subject
	// past it is the method.
	subjectPrefix string
	rev           uint64 // the owner record's revision
	sub           *nats.Subscription

	state heldState // guarded by inbound.mu
}

type heldState uint8

const (
	// stateLive keys are served.
	stateLive heldState = iota
	// stateReleased keys were given up: no other node can have received
	// the messages still queued for them, which fail with ErrNoRecipient.
	stateReleased
	// stateFenced keys were revoked because the lease lapsed: another node
	// may hold them, so their queued messages are dropped unanswered.
	stateFenced
)

// inbound is a node's delivery path: every key's subscription feeds one
// channel, which one goroutine drains.
type inbound struct {
	ch     chan *nats.Msg
	oneWay oneWayContexts // used by the delivery goroutine only

	mu   sync.RWMutex
	subs map[*nats.Subscription]*held
}

func (in *inbound) init() {
	in.ch = make(chan *nats.Msg, deliveryBuffer)
	in.subs = make(map[*nats.Subscription]*held)
}

// add subscribes h's subjects, unless the lease of epoch has lapsed since
// the record was claimed with it.
func (in *inbound) add(n *Node, h *held, epoch uint64) error {
	in.mu.Lock()
	defer in.mu.Unlock()
	if n.own.epoch.Load() != epoch {
		return errLeaseLost
	}
	sub, err := n.nc.ChanSubscribe(h.subjectPrefix+"*", in.ch)
	if err != nil {
		return err
	}
	h.sub = sub
	in.subs[sub] = h
	return nil
}

// release unsubscribes h. Its messages already queued are answered with
// ErrNoRecipient; a marker queued behind them removes it once they are.
func (in *inbound) release(n *Node, h *held) {
	in.mu.Lock()
	live := h.state == stateLive
	if live {
		h.state = stateReleased
		_ = h.sub.Unsubscribe()
	}
	in.mu.Unlock()
	if live {
		in.mark(n, h)
	}
}

// fence unsubscribes every live key, which the node can no longer prove it
// holds, and returns them by link.
func (in *inbound) fence(n *Node) map[*link][]*held {
	in.mu.Lock()
	byLink := make(map[*link][]*held)
	for _, h := range in.subs {
		if h.state == stateLive {
			h.state = stateFenced
			_ = h.sub.Unsubscribe()
			byLink[h.link] = append(byLink[h.link], h)
		}
	}
	in.mu.Unlock()
	for _, hs := range byLink {
		for _, h := range hs {
			in.mark(n, h)
		}
	}
	return byLink
}

// mark queues the marker that ends h's entry. nats.go delivers nothing for
// a subscription once Unsubscribe has returned, so the marker comes after
// every message of h's.
func (in *inbound) mark(n *Node, h *held) {
	select {
	case in.ch <- &nats.Msg{Sub: h.sub}:
	case <-n.done:
	}
}

func (in *inbound) run(n *Node) {
	defer n.wg.Done()
	defer in.oneWay.releaseAll()
	for {
		select {
		case msg := <-in.ch:
			in.deliver(n, msg)
		case <-n.done:
			return
		}
	}
}

// deliver routes one message to its dispatcher. It holds the read lock
// while the dispatcher's Serve runs, so that release and fence, which take
// the write lock, return only once no Serve of their keys is under way.
func (in *inbound) deliver(n *Node, msg *nats.Msg) {
	in.mu.RLock()
	h := in.subs[msg.Sub]
	if h == nil {
		in.mu.RUnlock()
		return
	}
	if msg.Subject == "" { // the marker of a released or fenced key
		in.mu.RUnlock()
		in.mu.Lock()
		if in.subs[msg.Sub] == h && h.state != stateLive {
			delete(in.subs, msg.Sub)
		}
		in.mu.Unlock()
		return
	}
	now := n.since()
	switch {
	case h.state == stateFenced:
	case h.state == stateReleased:
		replyRefused(n, h.link, msg, fmt.Errorf("natsdispatch: %s key %q was released: %w",
			h.link.iface, h.key, runtime.ErrNoRecipient))
	case now >= time.Duration(n.own.fenceAt.Load()):
		// The lease lapsed and the fence is on its way: stay silent, as for
		// a fenced key.
		n.own.poke()
	default:
		in.serve(n, h, msg, now)
	}
	in.mu.RUnlock()
}

// serve checks msg, which arrived at now, and hands it to its dispatcher.
func (in *inbound) serve(n *Node, h *held, msg *nats.Msg, now time.Duration) {
	l := h.link
	method, ok := cutPrefix(msg.Subject, h.subjectPrefix)
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
		l.oneWay.Add(1)
		d.in.Ctx = in.oneWay.get(n, now)
	} else {
		l.calls.Add(1)
		timeout, alive, err := callTimeout(msg.Header, n.cfg.maxTimeout)
		if err == nil {
			d.in.Chain, err = decodeChain(msg.Header.Get(hdrChain))
		}
		switch {
		case err != nil:
			replyRefused(n, l, msg, badRequest("natsdispatch: %v", err))
			return
		case !alive:
			replyRefused(n, l, msg, fmt.Errorf("natsdispatch: %s[%q].%s arrived after its deadline: %w",
				l.iface, h.key, method, context.DeadlineExceeded))
			return
		case slices.Contains(d.in.Chain, l.iface+"."+h.key):
			replyRefused(n, l, msg, fmt.Errorf("natsdispatch: %s[%q].%s waits on a call chain that %s[%q] is in: %w",
				l.iface, h.key, method, l.iface, h.key, runtime.ErrDeadlock))
			return
		}
		d.in.Ctx, d.cancel = context.WithTimeout(n.ctx, timeout)
	}
	l.svc.Serve(&d.in)
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

// oneWayContexts gives one-way messages their contexts, which bound only the
// wait for room in a full mailbox: the messages that arrive within one
// slot, 1/64 of WithSendWait, share a context, so that a burst costs no
// timer per message. A message may so wait between 63/64 of WithSendWait
// and all of it.
type oneWayContexts struct {
	ctx   context.Context
	until time.Duration // n.since() from which messages get a new context
	made  []expiring    // the contexts made, oldest first
}

type expiring struct {
	at     time.Duration
	cancel context.CancelFunc
}

func (c *oneWayContexts) get(n *Node, now time.Duration) context.Context {
	if c.ctx == nil || now >= c.until {
		for len(c.made) > 0 && c.made[0].at <= now {
			c.made[0].cancel() // ended already: this only lets it go
			c.made = c.made[1:]
		}
		wait := n.cfg.sendWait
		ctx, cancel := context.WithTimeout(n.ctx, wait)
		c.ctx, c.until = ctx, now+max(wait/64, time.Millisecond)
		c.made = append(c.made, expiring{at: now + wait, cancel: cancel})
	}
	return c.ctx
}

func (c *oneWayContexts) releaseAll() {
	for _, e := range c.made {
		e.cancel()
	}
	c.made = nil
}
