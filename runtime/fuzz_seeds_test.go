package runtime_test

// fzOp is one operation of a seed, spelled as FuzzRouterModel reads it: the
// operation, the key's index, the variant and the extra variant.
type fzOp struct{ op, key, v, x int }

// fzProgram spells a fuzz input, so that the seeds read as the operation
// sequences they were written to exercise.
func fzProgram(config byte, ops ...fzOp) []byte {
	b := []byte{config}
	for _, o := range ops {
		b = append(b, byte(o.op+fzNumOps*o.x), byte(o.key+fzKeys*o.v))
	}
	return b
}

// The variants of fzOpRegister: a mailbox (the first eight, fzOptNil
// registering nil) plus any of the flags.
const (
	fzOptDefault = iota
	fzOptSize1
	fzOptSize2
	fzOptSize3
	fzOptUnbounded
	fzOptFailFast2
	fzOptFailFast1
	fzOptNil

	fzOptDedicated   = 8
	fzOptStopOnPanic = 16
	fzOptFailFast    = 32
)

// The variants of fzOpHold: how the hold is sent, plus fzHoldStuck for a
// method that ignores its context.
const (
	fzHoldAsync = iota
	fzHoldAsyncCancelable
	fzHoldTell
	fzHoldDo
	fzHoldStuck = 4
)

// The variants of fzOpUnregister, fzOpClose and fzOpFlush.
const (
	fzStopWait = iota // Background, or a drain that must succeed
	fzStopCanceled
	fzStopDeadline
)

func fzReg(key, v int) fzOp    { return fzOp{op: fzOpRegister, key: key, v: v} }
func fzUnreg(key, v int) fzOp  { return fzOp{op: fzOpUnregister, key: key, v: v} }
func fzClose(v int) fzOp       { return fzOp{op: fzOpClose, v: v} }
func fzFlush(key, v int) fzOp  { return fzOp{op: fzOpFlush, key: key, v: v} }
func fzHoldOp(key, v int) fzOp { return fzOp{op: fzOpHold, key: key, v: v} }
func fzRelease(i int) fzOp     { return fzOp{op: fzOpRelease, key: i % fzKeys, v: i / fzKeys} }
func fzCancel(i int) fzOp      { return fzOp{op: fzOpCancel, key: i % fzKeys, v: i / fzKeys} }
func fzCheck() fzOp            { return fzOp{op: fzOpCheck} }
func fzOverflow(v int) fzOp    { return fzOp{op: fzOpOverflow, v: v} }
func fzMsgOp(op, key int, g fzMsg) fzOp {
	return fzOp{op: op, key: key, v: int(g.job) + 8*int(g.ctx), x: int(g.spec)}
}
func fzDo(key int, g fzMsg) fzOp    { return fzMsgOp(fzOpDo, key, g) }
func fzAsync(key int, g fzMsg) fzOp { return fzMsgOp(fzOpDoAsync, key, g) }
func fzTell(key int, g fzMsg) fzOp  { return fzMsgOp(fzOpTell, key, g) }

// fzDoGo is a Do from a goroutine of the test's, fzAsyncCB a DoAsync with
// OnResolve callbacks.
func fzDoGo(key int, g fzMsg) fzOp {
	o := fzDo(key, g)
	o.x += 8
	return o
}

func fzAsyncCB(key int, g fzMsg) fzOp {
	o := fzAsync(key, g)
	o.x += 8
	return o
}

// fzBurst is n Tells in a row (n = 4+5k) with context ctx, the one at n/2,
// or with last the last, of job.
func fzBurst(key, n int, ctx fzCtx, job fzJob, last bool) fzOp {
	v := (n-4)/5 + 8*[...]int{fzCtxBackground: 0, fzCtxValue: 1, fzCtxCancelable: 2, fzCtxFar: 3}[ctx]
	if last {
		v += 32
	}
	return fzOp{op: fzOpBurst, key: key, v: v, x: int(job)}
}

// fzG spells a message.
func fzG(job fzJob, ctx fzCtx, spec fzSpec) fzMsg { return fzMsg{job: job, ctx: ctx, spec: spec} }

// fzRepeat returns n copies of o.
func fzRepeat(n int, o fzOp) []fzOp {
	ops := make([]fzOp, n)
	for i := range ops {
		ops[i] = o
	}
	return ops
}

// fzSeeds are the inputs that go test runs, each written for a path of the
// runtime's.
func fzSeeds() [][]byte {
	var seeds [][]byte
	add := func(config byte, ops ...fzOp) { seeds = append(seeds, fzProgram(config, ops...)) }
	seeds = append(seeds, nil, []byte("dispatchgen: a mixed bag of operations"))
	bg := func(job fzJob) fzMsg { return fzG(job, fzCtxBackground, fzSpecPass) }
	in := func(job fzJob, ctx fzCtx) fzMsg { return fzG(job, ctx, fzSpecPass) }

	// Lifecycle: calls to registered, unregistered and closed keys, and
	// Register of nil and of a key taken.
	add(0, fzReg(0, 0), fzReg(1, 0), fzDo(0, bg(fzNormal)), fzAsync(1, bg(fzNormal)), fzTell(0, bg(fzNormal)),
		fzOp{op: fzOpRegisterDup}, fzReg(2, fzOptNil), fzUnreg(0, fzStopWait), fzDo(0, bg(fzNormal)),
		fzAsync(0, bg(fzNormal)), fzTell(0, bg(fzNormal)), fzCheck(), fzClose(fzStopWait), fzDo(1, bg(fzNormal)),
		fzAsync(1, bg(fzNormal)), fzTell(1, bg(fzNormal)), fzReg(2, 0), fzUnreg(1, 0), fzFlush(1, 0), fzClose(1))
	// Calls run on their caller's goroutine (Background, a value), and calls
	// with contexts that can end, interleaved; failing and self-calling jobs.
	add(0, fzReg(0, 0), fzDo(0, bg(fzNormal)), fzDo(0, in(fzNormal, fzCtxCancelable)), fzDo(0, in(fzNormal, fzCtxValue)),
		fzAsync(0, bg(fzNormal)), fzDo(0, bg(fzFail)), fzDo(0, in(fzSelf, fzCtxFar)), fzDo(0, bg(fzSelf)),
		fzDo(0, in(fzNormal, fzCtxCanceled)), fzDo(0, in(fzNormal, fzCtxDeadline)), fzDo(0, bg(fzPanic)),
		fzDo(0, bg(fzPanicNil)), fzTell(0, bg(fzSelf)), fzDo(0, bg(fzNormal)), fzFlush(0, 0), fzCheck())
	// The same on dedicated goroutines, which park between messages and
	// end with their recipient, through registration and the dispatcher's
	// default.
	add(0, fzReg(0, fzOptDedicated), fzReg(1, fzOptDedicated|fzOptSize2), fzDo(0, bg(fzNormal)), fzTell(0, bg(fzNormal)),
		fzAsync(1, bg(fzNormal)), fzHoldOp(1, fzHoldAsync), fzTell(1, bg(fzPanic)), fzDo(0, in(fzNormal, fzCtxCancelable)),
		fzRelease(0), fzCheck(), fzUnreg(0, 0), fzDo(1, bg(fzNormal)), fzFlush(1, 0), fzClose(fzStopDeadline), fzCheck())
	add(fzConfigDedicated, fzReg(0, 0), fzDo(0, bg(fzNormal)), fzHoldOp(0, fzHoldDo), fzTell(0, bg(fzNormal)),
		fzAsync(0, bg(fzNormal)), fzRelease(0), fzDo(0, bg(fzNormal)), fzUnreg(0, fzStopCanceled), fzReg(0, 0),
		fzTell(0, bg(fzNormal)), fzClose(0))
	// WithStopOnPanic: a panic, a nil panic and a Goexit each stop their
	// recipient, at once or once the hold ahead of them is released, and
	// what was queued behind them fails with ErrClosed.
	add(0, fzReg(0, fzOptStopOnPanic), fzDo(0, bg(fzNormal)), fzDo(0, bg(fzPanic)), fzDo(0, bg(fzNormal)),
		fzReg(0, fzOptStopOnPanic), fzHoldOp(0, fzHoldAsync), fzAsync(0, bg(fzPanicNil)), fzTell(0, bg(fzNormal)),
		fzAsync(0, bg(fzNormal)), fzCheck(), fzRelease(0), fzReg(0, fzOptStopOnPanic|fzOptDedicated),
		fzTell(0, bg(fzGoexit)), fzTell(0, bg(fzNormal)), fzReg(0, fzOptStopOnPanic), fzBurst(0, 9, fzCtxBackground, fzPanic, false),
		fzReg(1, fzOptStopOnPanic), fzDoGo(1, bg(fzGoexit)), fzReg(1, fzOptStopOnPanic), fzHoldOp(1, fzHoldAsync),
		fzDo(1, in(fzPanic, fzCtxCanceled)), fzTell(1, bg(fzPanic)), fzClose(fzStopWait))
	// Small mailboxes failing fast: full while a hold and what is behind it
	// take every place, with room again once it is released.
	add(0, fzReg(0, fzOptFailFast2), fzHoldOp(0, fzHoldAsync), fzAsync(0, bg(fzNormal)), fzAsync(0, bg(fzNormal)),
		fzTell(0, bg(fzNormal)), fzDo(0, in(fzNormal, fzCtxCanceled)), fzCheck(), fzRelease(0), fzFlush(0, 0),
		fzReg(1, fzOptFailFast1), fzHoldOp(1, fzHoldTell), fzTell(1, bg(fzNormal)), fzAsync(1, bg(fzNormal)),
		fzDoGo(1, bg(fzNormal)), fzRelease(0), fzFlush(1, 0), fzCheck())
	// Small mailboxes that make senders wait: a deadline ends the wait of a
	// Do and of a Tell, and room comes once the hold is released.
	add(0, fzReg(0, fzOptSize1), fzHoldOp(0, fzHoldAsync), fzDo(0, in(fzNormal, fzCtxDeadline)),
		fzTell(0, in(fzNormal, fzCtxDeadline)), fzDo(0, in(fzNormal, fzCtxCanceled)), fzRelease(0),
		fzDo(0, bg(fzNormal)), fzReg(1, fzOptSize3), fzHoldOp(1, fzHoldDo), fzAsync(1, bg(fzNormal)),
		fzTell(1, bg(fzNormal)), fzDo(1, in(fzNormal, fzCtxDeadline)), fzRelease(0), fzFlush(1, 0))
	// Unbounded mailboxes, by the dispatcher's default and by registration.
	add(fzConfigUnbounded, fzReg(0, 0), fzReg(1, fzOptUnbounded), fzHoldOp(0, fzHoldAsync), fzHoldOp(1, fzHoldAsync),
		fzBurst(0, 39, fzCtxBackground, fzNormal, false), fzBurst(1, 39, fzCtxValue, fzNormal, false), fzCheck(),
		fzRelease(0), fzRelease(0), fzFlush(0, 0), fzFlush(1, 0), fzCheck())

	// Every interceptor spec on a Do run inline, a Do on the recipient's
	// goroutine, a DoAsync and a Tell.
	var intercepted []fzOp
	intercepted = append(intercepted, fzReg(0, 0), fzReg(1, fzOptSize3), fzReg(2, fzOptDedicated))
	for s := fzSpecPass; s < fzNumSpecs; s++ {
		intercepted = append(intercepted, fzUnreg(3, 0), fzReg(3, 0), fzDo(3, fzG(fzNormal, fzCtxBackground, s)),
			fzDo(0, fzG(fzNormal, fzCtxCancelable, s)), fzAsync(1, fzG(fzNormal, fzCtxValue, s)),
			fzTell(2, fzG(fzNormal, fzCtxValue, s)), fzAsync(2, fzG(fzPanic, fzCtxBackground, s)),
			fzTell(1, fzG(fzFail, fzCtxBackground, s)))
	}
	add(fzConfigIntercept, append(intercepted, fzFlush(0, 0), fzFlush(1, 0), fzFlush(2, 0), fzCheck())...)
	// Interceptors on a recipient WithStopOnPanic, whose panic stops it.
	add(fzConfigIntercept, fzReg(0, fzOptStopOnPanic), fzDo(0, fzG(fzNormal, fzCtxBackground, fzSpecSkipNil)),
		fzDo(0, fzG(fzNormal, fzCtxBackground, fzSpecPanicAfter)), fzReg(0, fzOptStopOnPanic),
		fzTell(0, fzG(fzNormal, fzCtxValue, fzSpecGoexit)), fzReg(0, fzOptStopOnPanic), fzDoGo(0, fzG(fzNormal, fzCtxValue, fzSpecGoexit)))
	// Runs of one-way messages, over the 32 that count as one, with a
	// panic, a nil panic or a Goexit in the middle or last.
	add(0, fzReg(0, 0), fzReg(1, fzOptDedicated), fzBurst(0, 39, fzCtxBackground, fzPanic, false),
		fzBurst(0, 34, fzCtxValue, fzPanicNil, true), fzBurst(1, 39, fzCtxFar, fzGoexit, false),
		fzBurst(1, 24, fzCtxCancelable, fzGoexit, true), fzCheck(), fzHoldOp(0, fzHoldAsync),
		fzBurst(0, 39, fzCtxBackground, fzGoexit, false), fzRelease(0), fzFlush(0, 0), fzFlush(1, 0))
	// Goexit in a Do run on its caller's goroutine (which ends there), in
	// one queued behind another, and in a DoAsync: each a *PanicError
	// wrapping ErrGoexit, counted as a panic, and the recipient goes on.
	add(0, fzReg(0, 0), fzDoGo(0, bg(fzGoexit)), fzDo(0, bg(fzNormal)), fzHoldOp(0, fzHoldAsync), fzDoGo(0, bg(fzGoexit)),
		fzAsync(0, bg(fzGoexit)), fzTell(0, bg(fzNormal)), fzRelease(0), fzFlush(0, 0), fzDoGo(0, in(fzGoexit, fzCtxCancelable)),
		fzAsync(0, in(fzGoexit, fzCtxValue)), fzFlush(0, 0), fzCheck())

	// Methods stuck past the deadline of an Unregister and of a Close: a
	// second hold, released into the recipient's batch by the first, waits
	// with messages taken into the batch behind it and more queued; giving
	// up must end them all, while the stuck method ends its own message
	// once released.
	stuckBehind := func(key int) []fzOp {
		return []fzOp{
			fzReg(key, 0), fzHoldOp(key, fzHoldAsync|fzHoldStuck), fzHoldOp(key, fzHoldAsync|fzHoldStuck),
			fzAsync(key, bg(fzNormal)), fzTell(key, bg(fzNormal)), fzDoGo(key, bg(fzNormal)), fzAsync(key, in(fzNormal, fzCtxCancelable)),
			fzRelease(0), fzAsync(key, bg(fzNormal)), fzTell(key, in(fzNormal, fzCtxCancelable)), fzDoGo(key, in(fzNormal, fzCtxFar)),
		}
	}
	add(0, append(stuckBehind(0), fzUnreg(0, fzStopDeadline), fzRelease(0), fzDo(0, bg(fzNormal)))...)
	add(0, append(append(stuckBehind(0), stuckBehind(1)...), fzClose(fzStopCanceled), fzRelease(0), fzRelease(0))...)
	add(fzConfigDedicated|fzConfigIntercept, append(stuckBehind(2), fzUnreg(2, fzStopCanceled), fzReg(2, 0),
		fzDo(2, bg(fzNormal)), fzRelease(0))...)
	// The same with the stuck method a Tell, and a Do run on its caller's
	// goroutine.
	add(0, fzReg(0, fzOptDedicated), fzHoldOp(0, fzHoldTell), fzHoldOp(0, fzHoldDo|fzHoldStuck), fzTell(0, bg(fzNormal)),
		fzAsync(0, bg(fzNormal)), fzRelease(0), fzTell(0, bg(fzNormal)), fzClose(fzStopDeadline), fzRelease(0))

	// Dead-letter handlers that panic: refusals on the sender's goroutine,
	// panics on the recipient's, and the failures of a Close that gives up.
	add(fzConfigDeadLetterPanics, fzTell(0, bg(fzNormal)), fzReg(0, fzOptFailFast1), fzHoldOp(0, fzHoldAsync),
		fzTell(0, bg(fzNormal)), fzTell(0, in(fzNormal, fzCtxCanceled)), fzRelease(0), fzTell(0, bg(fzPanic)),
		fzReg(1, 0), fzHoldOp(1, fzHoldAsync), fzTell(1, bg(fzNormal)), fzTell(1, bg(fzNormal)), fzClose(fzStopCanceled),
		fzTell(1, bg(fzNormal)))
	// OnResolve callbacks, given before and after the Future is resolved,
	// one of them calling runtime.Goexit, on every kind of outcome.
	add(fzConfigIntercept, fzReg(0, 0), fzAsyncCB(0, bg(fzNormal)), fzAsyncCB(0, bg(fzPanic)), fzAsyncCB(0, bg(fzFail)),
		fzAsyncCB(0, in(fzNormal, fzCtxCanceled)), fzAsyncCB(0, fzG(fzNormal, fzCtxValue, fzSpecSkipErr)),
		fzHoldOp(0, fzHoldAsync), fzAsyncCB(0, in(fzNormal, fzCtxCancelable)), fzCancel(0), fzRelease(0),
		fzAsyncCB(1, bg(fzNormal)), fzClose(fzStopWait), fzAsyncCB(0, bg(fzNormal)))
	// One-way messages, once sent, are not taken back: a Tell queued behind
	// a hold runs though its context is canceled once Send returns, and its
	// method sees the context's values, no cancellation and no deadline; one
	// sent with a context that has ended is a dead letter.
	add(0, fzReg(0, 0), fzHoldOp(0, fzHoldAsync), fzTell(0, in(fzNormal, fzCtxCancelable)), fzTell(0, in(fzNormal, fzCtxFar)),
		fzTell(0, in(fzNormal, fzCtxValue)), fzTell(0, in(fzNormal, fzCtxCanceled)), fzTell(0, in(fzNormal, fzCtxDeadline)),
		fzHoldOp(0, fzHoldTell), fzTell(0, in(fzNormal, fzCtxCancelable)), fzRelease(0), fzCheck(), fzRelease(0),
		fzFlush(0, 0), fzCheck())
	// Flush: drained, giving up on a hold, of unregistered and closed keys,
	// from a method of the recipient itself.
	add(0, fzFlush(0, 0), fzReg(0, 0), fzTell(0, bg(fzNormal)), fzAsync(0, bg(fzNormal)), fzFlush(0, 0),
		fzHoldOp(0, fzHoldAsync), fzTell(0, bg(fzNormal)), fzFlush(0, fzStopCanceled), fzFlush(0, fzStopDeadline),
		fzTell(0, bg(fzSelf)), fzRelease(0), fzFlush(0, fzStopCanceled), fzFlush(0, 0), fzUnreg(0, 0), fzFlush(0, 0),
		fzClose(0), fzFlush(0, 0))
	// Cancellation: of calls queued behind a hold, of a running hold that
	// watches its context and of one that ignores it, of a Do whose caller
	// stops waiting while its method runs.
	add(0, fzReg(0, 0), fzHoldOp(0, fzHoldAsyncCancelable), fzAsync(0, in(fzNormal, fzCtxCancelable)),
		fzDoGo(0, in(fzNormal, fzCtxCancelable)), fzCancel(1), fzCancel(1), fzCancel(0), fzReg(1, 0),
		fzHoldOp(1, fzHoldAsyncCancelable|fzHoldStuck), fzAsync(1, bg(fzNormal)), fzCancel(0), fzRelease(0),
		fzReg(2, 0), fzDoGo(2, in(fzHoldJob, fzCtxCancelable)), fzTell(2, bg(fzNormal)), fzCancel(0),
		fzReg(3, 0), fzDoGo(3, in(fzStuck, fzCtxCancelable)), fzAsync(3, bg(fzNormal)), fzCancel(0), fzRelease(0), fzFlush(3, 0))

	// Senders waiting for room, freed by their own context, by Unregister
	// and by Close, behind a call on the recipient's goroutine and one on
	// its caller's; and the recipient finishing the call that filled its
	// mailbox, which must wake them.
	add(fzConfigUnbounded|fzConfigIntercept, fzOverflow(1), fzOverflow(5), fzReg(0, 0), fzOverflow(2),
		fzOverflow(6), fzCheck(), fzOverflow(3), fzOverflow(0))
	add(fzConfigIntercept, fzOverflow(9), fzOverflow(13), fzReg(1, 0), fzOverflow(10), fzOverflow(15), fzCheck())
	add(0, fzOverflow(0))
	add(0, fzOverflow(8))
	add(0, fzOverflow(4), fzOverflow(12))

	// A stuck call whose caller stops waiting still takes its place in the
	// mailbox: the model once let the test's goroutine send to the full
	// mailbox behind it, and waited there for ever (the corpus entry
	// a3cf0f5695f1f08d, minimized).
	add(0, fzReg(1, fzOptSize3), fzDoGo(1, fzG(fzStuck, fzCtxCancelable, fzSpecPass)), fzAsync(1, in(fzNormal, fzCtxValue)),
		fzTell(1, bg(fzFail)), fzCancel(0), fzAsync(1, in(fzNormal, fzCtxValue)), fzTell(1, bg(fzNormal)), fzRelease(0),
		fzAsync(1, in(fzNormal, fzCtxValue)), fzFlush(1, 0))

	// Two inputs the fuzzer once found: Stats undercounting while a run of
	// one-way messages is counted, and a Tell refused behind a Register.
	add(0, append(append(append([]fzOp{fzTell(0, bg(fzNormal)), fzReg(0, 0)}, fzRepeat(28, fzTell(0, bg(fzNormal)))...),
		fzTell(2, in(fzNormal, fzCtxCanceled))), fzRepeat(72, fzTell(0, bg(fzNormal)))...)...)
	add(fzConfigUnbounded, append(append([]fzOp{fzTell(0, bg(fzNormal)), fzReg(0, 0), fzTell(2, in(fzNormal, fzCtxCanceled)),
		fzTell(0, bg(fzNormal)), fzReg(3, 0)}, append(fzRepeat(3, fzTell(0, bg(fzNormal))), fzHoldOp(0, fzHoldAsync), fzOverflow(12))...),
		append(fzRepeat(16, fzReg(0, 0)), fzTell(0, bg(fzNormal)))...)...)
	return seeds
}
