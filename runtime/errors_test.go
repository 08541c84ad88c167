package runtime_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/dispatchgen/dispatchgen/runtime"
)

// checkNamed fails unless err wraps want and names the recipient it was
// addressed to, as every sentinel error of a dispatch does.
func checkNamed(t *testing.T, what string, err, want error, recipient string) {
	t.Helper()
	if !errors.Is(err, want) || !strings.Contains(err.Error(), recipient) {
		t.Errorf("%s: err = %v, want %v naming %s", what, err, want, recipient)
	}
}

// Issue 8: ErrMailboxFull names the recipient whose mailbox is full, for
// calls and one-way messages alike.
func TestMailboxFullNamesRecipient(t *testing.T) {
	ctx := context.Background()
	var dead deadLetters
	d := newDispatcher(t, runtime.WithDeadLetterHandler(dead.handler))
	registerHeld(t, d, "w", runtime.WithMailboxSize(1), runtime.WithFailFast())
	_, err := d.To("w").Do(ctx, Job{})
	checkNamed(t, "Do", err, runtime.ErrMailboxFull, "Worker[w]")
	_, err = d.To("w").DoAsync(ctx, Job{}).Await(ctx)
	checkNamed(t, "DoAsync", err, runtime.ErrMailboxFull, "Worker[w]")
	d.To("w").Tell(ctx, "x")
	if ls := dead.byNote()["x"]; len(ls) != 1 {
		t.Errorf("Tell: dead letters %+v, want one", ls)
	} else {
		checkNamed(t, "Tell", ls[0].Err, runtime.ErrMailboxFull, "Worker[w]")
	}
}

// Issue 8: ErrDeadlock names the recipient the call would wait for, whether
// that is the caller itself or a recipient around a cycle, and whether the
// call waits for a reply, for a Future or for room in a full mailbox.
func TestDeadlockNamesRecipient(t *testing.T) {
	ctx := context.Background()
	d := newDispatcher(t)
	a, b := newTestWorker("a"), newTestWorker("b")
	// A job's From names the route still to take, as in TestGuarantee7Deadlock;
	// Seq picks how the last hop waits. The hops before it are synchronous
	// calls, which record their wait before the callee can run: had they
	// awaited Futures too, either end of the cycle could be the one to find
	// it, and name the other.
	const (
		viaCall = iota
		viaAwait
	)
	route := func(ctx context.Context, job Job) error {
		if job.From == "" {
			return nil
		}
		next, rest := job.From[:1], job.From[1:]
		var err error
		if job.Seq == viaAwait && rest == "" {
			_, err = d.To(next).DoAsync(ctx, Job{From: rest, Seq: job.Seq}).Await(ctx)
		} else {
			_, err = d.To(next).Do(ctx, Job{From: rest, Seq: job.Seq})
		}
		return err
	}
	a.do, b.do = route, route
	if err := d.Register("a", a); err != nil {
		t.Fatal(err)
	}
	if err := d.Register("b", b, runtime.WithMailboxSize(1)); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		start, route string
		seq          int
		named        string
	}{
		{"a", "a", viaCall, "Worker[a]"},   // a calls itself
		{"a", "a", viaAwait, "Worker[a]"},  // a awaits a call to itself
		{"a", "ba", viaCall, "Worker[a]"},  // a → b → a
		{"b", "ab", viaAwait, "Worker[b]"}, // b → a → b, with Await
	} {
		what := tc.start + "→" + tc.route + [...]string{viaCall: " (call)", viaAwait: " (Await)"}[tc.seq]
		var err error
		await(t, what, func() {
			_, err = d.To(tc.start).Do(ctx, Job{From: tc.route, Seq: tc.seq})
		})
		checkNamed(t, what, err, runtime.ErrDeadlock, tc.named)
	}
	// A call refused at its Await is still queued; let it run before b's
	// method changes.
	for _, key := range []string{"a", "b"} {
		if err := d.Flush(ctx, key); err != nil {
			t.Fatal(err)
		}
	}

	// b's mailbox of one place is full while b runs; a call to b from b's
	// own method with a context that cannot end would wait for room for
	// ever.
	b.do = func(ctx context.Context, job Job) error {
		if job.From != "self" {
			return nil
		}
		_, err := d.To("b").DoAsync(ctx, Job{}).Await(context.Background())
		return err
	}
	var err error
	await(t, "b's asynchronous call to itself with its mailbox full", func() {
		_, err = d.To("b").Do(ctx, Job{From: "self"})
	})
	checkNamed(t, "b's asynchronous call to itself with its mailbox full", err, runtime.ErrDeadlock, "Worker[b]")
}
