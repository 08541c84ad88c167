package runtime

import "context"

// intercept runs m through the router's interceptors, the first outermost.
// A panic in the method reaches the interceptors as the *PanicError that next
// returns; a panic in an interceptor ends the message the same way.
func (rc *recipient[K]) intercept(ctx context.Context, m Message) (err error, panicked bool) {
	is := rc.router.cfg.interceptors
	info := CallInfo{Recipient: rc.router.name, Key: rc.keyAny, Method: m.Method(), OneWay: m.hdr().mode == modeOneWay}
	var call func(k int, ctx context.Context) error
	call = func(k int, ctx context.Context) error {
		if k == len(is) {
			e, p := rc.invoke(ctx, m)
			panicked = panicked || p
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
			if v := recover(); v != nil {
				err, panicked = rc.panicError(m.Method(), v), true
			}
		}
	}()
	err = call(0, ctx)
	returned = true
	return err, panicked
}
