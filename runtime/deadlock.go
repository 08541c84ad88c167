package runtime

import (
	"context"
	"slices"
	"sync"
)

// node is the part of a recipient that deadlock detection sees. It is not
// generic, so that a cycle through dispatchers of different interfaces is
// found as well as one within a dispatcher.
//
// A recipient's node records the recipients its handler is waiting for right
// now: the callee of each synchronous call in progress and the target of each
// Future being awaited. A handler may wait for several at once when it fans
// out from goroutines of its own, so this is a multiset, not one pointer.
type node struct {
	mu    sync.Mutex
	waits []*node
	// label names the recipient in the chains of calls that cross
	// processes, as Interface + "." + key text; it is empty for recipients
	// that no other process can call.
	label string
}

// maxWaitWalk bounds the search of the wait-for graph, so that a pathological
// graph costs a bounded time; beyond it no deadlock is reported.
const maxWaitWalk = 1024

// beginWait records that n is about to wait for target, or reports
// ErrDeadlock when target is, directly or around a cycle, waiting for n.
// Recording before searching means that of two recipients closing a cycle at
// the same moment, at least one sees the other's record.
func (n *node) beginWait(target *node) error {
	if target == nil {
		return nil
	}
	n.mu.Lock()
	n.waits = append(n.waits, target)
	n.mu.Unlock()
	if target.waitsFor(n) {
		n.endWait(target)
		return ErrDeadlock
	}
	return nil
}

// endWait removes one record of n waiting for target.
func (n *node) endWait(target *node) {
	if target == nil {
		return
	}
	n.mu.Lock()
	for i, w := range n.waits {
		if w == target {
			last := len(n.waits) - 1
			n.waits[i] = n.waits[last]
			n.waits[last] = nil
			n.waits = n.waits[:last]
			break
		}
	}
	n.mu.Unlock()
}

// waitsFor reports whether n is to, or waits for to through a chain of waits.
func (n *node) waitsFor(to *node) bool {
	var stackBuf, seenBuf [16]*node
	stack := append(stackBuf[:0], n)
	seen := seenBuf[:0]
	for len(stack) > 0 && len(seen) < maxWaitWalk {
		x := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if x == to {
			return true
		}
		if contains(seen, x) {
			continue
		}
		seen = append(seen, x)
		x.mu.Lock()
		stack = append(stack, x.waits...)
		x.mu.Unlock()
	}
	return false
}

func contains(s []*node, x *node) bool {
	for _, y := range s {
		if y == x {
			return true
		}
	}
	return false
}

// frameKey is the context key under which a handler's context holds the node
// of the recipient it runs on.
type frameKey struct{}

// handlerCtx is the context a recipient's method receives: the caller's
// context, marked with the recipient so that a call made with it, or with a
// context derived from it, is known to come from that recipient.
type handlerCtx struct {
	context.Context
	n *node
}

// Value returns the recipient's node for frameKey and defers to the caller's
// context for every other key.
func (c *handlerCtx) Value(key any) any {
	switch key.(type) {
	case frameKey:
		return c.n
	case chainKey:
		// A call made with this context, by a recipient that other
		// processes may call, is waited on by it too.
		if c.n.label != "" {
			return append(slices.Clip(chainOf(c.Context)), c.n.label)
		}
	}
	return c.Context.Value(key)
}

// callerNode returns the node of the recipient whose method ctx was given to,
// or nil when ctx does not come from a recipient.
func callerNode(ctx context.Context) *node {
	n, _ := ctx.Value(frameKey{}).(*node)
	return n
}
