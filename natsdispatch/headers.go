package natsdispatch

import (
	"context"
	"strings"

	"github.com/nats-io/nats.go"
)

// HeaderPropagator carries what a caller's context holds beyond its
// deadline and cancellation, such as the span context of a trace, across
// the headers of the messages a node sends, so that the call it serves on
// another node sees it too. natsdispatch knows no tracing system: it only
// calls Inject on the sending node and Extract on the serving one.
// Package github.com/dispatchgen/dispatchgen/otel/natsotel adapts an
// OpenTelemetry TextMapPropagator.
type HeaderPropagator interface {
	// Inject writes into h what ctx, the context of a call or one-way
	// message being sent, carries. The node drops the headers Inject
	// writes whose names start with "Dispatch-" or "Nats-", in any case,
	// which are its own and the server's.
	Inject(ctx context.Context, h nats.Header)
	// Extract returns ctx, the context of a call or one-way message a node
	// is about to serve, with what h carries; h is nil for a message sent
	// without headers. The values of h come from
	// the network: Extract must check them as untrusted input, and return
	// ctx itself when it finds nothing it can use.
	Extract(ctx context.Context, h nats.Header) context.Context
}

// WithHeaders sets the propagator that carries the context of every call
// and one-way message the node sends, and that puts it back into the
// context of every one it serves. Use the same propagator on every node of
// a prefix. Without it, the node sends only its own headers, and a call
// whose context has no deadline and no call chain is sent with none.
func WithHeaders(p HeaderPropagator) Option {
	return func(c *config) { c.headers = p }
}

// propagated returns the headers that n's propagator writes for ctx, less
// those that are the node's own or the server's, or nil when the node has
// no propagator or it wrote none.
func (n *Node) propagated(ctx context.Context) nats.Header {
	p := n.cfg.headers
	if p == nil {
		return nil
	}
	h := nats.Header{}
	p.Inject(ctx, h)
	for name := range h {
		if hasPrefixFold(name, "Dispatch-") || hasPrefixFold(name, "Nats-") {
			delete(h, name)
		}
	}
	if len(h) == 0 {
		return nil
	}
	return h
}

// extracted returns ctx with what msg's headers carry for n's propagator,
// or ctx itself when the node has none.
func (n *Node) extracted(ctx context.Context, msg *nats.Msg) context.Context {
	if p := n.cfg.headers; p != nil {
		return p.Extract(ctx, msg.Header)
	}
	return ctx
}

// hasPrefixFold reports whether s starts with prefix, in any case.
func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}
