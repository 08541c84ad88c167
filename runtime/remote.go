package runtime

import (
	"context"
	"encoding"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"sync/atomic"
)

// WithTransport makes a dispatcher reach, through t, the recipients that
// other processes hold: Register claims the key cluster-wide (and fails with
// ErrDuplicateKey when another process holds it), a call to a key that is
// not registered in this dispatcher goes to t, the calls other processes
// send to this dispatcher's keys run here, and Unregister and Close release
// the claims once their recipients have drained. Keys and Stats stay local.
// Only interfaces annotated //dispatch:recipient remote can cross a process:
// given to another dispatcher, the option makes every Register fail.
func WithTransport(t Transport) Option {
	return routerOption(func(c *routerConfig) { c.transport = t })
}

// errElsewhere is what lookup returns for a key that is not registered here
// when a transport may reach it: the caller sends the message there.
var errElsewhere = errors.New("dispatch: the key is not held here")

// remote is what a dispatcher made WithTransport keeps of its transport.
type remote[K comparable] struct {
	r       *Router[K]
	wire    *Wire[K]
	methods map[string]*WireMethod[K]
	link    Link
	// bindErr is why the transport would not take the dispatcher, for
	// Register to say.
	bindErr error
	// The fields below are guarded by r.mu. byText holds the recipients by
	// the text of their keys, for the calls other processes send; claiming
	// the keys whose claims are under way.
	byText   map[string]*recipient
	claiming map[K]bool
	// releasing holds the keys forgotten whose claims are not yet
	// released: registered again before then, a key's new claim would be
	// the one the release gives up.
	releasing map[K]bool
	// revoked holds the recipients Revoke stopped that may not have
	// finished, for Close to wait for.
	revoked []*recipient
}

// newRemote binds r, whose interface crosses processes as wire says, to the
// transport of its options.
func newRemote[K comparable](r *Router[K], wire *Wire[K]) *remote[K] {
	rm := &remote[K]{r: r, wire: wire, methods: make(map[string]*WireMethod[K]),
		byText: make(map[string]*recipient), claiming: make(map[K]bool), releasing: make(map[K]bool)}
	for i := range wire.Methods {
		rm.methods[wire.Methods[i].Name] = &wire.Methods[i]
	}
	if wire.Interface == "" {
		rm.bindErr = fmt.Errorf("dispatch: %s is not a remote interface: annotate it //dispatch:recipient remote to use WithTransport", r.name)
		return rm
	}
	rm.link, rm.bindErr = r.cfg.transport.Bind(service[K]{rm})
	if rm.bindErr == nil && rm.link == nil {
		rm.bindErr = fmt.Errorf("dispatch: the transport of %s gave no link", r.name)
	}
	return rm
}

// register gives rc, under key, a mailbox here once the transport has given
// this process the key.
func (rm *remote[K]) register(key K, rc *recipient) error {
	r := rm.r
	if rm.bindErr != nil {
		return rm.bindErr
	}
	text, err := keyTextOf(key)
	if err != nil {
		return fmt.Errorf("dispatch: register %s[%v]: %w", r.name, key, err)
	}
	r.mu.Lock()
	switch {
	case r.closed:
		r.mu.Unlock()
		return fmt.Errorf("%w: %s dispatcher", ErrClosed, r.name)
	case r.m[key] != nil || rm.claiming[key]:
		r.mu.Unlock()
		return fmt.Errorf("%w: %s[%v]", ErrDuplicateKey, r.name, key)
	case rm.releasing[key]:
		r.mu.Unlock()
		return fmt.Errorf("%w: %s[%v] is still draining, and its claim is released once it has: register it again then",
			ErrDuplicateKey, r.name, key)
	}
	rm.claiming[key] = true
	r.mu.Unlock()

	err = rm.link.Claim(context.Background(), text)
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(rm.claiming, key)
	if err != nil {
		return fmt.Errorf("dispatch: register %s[%v]: %w", r.name, key, err)
	}
	if r.closed {
		// Close came while the claim was under way: give it back.
		go rm.release(context.Background(), text)
		return fmt.Errorf("%w: %s dispatcher", ErrClosed, r.name)
	}
	rc.node.label = rm.wire.Interface + "." + text
	r.m[key] = rc
	r.retired.forget(key)
	rm.byText[text] = rc
	return nil
}

// forget removes, with r.mu held, the recipient under key from byText.
func (rm *remote[K]) forget(rc *recipient) {
	if rc.node.label == "" {
		return
	}
	text := rc.node.label[len(rm.wire.Interface)+1:]
	if rm.byText[text] == rc {
		delete(rm.byText, text)
	}
	rm.releasing[rc.key.(K)] = true
}

// releaseOf gives up the claim of rc, which forget forgot, once it has
// drained, and then lets its key be registered again.
func (rm *remote[K]) releaseOf(ctx context.Context, rc *recipient) error {
	err := rm.release(ctx, rm.keyOf(rc))
	rm.r.mu.Lock()
	delete(rm.releasing, rc.key.(K))
	rm.r.mu.Unlock()
	return err
}

// release gives up the claim of the key whose text is text, once its
// recipient has drained. A release whose context has ended still gets a
// moment of its own: a claim kept would make the key wait for the lease to
// expire.
func (rm *remote[K]) release(ctx context.Context, text string) error {
	if ctx.Err() != nil {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(context.WithoutCancel(ctx), releaseGrace)
		defer cancel()
	}
	return rm.link.Release(ctx, text)
}

// releaseGrace bounds a release made after its caller's context ended.
const releaseGrace = 5e9 // 5 s

// keyOf returns the text of rc's key.
func (rm *remote[K]) keyOf(rc *recipient) string { return rc.node.label[len(rm.wire.Interface)+1:] }

// service is a dispatcher as its transport sees it.
type service[K comparable] struct{ rm *remote[K] }

func (s service[K]) Interface() string { return s.rm.wire.Interface }

func (s service[K]) Methods() []MethodInfo {
	ms := make([]MethodInfo, len(s.rm.wire.Methods))
	for i, m := range s.rm.wire.Methods {
		ms[i] = MethodInfo{Name: m.Name, OneWay: m.OneWay}
	}
	return ms
}

func (s service[K]) Serve(in *Inbound) {
	r := s.rm.r
	m := s.rm.methods[in.Method]
	if m == nil || m.OneWay != in.OneWay {
		in.Reply(nil, fmt.Errorf("dispatch: %s has no method %s of that kind", r.name, in.Method))
		return
	}
	r.mu.RLock()
	rc := s.rm.byText[in.Key]
	r.mu.RUnlock()
	if rc == nil || rc.gone.Load() {
		in.Reply(nil, fmt.Errorf("%w: %s[%s]", ErrNoRecipient, r.name, in.Key))
		return
	}
	m.Serve(Dest[K]{r: r, key: rc.key.(K), rc: rc}, in)
}

func (s service[K]) Revoke(keys []string) {
	r := s.rm.r
	s.rm.pruneRevoked()
	var stop []*recipient
	r.mu.Lock()
	for _, text := range keys {
		rc := s.rm.byText[text]
		if rc == nil {
			continue
		}
		delete(s.rm.byText, text)
		if k := rc.key.(K); r.m[k] == rc {
			delete(r.m, k)
			// Its counters stay in Stats while it drains, as an
			// unregistered recipient's do.
			r.retired.keep(k, retired{live: rc})
		}
		rc.gone.Store(true)
		stop = append(stop, rc)
		s.rm.revoked = append(s.rm.revoked, rc)
	}
	r.mu.Unlock()
	for _, rc := range stop {
		rc.beginStop()
		rc.abort(rc.closedErr())
	}
}

// pruneRevoked forgets the revoked recipients that have finished, so that
// a process whose keys are revoked again and again keeps none of them.
func (rm *remote[K]) pruneRevoked() {
	r := rm.r
	r.mu.RLock()
	list := slices.Clone(rm.revoked)
	r.mu.RUnlock()
	// A finished recipient's counters are final: its retired entry keeps
	// them, not the recipient, whose implementation Stats need no longer
	// reach (retire does the same for an unregistered one).
	final := make(map[*recipient]Stats)
	for _, rc := range list {
		if rc.finishedLocked() {
			final[rc] = rc.snapshot()
		}
	}
	if len(final) == 0 {
		return
	}
	r.mu.Lock()
	rm.revoked = slices.DeleteFunc(rm.revoked, func(rc *recipient) bool {
		stats, ok := final[rc]
		if ok {
			r.retired.settle(rc.key.(K), rc, stats)
		}
		return ok
	})
	r.mu.Unlock()
}

func (s service[K]) Stats() map[string]Stats {
	r := s.rm.r
	r.mu.RLock()
	all := make(map[string]*recipient, len(s.rm.byText))
	for text, rc := range s.rm.byText {
		all[text] = rc
	}
	r.mu.RUnlock()
	stats := make(map[string]Stats, len(all))
	for text, rc := range all {
		stats[text] = rc.snapshot()
	}
	return stats
}

// outbound returns the RemoteCall of m, a message to key sent with ctx that
// goes to another process, or an error that says why it cannot.
func (rm *remote[K]) outbound(ctx context.Context, key K, method string, m any) (*RemoteCall, error) {
	w, ok := m.(interface{ WireArgs() any })
	if !ok {
		return nil, fmt.Errorf("dispatch: %s.%s cannot cross a process", rm.r.name, method)
	}
	text, err := keyTextOf(key)
	if err != nil {
		return nil, fmt.Errorf("dispatch: %s[%v].%s: %w", rm.r.name, key, method, err)
	}
	return &RemoteCall{Ctx: ctx, Key: text, Method: method, Args: w.WireArgs(), Chain: chainOf(ctx)}, nil
}

// callRemote is Call for a key that another process holds.
func callRemote[K comparable, T any](ctx context.Context, to Dest[K], m request[T]) (T, error) {
	var zero T
	c, err := to.r.remote.outbound(ctx, to.key, m.Method(), m)
	if err != nil {
		recycle(m.hdr(), m)
		return zero, err
	}
	// The result is the call's own, not the pooled message's: a reply
	// that comes after the caller has gone must not write into a message
	// in use again.
	res := new(T)
	c.Result = resultPtr(res)
	done := make(chan error, 1)
	c.Done = func(err error) { done <- err }
	to.r.remote.link.Call(c)
	// The transport has written the arguments by now.
	recycle(m.hdr(), m)
	// The transport ends the call when ctx does, and says so: its outcome,
	// even then, is what the transport knows of it.
	if err := <-done; err != nil {
		return zero, err
	}
	return *res, nil
}

// asyncRemote is Async for a key that another process holds.
func asyncRemote[K comparable, T any](ctx context.Context, to Dest[K], m request[T]) {
	req := m.request()
	c, err := to.r.remote.outbound(ctx, to.key, m.Method(), m)
	if err != nil {
		req.header.state.Store(stDone)
		m.finish(err)
		return
	}
	c.Result = resultPtr(&req.fut.val)
	c.Done = func(err error) {
		// A transport that reported twice must not publish the Future's
		// outcome again.
		if req.header.state.Swap(stDone) != stDone {
			m.finish(err)
		}
	}
	to.r.remote.link.Call(c)
}

// sendRemote is Send for a key that another process holds.
func sendRemote[K comparable, M OneWayMessage](ctx context.Context, to Dest[K], msg M) {
	r := to.r
	c, err := r.remote.outbound(ctx, to.key, msg.Method(), msg)
	if err != nil {
		r.cfg.deadLetter(to.key, msg, err)
		return
	}
	c.Chain = nil
	var refused atomic.Bool
	c.Done = func(err error) {
		// A message refused twice by its transport is one dead letter.
		if refused.CompareAndSwap(false, true) {
			r.cfg.deadLetter(to.key, msg, err)
		}
	}
	r.remote.link.Send(c)
}

// resultPtr is p, or nil for a method whose only result is its error.
func resultPtr[T any](p *T) any {
	if _, none := any(*p).(struct{}); none {
		return nil
	}
	return p
}

// chainKey is the context key under which a context holds the chain of
// recipients waiting on the call it belongs to, as RemoteCall.Chain.
type chainKey struct{}

// withChain returns ctx marked with chain, the chain of an inbound call.
func withChain(ctx context.Context, chain []string) context.Context {
	if len(chain) == 0 {
		return ctx
	}
	return context.WithValue(ctx, chainKey{}, chain)
}

// chainOf returns the recipients waiting on a call made with ctx.
func chainOf(ctx context.Context) []string {
	chain, _ := ctx.Value(chainKey{}).([]string)
	return chain
}

// keyTextOf is keyText for a key of type K. A string key, the most common,
// is its own text: it is not boxed, which would cost an allocation at every
// message.
func keyTextOf[K comparable](key K) (string, error) {
	if s, ok := any(key).(string); ok {
		return s, nil
	}
	return keyText(key)
}

// keyText returns the text of a key, as it crosses a process: a string as it
// is, an integer in decimal, a key that implements encoding.TextMarshaler as
// MarshalText writes it.
func keyText(key any) (string, error) {
	switch k := key.(type) {
	case string:
		return k, nil
	case encoding.TextMarshaler:
		b, err := k.MarshalText()
		if err != nil {
			return "", fmt.Errorf("key %v: MarshalText: %w", key, err)
		}
		return string(b), nil
	}
	v := reflect.ValueOf(key)
	switch v.Kind() {
	case reflect.String:
		return v.String(), nil
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return strconv.FormatInt(v.Int(), 10), nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return strconv.FormatUint(v.Uint(), 10), nil
	}
	return "", fmt.Errorf("a key of type %T has no text form: use a string, an integer or an encoding.TextMarshaler", key)
}
