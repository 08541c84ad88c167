package runtime_test

// This file is the code that dispatchgen is to generate for the Echo
// interface below, annotated //dispatch:recipient remote, written by hand
// until the generator writes it: the wire side of each method (arguments as
// structs a codec can read, WireArgs, and the Wire the serving side uses) on
// top of what a local-only dispatcher has.

import (
	"context"

	"github.com/dispatchgen/dispatchgen/runtime"
)

// Echo is the remote recipient interface of the runtime's tests.
type Echo interface {
	// Say answers text, as its recipient sees it.
	Say(ctx context.Context, text string) (string, error)
	// Relay asks the recipient under to to Say text, with ctx.
	Relay(ctx context.Context, to string, text string) (string, error)
	// Note records text, one-way.
	Note(ctx context.Context, text string)
}

// EchoDispatcher routes calls to the Echo registered under each key.
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

// Register gives impl its own mailbox under key.
func (d *EchoDispatcher) Register(key string, impl Echo, opts ...runtime.RecipientOption) error {
	if impl == nil {
		return d.router.Register(key, nil, opts...)
	}
	return d.router.Register(key, &impl, opts...)
}

// Unregister removes the recipient under key.
func (d *EchoDispatcher) Unregister(ctx context.Context, key string) error {
	return d.router.Unregister(ctx, key)
}

// Close stops every recipient.
func (d *EchoDispatcher) Close(ctx context.Context) error { return d.router.Close(ctx) }

// Stats returns the counters of every recipient registered now.
func (d *EchoDispatcher) Stats() map[string]runtime.Stats { return d.router.Stats() }

// To returns an Echo whose every call runs on the recipient under key.
func (d *EchoDispatcher) To(key string) EchoRef {
	return EchoRef{d: d, dest: d.router.Dest(key)}
}

// EchoRef is an Echo whose every call runs on the recipient under its key.
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
	m.args = echoRelayArgs{To: to, Text: text}
	return runtime.Call(ctx, r.dest, m)
}

// Note sends Note to the recipient without waiting for it to be handled.
func (r EchoRef) Note(ctx context.Context, text string) {
	runtime.Send(ctx, r.dest, &r.d.noteLane, echoNote{args: echoNoteArgs{Text: text}})
}

type echoSayArgs struct {
	Text string `json:"text"`
}

type echoSay struct {
	runtime.Request[string]
	args echoSayArgs
}

func (*echoSay) Method() string { return "Say" }

func (m *echoSay) Run(ctx context.Context, impl any) {
	m.Resolve((*impl.(*Echo)).Say(ctx, m.args.Text))
}

func (m *echoSay) WireArgs() any { return &m.args }

type echoRelayArgs struct {
	To   string `json:"to"`
	Text string `json:"text"`
}

type echoRelay struct {
	runtime.Request[string]
	args echoRelayArgs
}

func (*echoRelay) Method() string { return "Relay" }

func (m *echoRelay) Run(ctx context.Context, impl any) {
	m.Resolve((*impl.(*Echo)).Relay(ctx, m.args.To, m.args.Text))
}

func (m *echoRelay) WireArgs() any { return &m.args }

type echoNoteArgs struct {
	Text string `json:"text"`
}

type echoNote struct {
	args echoNoteArgs
}

func (echoNote) Method() string { return "Note" }

func (m echoNote) Run(ctx context.Context, impl any) {
	(*impl.(*Echo)).Note(ctx, m.args.Text)
}

func (m echoNote) WireArgs() any { return m.args }

// wire is how Echo's methods cross processes.
func (d *EchoDispatcher) wire() runtime.Wire[string] {
	return runtime.Wire[string]{
		Interface: "Echo",
		Methods: []runtime.WireMethod[string]{
			{Name: "Say", Serve: func(to runtime.Dest[string], in *runtime.Inbound) {
				m := &echoSay{}
				if err := in.Decode(&m.args); err != nil {
					in.Reply(nil, err)
					return
				}
				runtime.ServeCall(to, m, in)
			}},
			{Name: "Relay", Serve: func(to runtime.Dest[string], in *runtime.Inbound) {
				m := &echoRelay{}
				if err := in.Decode(&m.args); err != nil {
					in.Reply(nil, err)
					return
				}
				runtime.ServeCall(to, m, in)
			}},
			{Name: "Note", OneWay: true, Serve: func(to runtime.Dest[string], in *runtime.Inbound) {
				var m echoNote
				if err := in.Decode(&m.args); err != nil {
					in.Reply(nil, err)
					return
				}
				runtime.ServeSend(to, &d.noteLane, m, in)
			}},
		},
	}
}
