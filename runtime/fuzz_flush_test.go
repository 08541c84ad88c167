package runtime_test

import (
	"context"
	"errors"

	"github.com/dispatchgen/dispatchgen/runtime"
)

// flush is Flush of key: variant%3 0 opens the key's gates first and must
// return nil, 1 has a canceled context and 2 a deadline. A Flush that
// returns nil has seen every message the mailbox accepted before it end.
func (m *fzRun) flush(key string, v int) {
	m.t.Helper()
	if w := m.byKey[key]; w != nil && v%3 == 0 {
		m.releaseAll(w)
	}
	w := m.byKey[key]
	var (
		ctx     context.Context
		cancel  context.CancelFunc
		ctxName string
	)
	if v%3 == 0 {
		ctx, cancel = context.WithTimeout(context.Background(), fzDrainWait)
		ctxName = "drain"
	} else {
		ctx, cancel, ctxName = m.stopContext(v % 3)
	}
	defer cancel()
	m.logf("Flush(%s, %s)", key, ctxName)
	err := m.d.Flush(ctx, key)
	switch {
	case m.closed:
		m.wantErr("Flush after Close", err, runtime.ErrClosed)
	case w == nil:
		m.wantErr("Flush of an unregistered key", err, runtime.ErrNoRecipient)
	case err == nil:
		if f := m.front(w); f >= 0 {
			m.fatalf("Flush(%s) returned nil while %s waited at its gate", key, w.items[f])
		}
		m.flushed(w)
	case v%3 == 0 || ctx.Err() == nil || !errors.Is(err, ctx.Err()):
		m.fatalf("Flush(%s, %s) = %v, want nil or an error wrapping its context's", key, ctxName, err)
	}
}

// flushed checks what a Flush of w that returned nil promises: every
// message accepted before it has ended, and, since nothing was sent since,
// the counters count each as it ended and none as queued.
func (m *fzRun) flushed(w *fzWorker) {
	m.t.Helper()
	for _, it := range w.items {
		if it.kind == fzKindAsync && fzAvoids("flush-before-end") {
			m.awaitEnd("Flush("+w.key+") returned nil", it)
		}
		m.mustEnd("Flush("+w.key+") returned nil", it)
	}
	want := m.wantCounts(w)
	s := m.d.Stats()[w.key]
	if s.Queued != 0 || s.Handled != want.Handled || s.Failed != want.Failed || s.Panics != want.Panics || s.Rejected != uint64(w.rejected) {
		m.fatalf("after Flush(%s), Stats = %+v, want %d handled, %d failed, %d panicked, %d rejected and none queued",
			w.key, s, want.Handled, want.Failed, want.Panics, w.rejected)
	}
}
