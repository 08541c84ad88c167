package runtime_test

// This file is the code dispatchgen generates, with -remote, for the Echo
// interface of remote_echo_test.go (dispatchgen reads no test files): the
// wire side of each method on top of what a local-only dispatcher has. The
// root package's TestRuntimeCopies checks it, and regenerates it with
// -update.

import (
	"context"
	"github.com/dispatchgen/dispatchgen/runtime"
)

// EchoDispatcher routes calls to the Echo registered under each key. Each recipient
// has its own mailbox, served by one goroutine at a time.
type EchoDispatcher struct {
	router    *runtime.Router[string]
	sayPool   runtime.Pool[echoSay]
	relayPool runtime.Pool[echoRelay]
	noteLane  runtime.Lane[echoNote]
}

// NewEchoDispatcher returns a dispatcher with no recipients.
func NewEchoDispatcher(opts ...runtime.Option) *EchoDispatcher {
	d := &EchoDispatcher{}
	d.router = runtime.NewRemoteRouter[string]("Echo", d.wire(), opts...)
	return d
}

// Register gives impl its own mailbox under key. It fails with runtime.ErrDuplicateKey
// if the key is taken, runtime.ErrNilRecipient if impl is nil, and runtime.ErrClosed
// after Close.
func (d *EchoDispatcher) Register(key string, impl Echo, opts ...runtime.RecipientOption) error {
	if impl == nil {
		return d.router.Register(key, nil, opts...)
	}
	return d.router.Register(key, &impl, opts...)
}

// Unregister removes the recipient under key: new calls to it fail with
// runtime.ErrNoRecipient, and what is queued is handled until ctx ends, after which
// the rest fails with runtime.ErrClosed.
func (d *EchoDispatcher) Unregister(ctx context.Context, key string) error {
	return d.router.Unregister(ctx, key)
}

// Close stops every recipient: new calls fail with runtime.ErrClosed, and what is
// queued is handled until ctx ends, after which the rest fails with runtime.ErrClosed.
func (d *EchoDispatcher) Close(ctx context.Context) error {
	return d.router.Close(ctx)
}

// Flush waits until every message sent to key before it was called has ended,
// handled, failed or given to the dead-letter handler, or until ctx ends.
func (d *EchoDispatcher) Flush(ctx context.Context, key string) error {
	return d.router.Flush(ctx, key)
}

// Keys returns the keys registered now, in no particular order.
func (d *EchoDispatcher) Keys() []string {
	return d.router.Keys()
}

// Stats returns the counters of every recipient registered now, and the last
// counters of the keys unregistered or closed since, until they are registered again.
func (d *EchoDispatcher) Stats() map[string]runtime.Stats {
	return d.router.Stats()
}

// To returns the EchoRef of key: each of its calls runs on the recipient registered
// under key when the call is made.
func (d *EchoDispatcher) To(key string) EchoRef {
	return EchoRef{
		d:    d,
		dest: d.router.Dest(key),
	}
}

// wire is how Echo's methods cross processes, for runtime.WithTransport.
func (d *EchoDispatcher) wire() runtime.Wire[string] {
	return runtime.Wire[string]{
		Interface: "Echo",
		Methods: []runtime.WireMethod[string]{{
			Name: "Say",
			Serve: func(to runtime.Dest[string], in *runtime.Inbound) {
				m := &echoSay{}
				if err := in.Decode(&m.args); err != nil {
					in.Reply(nil, err)
					return
				}
				runtime.ServeCall(to, m, in)
			},
		}, {
			Name: "Relay",
			Serve: func(to runtime.Dest[string], in *runtime.Inbound) {
				m := &echoRelay{}
				if err := in.Decode(&m.args); err != nil {
					in.Reply(nil, err)
					return
				}
				runtime.ServeCall(to, m, in)
			},
		}, {
			Name:   "Note",
			OneWay: true,
			Serve: func(to runtime.Dest[string], in *runtime.Inbound) {
				var m echoNote
				if err := in.Decode(&m.args); err != nil {
					in.Reply(nil, err)
					return
				}
				runtime.ServeSend(to, &d.noteLane, m, in)
			},
		}},
	}
}

// EchoRef implements Echo: each call runs on the recipient registered under its key
// when the call is made, and waits for its reply; a call to a method without
// results does not wait. The zero value is not usable: get one from To.
type EchoRef struct {
	d    *EchoDispatcher
	dest runtime.Dest[string]
}

var _ Echo = EchoRef{}

// Say calls Say on the recipient and waits for its result.
func (r EchoRef) Say(ctx context.Context, text string) (string, error) {
	m := r.d.sayPool.Get()
	m.args = echoSayArgs{Text: text}
	return runtime.Call(ctx, r.dest, m)
}

// SayAsync calls Say on the recipient and returns at once a Future of its result.
func (r EchoRef) SayAsync(ctx context.Context, text string) *runtime.Future[string] {
	return runtime.Async(ctx, r.dest, &echoSay{args: echoSayArgs{Text: text}})
}

// Relay calls Relay on the recipient and waits for its result.
func (r EchoRef) Relay(ctx context.Context, to string, text string) (string, error) {
	m := r.d.relayPool.Get()
	m.args = echoRelayArgs{
		Text: text,
		To:   to,
	}
	return runtime.Call(ctx, r.dest, m)
}

// RelayAsync calls Relay on the recipient and returns at once a Future of its result.
func (r EchoRef) RelayAsync(ctx context.Context, to string, text string) *runtime.Future[string] {
	return runtime.Async(ctx, r.dest, &echoRelay{args: echoRelayArgs{
		Text: text,
		To:   to,
	}})
}

// Note sends Note to the recipient without waiting for it to be handled.
func (r EchoRef) Note(ctx context.Context, text string) {
	runtime.Send(ctx, r.dest, &r.d.noteLane, echoNote{args: echoNoteArgs{Text: text}})
}

// echoSayArgs are the arguments of Echo.Say as they cross processes.
type echoSayArgs struct {
	Text string `json:"text"`
}

type echoSay struct {
	runtime.Request[string]
	args echoSayArgs
}

func (*echoSay) Method() string {
	return "Say"
}

func (m *echoSay) Run(ctx context.Context, impl any) {
	m.Resolve((*impl.(*Echo)).Say(ctx, m.args.Text))
}

func (m *echoSay) WireArgs() any {
	return &m.args
}

// echoRelayArgs are the arguments of Echo.Relay as they cross processes.
type echoRelayArgs struct {
	To   string `json:"to"`
	Text string `json:"text"`
}

type echoRelay struct {
	runtime.Request[string]
	args echoRelayArgs
}

func (*echoRelay) Method() string {
	return "Relay"
}

func (m *echoRelay) Run(ctx context.Context, impl any) {
	m.Resolve((*impl.(*Echo)).Relay(ctx, m.args.To, m.args.Text))
}

func (m *echoRelay) WireArgs() any {
	return &m.args
}

// echoNoteArgs are the arguments of Echo.Note as they cross processes.
type echoNoteArgs struct {
	Text string `json:"text"`
}

type echoNote struct {
	args echoNoteArgs
}

func (echoNote) Method() string {
	return "Note"
}

func (m echoNote) Run(ctx context.Context, impl any) {
	(*impl.(*Echo)).Note(ctx, m.args.Text)
}

func (m echoNote) WireArgs() any {
	return &m.args
}
