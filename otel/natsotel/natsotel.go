// Package natsotel carries OpenTelemetry's context, a trace's span context
// and baggage, in the headers of package natsdispatch's messages, so that
// the span that dispatchotel's interceptor makes for a call served in one
// process is a child of the span of the caller in another:
//
//	node, err := natsdispatch.NewNode(nc, natsdispatch.WithHeaders(natsotel.Headers(nil)))
//
// It is a package of its own so that dispatchotel does not bring NATS into
// a program that does not use it.
package natsotel

import (
	"context"
	"strings"

	"github.com/dispatchgen/dispatchgen/natsdispatch"
	"github.com/nats-io/nats.go"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/propagation"
)

// Headers returns a natsdispatch.HeaderPropagator that writes and reads
// what p propagates, under the header names p uses ("traceparent" and
// "tracestate" for the W3C trace context). With a nil p it uses the global
// propagator, otel.GetTextMapPropagator(), as it is at each message. Use
// the same propagator on every node of a prefix.
func Headers(p propagation.TextMapPropagator) natsdispatch.HeaderPropagator {
	return headers{p}
}

type headers struct{ p propagation.TextMapPropagator }

func (h headers) propagator() propagation.TextMapPropagator {
	if h.p != nil {
		return h.p
	}
	return otel.GetTextMapPropagator()
}

// Inject writes ctx's span context, and what else the propagator carries,
// into hdr.
func (h headers) Inject(ctx context.Context, hdr nats.Header) {
	h.propagator().Inject(ctx, carrier(hdr))
}

// Extract returns ctx with the span context that hdr carries as the remote
// parent of the spans started from it. The propagator checks the values,
// which come from the network, and ignores those it cannot parse.
func (h headers) Extract(ctx context.Context, hdr nats.Header) context.Context {
	if len(hdr) == 0 {
		return ctx
	}
	return h.propagator().Extract(ctx, carrier(hdr))
}

// carrier is a propagation.TextMapCarrier over NATS headers, whose names
// are case-sensitive: it writes a name as the propagator gives it, and
// reads it in that case first, in any other if need be, since other
// instrumentations of NATS may write "Traceparent".
type carrier nats.Header

func (c carrier) Get(key string) string {
	if v := c[key]; len(v) > 0 {
		return v[0]
	}
	for name, v := range c {
		if len(v) > 0 && strings.EqualFold(name, key) {
			return v[0]
		}
	}
	return ""
}

func (c carrier) Set(key, value string) { c[key] = []string{value} }

func (c carrier) Keys() []string {
	keys := make([]string, 0, len(c))
	for name := range c {
		keys = append(keys, name)
	}
	return keys
}
