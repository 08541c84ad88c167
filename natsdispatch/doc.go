// Package natsdispatch carries dispatchgen's calls between processes over
// NATS. A Node is a runtime.Transport: a dispatcher made with
// runtime.WithTransport(node) claims its keys cluster-wide, runs the calls
// for the keys it holds itself, and sends the others to the process that
// holds them, through the same typed Ref.
//
//	nc, err := nats.Connect(url, userOptions...) // auth, TLS, accounts: yours
//	node, err := natsdispatch.NewNode(nc, natsdispatch.WithPrefix("tools"))
//	defer node.Close(ctx)
//	d := toolbox.NewToolServerDispatcher(runtime.WithTransport(node))
//	err = d.Register("github", gh) // runtime.ErrDuplicateKey if another process holds it
//	res, err := d.To("github").CallTool(ctx, "search", args)
//
// For tests and single-machine runs, package embedded starts a server in
// the process in one call.
//
// # Subjects
//
// A call to the recipient of interface I under key k, method M, is a
// message on "<prefix>.I.<token>.M". The token is the key's text when it
// matches [A-Za-z0-9][A-Za-z0-9_-]*, else "_" and the text in unpadded
// base64url, so that no key's subject holds a '.', a wildcard or a space,
// and no two keys share one. A key's text is a string as it is, an integer
// in decimal, a type implementing encoding.TextMarshaler as MarshalText
// writes it. A key whose token would be longer than MaxTokenLen is refused
// with ErrKeyTooLong before anything is published: a subject beyond the
// server's 4 KiB control line would close the connection.
//
// # Ownership
//
// Each claimed key has an owner record in the JetStream KV bucket
// "<prefix>_owners" ('.' in the prefix written as '_'), created with KV
// Create, so that of nodes that claim a key at once exactly one wins.
// The record names the owner's lease, a record in "<prefix>_leases", whose
// MaxAge is the lease TTL (WithLeaseTTL). Each node renews its one lease
// five times per TTL, whatever the number of keys it holds. A record is
// taken over, with an Update checked against its revision, only when the
// lease it names is gone. A node that cannot renew its lease for 0.8 ×
// TTL stops serving: it unsubscribes from its keys and revokes them from
// their dispatchers before any other node can see its lease expire, and
// takes a new lease for its next claim. Release, which Unregister and
// Close call once the recipient has drained, deletes the record, so that
// another node can claim the key at once. A lease is gone when its record
// is older than the TTL on the server's clock (JetStream's age check, which
// removes the record, can run a quarter of a TTL or more late), so the keys
// of a node that vanished are claimable a TTL after its last renewal. On a
// server whose stream info does not say its time, a lease is gone once its
// record has not changed for a TTL of the claimant's clock, from the first
// read that found it so: a claim made once the owner has vanished fails,
// and one made a TTL later succeeds. A call
// that the server routed to that node before it dropped the node's
// connection ends only at the caller's deadline: nobody is left to answer.
//
// # Delivery
//
// A call is a request: its reply, an error reply or the server's "no
// responders" ends it. A key that nobody holds fails at once with an error
// wrapping runtime.ErrNoRecipient. A one-way message is one publish, with
// a reply subject that only a refusal uses: nobody holding the key, the
// recipient's mailbox still full after WithSendWait, arguments it could
// not read. A refusal reaches the message's Done, and so the sending
// dispatcher's dead-letter handler, if it comes back while the node still
// remembers the message (see sendRingSize). Nothing is retried: a call
// whose reply does not come fails with an error that says its outcome is
// unknown. While the node's connection is down (nats.go reconnecting), a
// call or one-way message is not sent, rather than buffered until the
// connection is back: it fails at once with an error wrapping
// nats.ErrConnectionReconnecting, and surely did not run. A call sent
// before the connection went down waits for its reply until its deadline.
// A one-way message sent as the connection went down, before nats.go saw
// it go, may be lost with it: the node has the server confirm, with a PING
// every few milliseconds while messages flow, that it has read them, and
// when the connection drops, those it had not confirmed reach the
// dead-letter handler with an error wrapping nats.ErrDisconnected, which
// says that whether they were delivered is unknown. A PING confirms only
// the messages sent on the connection that answers it: those sent on a
// connection that has dropped are unknown however quickly nats.go comes
// back, and those sent on the new one are confirmed by its own PINGs.
// Node.Close has the server confirm, within its context, the messages not
// yet confirmed, while the node still listens for refusals, and hands the
// rest to Done as unknown. The confirmation covers the sender's leg only:
// a refusal that comes back while the sender's connection is down is lost
// with it, and so is a message that the server had already routed to a
// hosting node whose own connection then failed. While a node claims a
// key it keeps the first 1024 messages that come for it, to serve once the
// claim is won, and refuses the next 65 536 with an error wrapping
// runtime.ErrMailboxFull then; a lost claim leaves them to the winner.
// When the claim is won from an owner that released the key meanwhile,
// the owner has run or refused what came before its release, and the
// claimant serves only what came after: a marker the owner publishes to
// the key's subjects as it releases it divides the two. A message that
// comes as the owner unsubscribes, in the time the server takes to
// process two of the owner's commands, may reach the dead-letter handler
// though the claimant runs it.
//
// A hosting node delivers the messages of all its keys from one goroutine:
// each key's subscription is a channel subscription feeding one channel,
// since nats.go gives each asynchronous subscription a goroutine of its
// own. The dispatcher's Serve never blocks, so one slow recipient holds up
// only its own mailbox. The delivery goroutine decodes the arguments too,
// except those of a payload of 16 KiB or more, which a goroutine of its
// own decodes while the key's later messages wait behind it: one key's
// large message holds up no other key. The node holds four goroutines in
// all, besides those decodes, and each dispatcher that hosts keys the
// goroutines of its micro service.
//
// # Deadlines, cycles and errors
//
// A call's remaining time travels in the header Dispatch-Timeout as a
// duration, and the hosting node cuts it to WithMaxTimeout. A call whose
// context has ended is not sent. The recipients waiting on a call travel
// in Dispatch-Chain, at most MaxChain of them: a call to a recipient that
// is itself waiting on the call fails with runtime.ErrDeadlock at once.
// A caller that cancels its context before the reply sends one more
// message, on "<prefix>.I.<token>.$cancel", which cancels the remote
// call's context.
//
// A failure is an error reply with the ADR-32 headers Nats-Service-Error-Code
// and Nats-Service-Error, and the names of the sentinel errors it wraps. On
// the caller's side it is a *RemoteError, for which errors.Is holds for
// every runtime sentinel and context error the remote error wrapped, and
// for each error both nodes list WithErrors; errors.As finds a
// *runtime.PanicError, whose Value is the panic value's text. Other errors
// arrive as their text.
//
// # Context propagation
//
// A call's context values do not travel, but for what a HeaderPropagator,
// set with WithHeaders, writes into the headers of the messages a node
// sends and reads back into the context of the calls it serves: a trace's
// span context, so that one trace spans both processes. Package
// github.com/dispatchgen/dispatchgen/otel/natsotel adapts OpenTelemetry's
// propagators; natsdispatch itself depends on no tracing system.
//
// # Codecs
//
// JSON, the default, can be read with nats sub; CBOR is more compact. Both
// refuse what is not a well-formed encoding of the method's arguments, and
// a hosting node answers such a message, or one over WithMaxPayload, with
// code 400 or 413 without running anything. Every header value is checked
// before use. Every node of a prefix must use the same codec. A type that
// marshals itself crosses by its methods: JSON uses MarshalJSON or
// MarshalText, CBOR MarshalCBOR, MarshalBinary or MarshalText, each with
// its Unmarshal twin; the generator refuses a type that one codec would
// write by fields it cannot write.
//
// # Discovery
//
// Each dispatcher that hosts keys on a node is a NATS micro service,
// "<prefix>-<Interface>" ('.' in the prefix written as '-'): nats micro ls,
// info and stats show it, with its keys and their runtime.Stats in the
// stats of its one endpoint, "<prefix>.$node.<Interface>.<node id>", which
// answers with the same.
//
// # Permissions
//
// The node invents no authentication: it uses the connection it is given.
// README.md lists the subject permissions a hosting and a calling process
// need.
package natsdispatch
