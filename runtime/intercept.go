package runtime

import (
	"context"
	"errors"
	"time"
)

// CallInfo describes the message an Interceptor wraps.
type CallInfo struct {
	// Recipient is the name of the recipient interface, Key the key of the
	// recipient handling the message, and Method the method it runs.
	Recipient string
	Key       any
	Method    string
	// OneWay is true for a message whose method has no results.
	OneWay bool
	// Enqueued is when the message was sent: the time from Enqueued to the
	// interceptor's call is the time it waited, for room and in the mailbox.
	Enqueued time.Time
}

// epoch is the origin of the enqueue times that messages carry, as
// nanoseconds since it on the monotonic clock, only when interceptors may
// read them.
var epoch = time.Now()

// enqueueTime returns the enqueue time of a message sent now to a router
// configured by c, or 0 when no interceptor reads it.
func (c *routerConfig) enqueueTime() int64 {
	if len(c.interceptors) == 0 {
		return 0
	}
	return int64(time.Since(epoch))
}

// Interceptor wraps the handling of each message on the recipient's goroutine,
// for logging, metrics or tracing. It must call next exactly once to run the
// method (and any inner interceptors) and should return next's error, which is
// the method's error or a *PanicError. The error it returns is the one the
// caller receives. An interceptor that returns without calling next fails the
// call with the error it returns, or with a zero result if that is nil.
type Interceptor func(ctx context.Context, info CallInfo, next func(context.Context) error) error

// errNextTwice fails a message whose interceptor called next more than once.
var errNextTwice = errors.New("dispatch: interceptor called next more than once")

// intercept runs m (or the message of the lane l at position at) through the router's interceptors,
// the first outermost. A panic in the method reaches the interceptors as the
// *PanicError that next returns; a panic in an interceptor ends the message
// the same way.
func (rc *recipient) intercept(ctx context.Context, m Message, l laneQueue, at int) (res result, err error) {
	is := rc.rt.interceptors
	enq := int64(0)
	if l != nil {
		enq = l.enqAt(at)
	} else {
		enq = m.hdr().enq
	}
	info := CallInfo{Recipient: rc.rt.name, Key: rc.key, Method: m.Method(), OneWay: l != nil,
		Enqueued: epoch.Add(time.Duration(enq))}
	// Until the method runs, the message has not been handled: one whose
	// interceptors never call next ends failed.
	res = resFailed
	var call func(k int, ctx context.Context) error
	call = func(k int, ctx context.Context) error {
		if k == len(is) {
			r, e := rc.invoke(ctx, m, l, at)
			res = r
			return e
		}
		called := false
		return is[k](ctx, info, func(ctx context.Context) error {
			if called {
				return errNextTwice
			}
			called = true
			return call(k+1, ctx)
		})
	}
	returned := false
	defer func() {
		if !returned {
			res, err = resPanicked, rc.panicError(m.Method(), recover())
		}
	}()
	err = call(0, ctx)
	returned = true
	return res, err
}
