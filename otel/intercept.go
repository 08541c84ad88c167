package dispatchotel

import (
	"context"
	"encoding"
	"errors"
	"fmt"
	"runtime/debug"
	"sync"
	"time"

	"github.com/dispatchgen/dispatchgen/runtime"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"
)

// The attribute keys of spans and metrics.
const (
	AttrRecipient = attribute.Key("dispatch.recipient")
	AttrMethod    = attribute.Key("dispatch.method")
	AttrKey       = attribute.Key("dispatch.key")
	AttrOneWay    = attribute.Key("dispatch.one_way")
	AttrQueueWait = attribute.Key("dispatch.queue_wait")
)

// secondBuckets are the bounds of the histograms, in seconds: a message is
// handled in microseconds when its method does little, and may wait or
// run for seconds.
var secondBuckets = []float64{
	1e-6, 2.5e-6, 5e-6, 1e-5, 2.5e-5, 5e-5, 1e-4, 2.5e-4, 5e-4,
	1e-3, 2.5e-3, 5e-3, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
}

// interceptor holds what NewInterceptor's Interceptor records into.
type interceptor struct {
	tracer    trace.Tracer
	calls     metric.Int64Counter
	errs      metric.Int64Counter
	duration  metric.Float64Histogram
	queueWait metric.Float64Histogram
	// methods caches what the messages of each recipient and method share.
	methods sync.Map // methodOf -> *methodTelemetry
}

// methodTelemetry is what the messages of one method share: the span name
// and the attributes of the metrics.
type methodTelemetry struct {
	spanName string
	set      metric.MeasurementOption
}

// methodOf names a method of a recipient interface.
type methodOf struct{ recipient, method string }

// NewInterceptor returns an interceptor that makes a span for each message
// it wraps and records the message's metrics, as the package doc says.
// Give it to a dispatcher with runtime.WithInterceptors, outermost so that
// its span covers the interceptors inside it. Its error comes from the
// MeterProvider, which refused an instrument.
func NewInterceptor(opts ...Option) (runtime.Interceptor, error) {
	c := newConfig(opts)
	meter := c.meterProvider.Meter(scope)
	i := &interceptor{tracer: c.tracerProvider.Tracer(scope)}
	var errs [4]error
	i.calls, errs[0] = meter.Int64Counter("dispatch.calls",
		metric.WithUnit("{call}"), metric.WithDescription("Messages handled by recipients."))
	i.errs, errs[1] = meter.Int64Counter("dispatch.errors",
		metric.WithUnit("{call}"), metric.WithDescription("Messages handled that ended with an error, by error.type."))
	i.duration, errs[2] = meter.Float64Histogram("dispatch.call.duration",
		metric.WithUnit("s"), metric.WithDescription("How long recipients took to handle messages."),
		metric.WithExplicitBucketBoundaries(secondBuckets...))
	i.queueWait, errs[3] = meter.Float64Histogram("dispatch.queue.wait",
		metric.WithUnit("s"), metric.WithDescription("How long messages waited, for room and in the mailbox, before they were handled."),
		metric.WithExplicitBucketBoundaries(secondBuckets...))
	if err := errors.Join(errs[:]...); err != nil {
		return nil, fmt.Errorf("dispatchotel: %w", err)
	}
	return i.intercept, nil
}

// intercept is the runtime.Interceptor.
func (i *interceptor) intercept(ctx context.Context, info runtime.CallInfo, next func(context.Context) error) (err error) {
	start := time.Now()
	wait := max(start.Sub(info.Enqueued), 0)
	mt := i.method(info)
	ctx, span := i.tracer.Start(ctx, mt.spanName,
		trace.WithTimestamp(start),
		trace.WithSpanKind(spanKind(ctx, info.OneWay)),
		trace.WithAttributes(
			AttrRecipient.String(info.Recipient),
			AttrMethod.String(info.Method),
			AttrKey.String(keyText(info.Key)),
			AttrOneWay.Bool(info.OneWay),
			AttrQueueWait.Float64(wait.Seconds()),
		))
	// A panic in the method comes back from next as a *runtime.PanicError.
	// next does not return when the method calls runtime.Goexit, which no
	// one can stop, or when an interceptor inside this one panics: the span
	// ends then too, as a panic's, with the stack it unwinds and the value
	// the caller receives. The panic goes on to the runtime, which makes
	// the caller's error of it.
	returned := false
	defer func() {
		if returned {
			i.end(ctx, span, mt, info, err, time.Since(start), wait)
			return
		}
		// recover is nil under runtime.Goexit, and for a panic(nil) only
		// under GODEBUG=panicnil=1, which then ends the call here.
		v := recover()
		value := v
		if v == nil {
			value = runtime.ErrGoexit
		}
		err = &runtime.PanicError{Recipient: info.Recipient, Key: info.Key, Method: info.Method,
			Value: value, Stack: debug.Stack()}
		i.end(ctx, span, mt, info, err, time.Since(start), wait)
		if v != nil {
			panic(v)
		}
	}()
	err = next(ctx)
	returned = true
	return err
}

// end ends span, which took took, with err, and records the message's
// metrics.
func (i *interceptor) end(ctx context.Context, span trace.Span, mt *methodTelemetry, info runtime.CallInfo, err error, took, wait time.Duration) {
	set := mt.set
	i.calls.Add(ctx, 1, set)
	i.duration.Record(ctx, took.Seconds(), set)
	i.queueWait.Record(ctx, wait.Seconds(), set)
	if err != nil {
		kind := ErrorKind(err)
		span.SetAttributes(semconv.ErrorTypeKey.String(kind))
		var eventAttrs []attribute.KeyValue
		if pe, ok := errors.AsType[*runtime.PanicError](err); ok {
			eventAttrs = append(eventAttrs, semconv.ExceptionStacktrace(string(pe.Stack)))
		}
		span.RecordError(err, trace.WithAttributes(eventAttrs...))
		span.SetStatus(codes.Error, err.Error())
		i.errs.Add(ctx, 1, metric.WithAttributes(
			AttrRecipient.String(info.Recipient), AttrMethod.String(info.Method), semconv.ErrorTypeKey.String(kind)))
	}
	span.End()
}

// method returns what the messages of info's method share.
func (i *interceptor) method(info runtime.CallInfo) *methodTelemetry {
	k := methodOf{info.Recipient, info.Method}
	if mt, ok := i.methods.Load(k); ok {
		return mt.(*methodTelemetry)
	}
	mt, _ := i.methods.LoadOrStore(k, &methodTelemetry{
		spanName: info.Recipient + "." + info.Method,
		set: metric.WithAttributeSet(attribute.NewSet(
			AttrRecipient.String(info.Recipient), AttrMethod.String(info.Method))),
	})
	return mt.(*methodTelemetry)
}

// spanKind is Server, or Consumer for a one-way message, when ctx's span
// came from another process, and Internal otherwise.
func spanKind(ctx context.Context, oneWay bool) trace.SpanKind {
	switch {
	case !trace.SpanContextFromContext(ctx).IsRemote():
		return trace.SpanKindInternal
	case oneWay:
		return trace.SpanKindConsumer
	}
	return trace.SpanKindServer
}

// keyText writes key as the runtime's transports do: a string as it is, a
// encoding.TextMarshaler as it marshals itself, anything else as fmt
// prints it.
func keyText(key any) string {
	switch k := key.(type) {
	case string:
		return k
	case encoding.TextMarshaler:
		if b, err := k.MarshalText(); err == nil {
			return string(b)
		}
	}
	return fmt.Sprint(key)
}

// sentinels name the runtime's sentinel errors, as error.type gives them.
var sentinels = []struct {
	err  error
	kind string
}{
	{runtime.ErrNoRecipient, "no_recipient"},
	{runtime.ErrClosed, "closed"},
	{runtime.ErrMailboxFull, "mailbox_full"},
	{runtime.ErrDeadlock, "deadlock"},
	{runtime.ErrDuplicateKey, "duplicate_key"},
	{runtime.ErrNilRecipient, "nil_recipient"},
	{runtime.ErrNilContext, "nil_context"},
}

// ErrorKind returns what kind of error err is, as the span attribute and
// the metric attribute error.type give it: "panic" for a
// *runtime.PanicError, the name of the runtime sentinel err wraps,
// "canceled" or "deadline_exceeded" for a context error, else "method".
// A panic comes first, whatever its value wraps, and a sentinel before a
// context error, which a sentinel error may wrap too.
func ErrorKind(err error) string {
	if _, ok := errors.AsType[*runtime.PanicError](err); ok {
		return "panic"
	}
	for _, s := range sentinels {
		if errors.Is(err, s.err) {
			return s.kind
		}
	}
	switch {
	case errors.Is(err, context.Canceled):
		return "canceled"
	case errors.Is(err, context.DeadlineExceeded):
		return "deadline_exceeded"
	}
	return "method"
}
