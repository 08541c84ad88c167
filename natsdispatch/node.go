package natsdispatch

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/dispatchgen/dispatchgen/runtime"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nuid"
)

// Node is one process's side of dispatchgen over NATS: a runtime.Transport
// that dispatchers made WithTransport(node) use to claim their keys, to
// reach the recipients other processes hold, and to serve the calls others
// send to theirs. Make one per process, or per connection, and share it
// between that process's dispatchers; it is safe for concurrent use.
//
// A node holds four goroutines however many keys it holds: one delivers
// every message sent to its keys, one the replies to the calls it sends,
// one renews its lease, and one has the server confirm the one-way
// messages it sends. Each dispatcher that hosts keys adds those of
// its NATS micro service, about ten.
type Node struct {
	nc    *nats.Conn
	cfg   config
	id    string // this node's identity in service metadata and lease values
	start time.Time

	// ctx ends every inbound call's context and every background request
	// when the node closes.
	ctx    context.Context
	cancel context.CancelFunc
	done   chan struct{}
	wg     sync.WaitGroup
	closed atomic.Bool

	in  inbound
	out outbound
	own ownership

	mu    sync.Mutex
	links map[string]*link // by interface name
}

var _ runtime.Transport = (*Node)(nil)

// NewNode returns a node that uses nc, which it does not own: closing the
// node leaves nc open, and closing nc first makes the node lose its keys
// (see WithLeaseTTL). A node that only calls needs no JetStream; one that
// hosts recipients creates, on its first claim, the ownership buckets of
// its prefix if they do not exist.
func NewNode(nc *nats.Conn, opts ...Option) (*Node, error) {
	if nc == nil {
		return nil, errors.New("natsdispatch: nil connection")
	}
	cfg, err := newConfig(opts, int(nc.MaxPayload()))
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	n := &Node{
		nc:     nc,
		cfg:    cfg,
		id:     nuid.Next(),
		start:  time.Now(),
		ctx:    ctx,
		cancel: cancel,
		done:   make(chan struct{}),
		links:  make(map[string]*link),
	}
	n.in.init()
	n.own.init(n)
	if err := n.out.init(n); err != nil {
		cancel()
		return nil, err
	}
	n.wg.Add(4)
	go n.drain(n.in.ch, n.in.deliver)
	go n.drain(n.out.ch, n.out.dispatch)
	go n.own.run()
	go n.out.confirmSends(n, n.out.status)
	return n, nil
}

// Bind attaches svc, one dispatcher, to the node; runtime.WithTransport
// calls it. A node serves at most one dispatcher of each interface.
func (n *Node) Bind(svc runtime.Service) (runtime.Link, error) {
	l, err := newLink(n, svc)
	if err != nil {
		return nil, err
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.closed.Load() {
		return nil, errNodeClosed
	}
	if _, ok := n.links[l.iface]; ok {
		return nil, fmt.Errorf("natsdispatch: a dispatcher of %s is already bound to this node", l.iface)
	}
	n.links[l.iface] = l
	return l, nil
}

var errNodeClosed = fmt.Errorf("natsdispatch: node closed: %w", runtime.ErrClosed)

// Close stops serving, revokes the keys that dispatchers still hold through
// the node, releases their claims and its lease, and fails the calls still
// waiting for a reply with an error wrapping runtime.ErrClosed: their
// outcome is unknown. It has the server confirm reading the one-way
// messages sent, and hands those it did not confirm to their Done with an
// error wrapping nats.ErrDisconnected. Calls and claims through the node
// fail with runtime.ErrClosed after it. Close dispatchers first, so that
// they drain. ctx bounds the releases and the confirmation; a claim that
// could not be released in time is taken over once the lease has expired.
// Close waits, within ctx, for the node's goroutines, one of which may be
// running a Done or dead-letter handler, even one that called Close; and
// it waits for nats.go's connection lock, which a publish blocked on a
// full socket holds for up to the connection's write deadline, whatever
// ctx says.
func (n *Node) Close(ctx context.Context) error {
	if !n.closed.CompareAndSwap(false, true) {
		return nil
	}
	n.mu.Lock()
	links := make([]*link, 0, len(n.links))
	for _, l := range n.links {
		links = append(links, l)
	}
	n.mu.Unlock()
	var errs []error
	for _, l := range links {
		errs = append(errs, l.shutdown(ctx, true))
	}
	errs = append(errs, n.own.close(ctx))
	// The last confirmation goes out while the reply inbox still listens:
	// the server refuses a one-way message that nobody holds (503) before
	// it answers the PING behind it, so every such refusal is then in the
	// reply channel, which failAll empties.
	n.out.confirmBeforeClose(ctx, n)
	errs = append(errs, n.out.close())
	n.cancel()
	close(n.done)
	errs = append(errs, n.waitGoroutines(ctx))
	n.nc.RemoveStatusListener(n.out.status)
	n.out.failAll(ctx, n)
	return errors.Join(errs...)
}

// waitGoroutines waits, within ctx, for the node's goroutines to end. One
// that runs a Done, or a dead-letter handler, that blocks, or that called
// Close itself, ends only once that returns: Close goes on without it.
func (n *Node) waitGoroutines(ctx context.Context) error {
	ended := make(chan struct{})
	go func() {
		n.wg.Wait()
		close(ended)
	}()
	select {
	case <-ended:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("natsdispatch: close: a goroutine of the node is still running a Done or dead-letter handler: %w", ctx.Err())
	}
}

// since is the node's monotonic clock, for lease deadlines that the
// delivery goroutine reads atomically.
func (n *Node) since() time.Duration { return time.Since(n.start) }

// unlink forgets l, so that another dispatcher of its interface may bind.
func (n *Node) unlink(l *link) {
	n.mu.Lock()
	if n.links[l.iface] == l {
		delete(n.links, l.iface)
	}
	n.mu.Unlock()
}

// drain hands each message of ch to handle, on one goroutine, until the
// node closes.
func (n *Node) drain(ch chan *nats.Msg, handle func(*Node, *nats.Msg)) {
	defer n.wg.Done()
	for {
		select {
		case msg := <-ch:
			handle(n, msg)
		case <-n.done:
			return
		}
	}
}
