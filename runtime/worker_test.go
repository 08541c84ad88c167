package runtime_test

import "context"

// Worker is the recipient interface of the tests.
type Worker interface {
	Do(ctx context.Context, job Job) (Reply, error)
	Pair(ctx context.Context, a, b int) (sum int, label string, err error)
	Ping(ctx context.Context) error
	Tell(ctx context.Context, note string)
}

// Job is a unit of work sent to a Worker.
type Job struct {
	From string // who sent it
	Seq  int    // the sender's sequence number
}

// Reply says which worker handled a Job and what it had seen by then.
type Reply struct {
	By   string
	Job  Job
	Seen int // jobs this worker handled before this one
}

// testWorker is a Worker whose state is deliberately unsynchronized, so that
// the race detector catches any concurrent use, and whose behaviour a test can
// change through hooks.
type testWorker struct {
	name  string
	seen  int
	notes []string
	last  map[string]int // last Seq seen per sender

	// do, when set, runs inside Do before the reply is made.
	do func(ctx context.Context, job Job) error
	// tell, when set, runs inside Tell.
	tell func(ctx context.Context, note string)
}

func newTestWorker(name string) *testWorker {
	return &testWorker{name: name, last: map[string]int{}}
}

func (w *testWorker) Do(ctx context.Context, job Job) (Reply, error) {
	if w.do != nil {
		if err := w.do(ctx, job); err != nil {
			return Reply{}, err
		}
	}
	r := Reply{By: w.name, Job: job, Seen: w.seen}
	w.seen++
	w.last[job.From] = job.Seq
	return r, nil
}

func (w *testWorker) Pair(_ context.Context, a, b int) (int, string, error) {
	w.seen++
	return a + b, w.name, nil
}

func (w *testWorker) Ping(context.Context) error {
	w.seen++
	return nil
}

func (w *testWorker) Tell(ctx context.Context, note string) {
	if w.tell != nil {
		w.tell(ctx, note)
	}
	w.seen++
	w.notes = append(w.notes, note)
}
