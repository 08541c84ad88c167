// Package dispatchotel traces and measures the calls of dispatchgen's
// dispatchers with OpenTelemetry.
//
// NewInterceptor returns a runtime.Interceptor that makes a span for each
// message a recipient handles, and records its metrics:
//
//	icpt, err := dispatchotel.NewInterceptor() // the global providers, or WithTracerProvider, WithMeterProvider
//	d := toolbox.NewToolServerDispatcher(runtime.WithInterceptors(icpt))
//	reg, err := dispatchotel.ObserveMailboxes("ToolServer", d.Stats)
//	defer reg.Unregister()
//
// The span of a message is a child of the span in the context it was sent
// with, so the calls a method makes with its own context are children of
// its span. Package natsotel carries the span context across processes, in
// the headers of package natsdispatch's messages.
//
// The package is named dispatchotel, not otel, so that it can be imported
// beside go.opentelemetry.io/otel without renaming either.
//
// # Spans
//
// A span is named "<Recipient>.<Method>" and starts when the recipient
// takes the message from its mailbox. Its attributes are:
//
//	dispatch.recipient   the recipient interface
//	dispatch.method      the method
//	dispatch.key         the key, as text
//	dispatch.one_way     true for a method without results
//	dispatch.queue_wait  seconds from the send to the start of the span
//	error.type           what kind of error the message ended with, if any
//
// A message that ended with an error has the status Error, the error as an
// event, and, for a panic, the panicking goroutine's stack in the event's
// exception.stacktrace. A span whose parent came from another process is
// of kind Server (Consumer for a one-way message), any other of kind
// Internal.
//
// # Error kinds
//
// error.type is "panic" for a *runtime.PanicError (a method that panicked
// or called runtime.Goexit); else the name of the runtime sentinel error
// that the error wraps ("no_recipient", "closed", "mailbox_full",
// "deadlock", "duplicate_key", "nil_recipient", "nil_context"); else
// "canceled" or "deadline_exceeded" for a context error; else "method",
// an error of the method's own.
//
// # Metrics
//
// The instruments, each with the attributes dispatch.recipient and
// dispatch.method, are:
//
//	dispatch.calls           counter, the messages handled
//	dispatch.errors          counter, those that ended with an error, by error.type too
//	dispatch.call.duration   histogram, seconds the handling took
//	dispatch.queue.wait      histogram, seconds from the send to the handling
//
// and, from ObserveMailboxes, the gauges dispatch.mailbox.queued (the
// messages queued in all the recipients of the dispatchers observed under
// one recipient name) and dispatch.mailbox.queued.max (in the fullest of
// them), with the attribute dispatch.recipient only: keys are as many as a user makes, too many for
// the attributes of a metric.
package dispatchotel
