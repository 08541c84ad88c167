package natsdispatch

import (
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/dispatchgen/dispatchgen/runtime"
	"github.com/nats-io/nats.go"
)

// deliveryBuffer is how many messages, of all the keys a node holds, may
// wait for its delivery goroutine. Beyond it nats.go drops messages as a
// slow consumer; the goroutine only routes them, since Service.Serve never
// blocks, so it takes a burst far larger than a mailbox to fill it.
const deliveryBuffer = 1 << 16

// held is a key this node holds, or is claiming, for one of its
// dispatchers.
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

	// While buffering, the messages that arrive are kept in pending, in
	// order, until the claim has been decided, and the reply subjects of
	// those past maxPending in overflow, to be refused if the claim is won.
	// All three are the delivery goroutine's alone once h is added.
	buffering bool
	pending   []*nats.Msg
	overflow  []string
	// dropped counts the messages past maxPending and maxOverflow.
	dropped int
	// decoding is set, by the delivery goroutine, while a large message
	// of h's is served on a goroutine of its own (see hand): the messages
	// that come meanwhile are kept as while buffering. inflight counts
	// those goroutines.
	decoding bool
	inflight sync.WaitGroup
}

type heldState uint8

const (
	// stateClaiming keys are subscribed while their owner record is being
	// claimed, so that the server routes their subjects here by the time
	// the claim is confirmed, with no round trip of its own.
	stateClaiming heldState = iota
	// stateLive keys are served.
	stateLive
	// stateReleased keys were given up: no other node can have received
	// the messages still queued for them, which fail with ErrNoRecipient.
	stateReleased
	// stateFenced keys were revoked because the lease lapsed, or were not
	// won: another node may hold them, so their queued messages are
	// dropped unanswered.
	stateFenced
)

// maxPending bounds the messages kept for a key while it is claimed. Of
// those past it the node keeps only the reply subjects, up to maxOverflow,
// and refuses them with runtime.ErrMailboxFull once the claim is won; a
// claim lost, they are dropped, as the winner serves them. Past
// maxOverflow, as many as the delivery channel holds, messages are dropped
// unanswered, and logged.
const (
	maxPending  = 1024
	maxOverflow = deliveryBuffer
)

// The kinds of marker, a message with no subject that the node queues
// behind a key's messages, in msg.Reply.
const (
	markEnd    = ""       // the key's entry is to go
	markReady  = "ready"  // the claim is decided: serve what is pending
	markServed = "served" // a large message is served: serve what is pending
)

// inbound is a node's delivery path: every key's subscription feeds one
// channel, which one goroutine drains.
type inbound struct {
	ch chan *nats.Msg
	// The delivery goroutine's shared contexts: one-way messages' bound
	// the wait for room, calls' their deadlines.
	oneWay, calls deadlineCache

	mu   sync.RWMutex
	subs map[*nats.Subscription]*held

	// running holds the calls being served, by reply subject, for their
	// callers to cancel.
	runningMu sync.Mutex
	running   map[string]*delivery
}

// cancelMethod is the method of the message that cancels a call: its
// payload is the call's reply subject. No Go method can be so named.
const cancelMethod = "$cancel"

// handoverMethod is the method of the message that a node publishes to a
// key's subjects as it releases a key it served, after it has stopped
// serving it and before it unsubscribes: whatever a node claiming the key
// kept before the marker, the owner received too, and ran or refused, so
// the claimant serves only what comes after it. What comes between the
// marker and the unsubscription the owner refuses and the claimant runs:
// a dead letter for a message that ran, in a window of two commands of
// the owner's connection, rather than a message run twice or lost.
const handoverMethod = "$handover"

func (in *inbound) init() {
	in.ch = make(chan *nats.Msg, deliveryBuffer)
	in.subs = make(map[*nats.Subscription]*held)
	in.running = make(map[string]*delivery)
}

// add subscribes h's subjects while its record is claimed, unless the lease
// of epoch has lapsed. The server processes the subscription before the
// claim that follows it on the connection, so once the claim is confirmed
// the subjects are routed here.
func (in *inbound) add(n *Node, h *held, epoch uint64) error {
	in.mu.Lock()
	defer in.mu.Unlock()
	if n.own.epoch.Load() != epoch {
		return errLeaseLost
	}
	h.state, h.buffering = stateClaiming, true
	sub, err := n.nc.ChanSubscribe(h.subjectPrefix+"*", in.ch)
	if err != nil {
		return err
	}
	h.sub = sub
	in.subs[sub] = h
	return nil
}

// activate makes h, whose record is now claimed at rev, live, unless the
// lease of epoch has lapsed meanwhile. The messages that came while it was
// claimed are served first, in order.
func (in *inbound) activate(n *Node, h *held, rev uint64, epoch uint64) error {
	in.mu.Lock()
	ok := h.state == stateClaiming && n.own.epoch.Load() == epoch
	if ok {
		h.state, h.rev = stateLive, rev
	}
	in.mu.Unlock()
	if !ok {
		return errLeaseLost
	}
	in.mark(n, h, markReady)
	return nil
}

// release unsubscribes h. Its messages already queued are answered with
// ErrNoRecipient; a marker queued behind them removes it once they are.
func (in *inbound) release(n *Node, h *held) {
	in.end(n, h, stateReleased)
}

// abandon unsubscribes h, whose claim failed: another node may hold it, so
// what came for it is dropped.
func (in *inbound) abandon(n *Node, h *held) {
	in.end(n, h, stateFenced)
}

func (in *inbound) end(n *Node, h *held, state heldState) {
	in.mu.Lock()
	active := h.state == stateLive || h.state == stateClaiming
	if active {
		handover := h.state == stateLive && state == stateReleased
		h.state = state
		if handover {
			_ = n.nc.Publish(h.subjectPrefix+handoverMethod, nil)
		}
		_ = h.sub.Unsubscribe()
	}
	in.mu.Unlock()
	if active {
		h.inflight.Wait()
		in.mark(n, h, markEnd)
	}
}

// fence unsubscribes every key, live or being claimed, which the node can
// no longer prove it holds, and returns the live ones by link.
func (in *inbound) fence(n *Node) map[*link][]*held {
	in.mu.Lock()
	byLink := make(map[*link][]*held)
	var ended []*held
	for _, h := range in.subs {
		if h.state == stateLive || h.state == stateClaiming {
			if h.state == stateLive {
				byLink[h.link] = append(byLink[h.link], h)
			}
			h.state = stateFenced
			_ = h.sub.Unsubscribe()
			ended = append(ended, h)
		}
	}
	in.mu.Unlock()
	for _, h := range ended {
		h.inflight.Wait()
		in.mark(n, h, markEnd)
	}
	return byLink
}

// mark queues a marker of kind behind h's messages. nats.go delivers
// nothing for a subscription once Unsubscribe has returned, so an end
// marker comes after every message of h's.
func (in *inbound) mark(n *Node, h *held, kind string) {
	select {
	case in.ch <- &nats.Msg{Sub: h.sub, Reply: kind}:
	case <-n.done:
	}
}

// deliver routes one message to its dispatcher. It holds the read lock
// while the dispatcher's Serve runs, so that release and fence, which take
// the write lock, return only once no Serve of their keys is under way.
func (in *inbound) deliver(n *Node, msg *nats.Msg) {
	in.mu.RLock()
	h := in.subs[msg.Sub]
	switch {
	case h == nil:
		in.mu.RUnlock()
	case msg.Subject == "" && msg.Reply == markReady:
		in.mu.RUnlock()
		h.buffering = false
		in.servePending(n, h)
	case msg.Subject == "" && msg.Reply == markServed:
		in.mu.RUnlock()
		h.decoding = false
		in.servePending(n, h)
	case msg.Subject == "": // markEnd
		in.mu.RUnlock()
		in.mu.Lock()
		if in.subs[msg.Sub] == h && h.state != stateLive && h.state != stateClaiming {
			delete(in.subs, msg.Sub)
		}
		in.mu.Unlock()
	case h.buffering && strings.HasSuffix(msg.Subject, "."+handoverMethod):
		// The key's last owner received all that was kept so far.
		h.pending, h.overflow, h.dropped = nil, nil, 0
		in.mu.RUnlock()
	case (h.buffering || h.decoding) && h.state != stateFenced:
		h.keep(msg)
		in.mu.RUnlock()
	default:
		in.route(n, h, msg)
		in.mu.RUnlock()
	}
}

// keep buffers msg, which came while h was claimed or decoding.
func (h *held) keep(msg *nats.Msg) {
	switch {
	case len(h.pending) < maxPending:
		h.pending = append(h.pending, msg)
	case msg.Reply != "" && len(h.overflow) < maxOverflow:
		h.overflow = append(h.overflow, msg.Reply)
	default:
		h.dropped++
	}
}

// servePending serves, in order, the messages kept while h was claimed or
// decoding, until one of them is large enough to be decoded apart, and
// once all are served refuses those past maxPending.
func (in *inbound) servePending(n *Node, h *held) {
	for len(h.pending) > 0 && !h.decoding {
		m := h.pending[0]
		h.pending[0] = nil
		h.pending = h.pending[1:]
		in.mu.RLock()
		in.route(n, h, m)
		in.mu.RUnlock()
	}
	if h.decoding || h.buffering {
		return
	}
	overflow, dropped := h.overflow, h.dropped
	h.pending, h.overflow, h.dropped = nil, nil, 0
	if len(overflow) == 0 && dropped == 0 {
		return
	}
	in.mu.RLock()
	fenced := h.state == stateFenced
	in.mu.RUnlock()
	if fenced {
		return
	}
	err := fmt.Errorf("natsdispatch: %s key %q got more messages while it was claimed, or while a large message before them was decoded, than a node keeps (%d): %w",
		h.link.iface, h.key, maxPending, runtime.ErrMailboxFull)
	for _, reply := range overflow {
		replyRefused(n, h.link, &nats.Msg{Reply: reply}, err)
	}
	if dropped > 0 {
		n.cfg.logger.Warn("natsdispatch: messages that came while their key was claimed, or decoding a large message, were dropped unanswered",
			"interface", h.link.iface, "key", h.key, "dropped", dropped)
	}
}

// route serves msg, or answers it, as h's state says. The read lock is held.
func (in *inbound) route(n *Node, h *held, msg *nats.Msg) {
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
}
