package runtime

import "context"

// Transport reaches the recipients that other processes hold. A dispatcher
// made WithTransport binds itself to its transport once, and from then on
// claims on the transport every key it registers, sends to the transport the
// calls for keys it does not hold, and serves the calls that other processes
// send to the keys it holds. The package natsdispatch provides one over NATS.
//
// The runtime knows a transport only through this interface, and a
// dispatcher without one pays nothing for it.
type Transport interface {
	// Bind attaches svc, one dispatcher, to the transport and returns the
	// link through which that dispatcher claims keys and reaches other
	// processes. It is called once per dispatcher.
	Bind(svc Service) (Link, error)
}

// Service is a dispatcher as its transport sees it.
type Service interface {
	// Interface returns the name of the recipient interface, as the
	// annotation's interface is named in Go source.
	Interface() string
	// Methods describes the interface's methods, in source order.
	Methods() []MethodInfo
	// Serve hands in, a call that another process sent, to the recipient
	// registered here under in.Key. It never blocks: the call waits in the
	// recipient's mailbox, or for room in it, not in Serve, since the
	// transport delivers every key's messages from one goroutine, in the
	// order they arrived. in.Reply is called exactly once, when the call has
	// ended, from whatever goroutine ended it, possibly within Serve.
	Serve(in *Inbound)
	// Revoke stops at once the recipients under keys, whose claims this
	// process no longer holds (its lease could not be renewed, or the
	// transport is closing): their queued messages fail with ErrClosed, and
	// calls to those keys go to the transport from then on. Once Revoke is
	// called, Serve is not called for those keys again unless they are
	// claimed anew. Revoke must not call back into the transport.
	Revoke(keys []string)
	// Stats returns the counters of the recipients registered here, by the
	// text of their keys.
	Stats() map[string]Stats
}

// MethodInfo describes one method of a recipient interface to its transport.
type MethodInfo struct {
	// Name is the method's name.
	Name string
	// OneWay is set for a method without results: the transport sends no
	// reply when it has run, and waits for none.
	OneWay bool
}

// Link is one dispatcher's side of its transport. Keys are given as their
// text: a string as it is, an integer in decimal, a key that implements
// encoding.TextMarshaler as MarshalText writes it.
type Link interface {
	// Claim takes key for this process, cluster-wide. It fails with an
	// error wrapping ErrDuplicateKey when another process holds key. The
	// dispatcher claims a key it has released only once Release has
	// returned.
	Claim(ctx context.Context, key string) error
	// Release gives up this process's claim of key, once its recipient has
	// drained, so that another process may claim it at once.
	Release(ctx context.Context, key string) error
	// Call and Send read c.Args before they return.
	//
	// Call sends c to the process that holds c.Key and, once the outcome is
	// known, decodes the result into c.Result and calls c.Done exactly once.
	// It does not wait for the outcome; c.Done may be called before Call
	// returns, when the call cannot be sent. When c.Ctx ends first, the
	// transport calls c.Done then, with an error wrapping c.Ctx's: a
	// synchronous caller waits for c.Done alone, so that its error says
	// what the transport knows of the call.
	Call(c *RemoteCall)
	// Send sends c, a one-way message, to the process that holds c.Key. It
	// calls c.Done, at most once, only if the message could not be
	// delivered, with an error that says why; that may happen before Send
	// returns, or after a while, when the hosting process refuses it. The
	// transport keeps c for as long as a refusal may come back, so the
	// caller must not reuse it.
	Send(c *RemoteCall)
	// Close stops serving the dispatcher's keys and releases its claims. It
	// is called by the dispatcher's Close, after the dispatcher's own
	// recipients have drained.
	Close(ctx context.Context) error
}

// RemoteCall is a call, or a one-way message, to a recipient that another
// process holds.
type RemoteCall struct {
	// Ctx is the caller's context: its deadline and its cancellation travel
	// with the call, its values do not.
	Ctx context.Context
	// Key is the text of the recipient's key and Method the method to run.
	Key    string
	Method string
	// Args holds the arguments, for the transport's codec to write.
	Args any
	// Result is what the reply is decoded into: a pointer to the method's
	// result, or nil for a one-way message and a method whose only result
	// is an error.
	Result any
	// Chain names the recipients waiting, directly or through other calls,
	// for this call to end, outermost first, each as Interface + "." + key
	// text. The process that holds the call's recipient fails the call with
	// ErrDeadlock when Chain names that recipient; a chain that only passes
	// through a process twice (a→b→c, with a and c in one process) is not a
	// cycle. One-way messages carry no chain, since nobody waits for them.
	Chain []string
	// Done receives the call's outcome: nil once Result holds the result,
	// or an error that wraps the runtime's sentinel errors, a context error,
	// a *PanicError, or the error the remote method returned, as the
	// transport could carry it. It is called on one of the transport's
	// goroutines, which deliver other calls' outcomes too, so it must not
	// block.
	Done func(err error)
}

// Inbound is a call, or a one-way message, that another process sent to a
// recipient of this one.
type Inbound struct {
	// Ctx bounds the call: it ends at the caller's deadline, as far as the
	// transport trusts it, when the caller cancels the call, and when the
	// transport stops. For a one-way
	// message it bounds only the wait for room in a full mailbox, as a
	// one-way message's context does in one process: one still waiting when
	// Ctx ends is refused with an error wrapping ErrMailboxFull, and one that
	// has found room runs whatever becomes of Ctx.
	Ctx context.Context
	// Key is the text of the recipient's key and Method the method to run.
	Key    string
	Method string
	// OneWay is set for a message of a method without results.
	OneWay bool
	// Chain is the RemoteCall's Chain, as the transport received it. The
	// transport has already failed a call whose Chain names its own
	// recipient; the Service carries Chain, followed by this recipient, into
	// the calls the recipient makes while it serves this one, so that a
	// cycle that closes in a later process is found there.
	Chain []string
	// Decode decodes the arguments into v, a pointer to the generated
	// arguments of Method. Its error, given to Reply as it is, tells the
	// caller that the arguments could not be read.
	Decode func(v any) error
	// Reply ends the call with result, a pointer to the method's result
	// (nil when err is not, and for one-way messages), or with err. For a
	// one-way message that ran, err is nil and nothing need be sent.
	Reply func(result any, err error)
}
