package runtime

import "context"

// intercept runs m (or the message of the lane l at position at) through the router's interceptors,
// the first outermost. A panic in the method reaches the interceptors as the
// *PanicError that next returns; a panic in an interceptor ends the message
// the same way.
func (rc *recipient) intercept(ctx context.Context, m Message, l laneQueue, at int) (res result, err error) {
	is := rc.rt.interceptors
	info := CallInfo{Recipient: rc.rt.name, Key: rc.key, Method: m.Method(), OneWay: l != nil}
	res = resHandled
	var call func(k int, ctx context.Context) error
	call = func(k int, ctx context.Context) error {
		if k == len(is) {
			r, e := rc.invoke(ctx, m, l, at)
			if r == resPanicked {
				res = resPanicked
			}
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
