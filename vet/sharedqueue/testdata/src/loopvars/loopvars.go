// Package loopvars holds workers started in a loop whose arguments are
// variables declared in the loop's body.
package loopvars

type msg struct{ to int }

type worker struct{ id int }

func newWorker(id int) *worker { return &worker{id: id} }

func (w *worker) run(in <-chan msg) {
	for m := range in {
		if m.to != w.id {
			continue // want `m is dropped`
		}
	}
}

func (w *worker) serve(in <-chan msg) {
	for m := range in {
		if m.to != w.id {
			continue // want `m is dropped`
		}
	}
}

func (w *worker) runOwn(in <-chan msg) {
	for m := range in {
		if m.to != w.id {
			continue
		}
	}
}

// Alias starts workers on a variable of the loop that holds the shared
// channel, each worker an element of a slice.
func Alias(n int) {
	shared := make(chan msg)
	ws := make([]*worker, n)
	for i := range ws {
		in := shared
		ws[i] = &worker{id: i}
		go ws[i].run(in)
	}
}

// Constructed starts workers made by a constructor.
func Constructed(n int, shared chan msg) {
	for i := 0; i < n; i++ {
		w := newWorker(i)
		go w.serve(shared)
	}
}

// Own starts workers on channels of their own, taken from a slice.
func Own(chans []chan msg) {
	for i := range chans {
		ch := chans[i]
		w := newWorker(i)
		go w.runOwn(ch)
	}
}
