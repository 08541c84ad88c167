package bench_test

import (
	"context"
	"sync"

	"github.com/dispatchgen/dispatchgen/bench"
)

// lockedRecipient is the floor every benchmark compares with: the
// recipient's method called directly, with a mutex to keep its calls apart
// as a mailbox does.
type lockedRecipient struct {
	mu sync.Mutex
	r  *bench.Recipient
}

func newLockedRecipients(n int) []*lockedRecipient {
	ls := make([]*lockedRecipient, n)
	for k := range ls {
		ls[k] = &lockedRecipient{r: bench.NewRecipient(k)}
	}
	return ls
}

func (l *lockedRecipient) Echo(ctx context.Context, n int) (bench.Reply, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.r.Echo(ctx, n)
}

func (l *lockedRecipient) Note(ctx context.Context, n int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.r.Note(ctx, n)
}

func (l *lockedRecipient) Tally(ctx context.Context) (bench.Tally, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.r.Tally(ctx)
}
