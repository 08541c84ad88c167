package runtime

import (
	"context"
	"encoding"
	"errors"
	"fmt"
	"reflect"
	"strconv"
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
}

// newRemote binds r, whose interface crosses processes as wire says, to the
// transport of its options.
func newRemote[K comparable](r *Router[K], wire *Wire[K]) *remote[K] {
	rm := &remote[K]{r: r, wire: wire, methods: make(map[string]*WireMethod[K]),
		byText: make(map[string]*recipient), claiming: make(map[K]bool)}
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
		}
		rc.gone.Store(true)
		stop = append(stop, rc)
	}
	r.mu.Unlock()
	for _, rc := range stop {
		rc.beginStop()
		rc.abort(rc.closedErr())
	}
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
		req.header.state.Store(stDone)
		m.finish(err)
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
	c.Done = func(err error) { r.cfg.deadLetter(to.key, msg, err) }
	r.remote.link.Send(c)
}

// resultPtr is p, or nil for a method whose only result is its error.
func resultPtr[T any](p *T) any {
	if _, none := any(*p).(struct{}); none {
		return nil
	}
	return p
}

// ServeCall runs m, a call that another process sent, whose arguments
// generated code has decoded from in, on the recipient of to, and ends in
// with its outcome. It does not wait for room in a full mailbox: that waits
// on a goroutine of its own, until in.Ctx ends.
func ServeCall[K comparable, T any](to Dest[K], m request[T], in *Inbound) {
	req := m.request()
	h := &req.header
	h.mode, h.remote = modeRemote, in
	h.ctx, h.enq = withChain(in.Ctx, in.Chain), to.r.cfg.enqueueTime()
	rc := to.rc
	rc.mu.Lock()
	if rc.inboundRoom() {
		rc.commit(m, 0)
		return
	}
	serveCallLater(rc, m, in)
}

// serveCallLater is ServeCall, with rc.mu held, for a call that its
// recipient cannot take at once. It is a function of its own so that
// ServeCall's closures, and what they capture, cost nothing when the call
// is queued at once.
func serveCallLater[T any](rc *recipient, m request[T], in *Inbound) {
	admitInbound(rc, in, func() { rc.commit(m, 0) }, func(err error) {
		m.hdr().state.Store(stDone)
		m.finish(err)
	})
}

// ServeSend queues msg, a one-way message that another process sent, for
// the recipient of to, in lane, and ends in once it is queued, or refused.
// It waits for room in a full mailbox on a goroutine of its own, until
// in.Ctx ends; a message still waiting then is refused with ErrMailboxFull.
func ServeSend[K comparable, M OneWayMessage](to Dest[K], lane *Lane[M], msg M, in *Inbound) {
	rc := to.rc
	rc.mu.Lock()
	if rc.inboundRoom() {
		queueInbound(rc, lane, msg, in)
		return
	}
	serveSendLater(rc, lane, msg, in)
}

// queueInbound queues msg, with rc.mu held, and ends in. The message runs
// without in.Ctx's cancellation, as every one-way message does
// (contextFor). Queued with in.Ctx itself, which the transport shares
// among the messages of a burst, the messages share their recipient's
// context too: no allocation per message.
func queueInbound[M OneWayMessage](rc *recipient, lane *Lane[M], msg M, in *Inbound) {
	l := laneOf(rc, lane)
	rc.commit(l, l.push(in.Ctx, msg, rc.rt.enqueueTime()))
	in.Reply(nil, nil)
}

// serveSendLater is ServeSend, with rc.mu held, for a message that its
// recipient cannot take at once: see serveCallLater.
func serveSendLater[M OneWayMessage](rc *recipient, lane *Lane[M], msg M, in *Inbound) {
	admitInbound(rc, in, func() { queueInbound(rc, lane, msg, in) }, func(err error) { in.Reply(nil, err) })
}

// inboundRoom reports, with rc.mu held, whether an inbound message may be
// queued now: the recipient takes messages, none from another process waits
// before it, and its mailbox has room.
func (rc *recipient) inboundRoom() bool {
	return !rc.closing && rc.inbound == nil && rc.hasRoom()
}

// admitInbound takes, with rc.mu held on entry and released on return, an
// inbound message that inboundRoom has just refused: it fails at once with
// the reason, or waits for room. Inbound messages are admitted in the order
// they arrive, as a sender in this process that waits for room keeps its
// messages' order: once one waits, those after it wait behind it, on one
// goroutine for the recipient, each as long as its in.Ctx allows; queue
// runs, with rc.mu held, once the message's turn has room, and fail
// otherwise.
func admitInbound(rc *recipient, in *Inbound, queue func(), fail func(error)) {
	switch {
	case rc.closing:
		rc.mu.Unlock()
		fail(rc.closedErr())
	case rc.cfg.failFast:
		rc.rejected++
		rc.mu.Unlock()
		fail(rc.errors().full)
	case rc.inbound != nil:
		rc.inbound.waits = append(rc.inbound.waits, inboundWait{in, queue, fail})
		rc.mu.Unlock()
	default:
		rc.inbound = &inboundQueue{waits: []inboundWait{{in, queue, fail}}}
		rc.admitters++
		rc.mu.Unlock()
		go rc.admitWaiting()
	}
}

// inboundQueue holds the inbound messages of a recipient that wait for
// room, first come first.
type inboundQueue struct {
	waits []inboundWait
}

// inboundWait is one inbound message waiting for room: admitInbound's
// arguments.
type inboundWait struct {
	in    *Inbound
	queue func()
	fail  func(error)
}

// admitWaiting admits the inbound messages that wait for room, in order,
// until none is left.
func (rc *recipient) admitWaiting() {
	defer rc.endAdmitting()
	for {
		rc.mu.Lock()
		w := rc.inbound.waits[0]
		rc.mu.Unlock()
		// Only the first waiting message's context is watched: one behind
		// it whose context ended while it waited is refused now, though
		// the mailbox may have room for it.
		err := w.in.Ctx.Err()
		if err == nil {
			_, err = rc.admit(w.in.Ctx, false)
		}
		if err == nil {
			// admit holds rc.mu, which queue releases: no message arriving
			// meanwhile can find the mailbox's room before w.
			last := rc.popInbound()
			w.queue()
			if last {
				return
			}
			continue
		}
		if w.in.Ctx.Err() != nil && err == w.in.Ctx.Err() {
			err = fmt.Errorf("%w: no room before the hosting node's bound: %w", rc.errors().full, err)
		}
		rc.mu.Lock()
		last := rc.popInbound()
		rc.mu.Unlock()
		w.fail(err)
		if last {
			return
		}
	}
}

// endAdmitting counts an admitWaiting goroutine ended, once it has replied
// to its last message, and ends the stop that waited for it.
func (rc *recipient) endAdmitting() {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rc.admitters--
	if rc.finished() && rc.idle != nil {
		close(rc.idle)
	}
}

// popInbound removes, with rc.mu held, the first waiting inbound message,
// and reports whether it was the last.
func (rc *recipient) popInbound() bool {
	q := rc.inbound
	q.waits[0] = inboundWait{}
	q.waits = q.waits[1:]
	if len(q.waits) == 0 {
		rc.inbound = nil
		return true
	}
	return false
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
