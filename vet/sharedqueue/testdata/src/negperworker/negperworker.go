// Package negperworker holds workers with a channel each, which check that a
// message is theirs: the check never fails. Nothing here is reported.
package negperworker

type msg struct{ to int }

type worker struct {
	id    int
	inbox chan msg
}

func (w *worker) run() {
	for m := range w.inbox {
		if m.to != w.id {
			continue
		}
	}
}

func (w *worker) runFrom(in <-chan msg) {
	for m := range in {
		if m.to != w.id {
			continue
		}
	}
}

func work(id int, in chan msg) {
	for m := range in {
		if m.to != id {
			in <- m
		}
	}
}

// Start starts the workers with their own channels, in every way.
func Start(n int) []chan msg {
	chans := make([]chan msg, n)
	for i := range n {
		w := &worker{id: i, inbox: make(chan msg)}
		go w.run()
		go w.runFrom(w.inbox)
		chans[i] = make(chan msg)
		go work(i, chans[i])
	}
	for i, ch := range chans {
		go work(i, ch)
	}
	for i := range n {
		ch := make(chan msg)
		go func() {
			for m := range ch {
				if m.to != i {
					continue
				}
			}
		}()
	}
	go work(1, make(chan msg))
	go work(2, make(chan msg))
	return chans
}

func named(name int, in chan msg) {
	for m := range in {
		if m.to != name {
			continue
		}
	}
}

// Wrapped starts named with several go statements, each through a function
// literal of its own, each with a channel of its own.
func Wrapped(a chan msg) {
	go func() { named(1, a) }()
	go func() { named(2, make(chan msg)) }()
}

type holder struct {
	id int
	in chan msg
}

func (h *holder) run() {
	for m := range h.in {
		if m.to != h.id {
			continue
		}
	}
}

// Reassigned makes each holder with the shared channel, then gives it one
// of its own before it starts.
func Reassigned(q chan msg) {
	for i := range 4 {
		h := &holder{id: i, in: q}
		h.in = make(chan msg)
		go h.run()
	}
	for i := range 4 {
		h := holder{id: i, in: make(chan msg)}
		go h.run()
	}
}

type box struct {
	name string
	in   chan msg
}

func (b *box) open() { b.in = make(chan msg) }

func (b *box) run(id int) {
	for m := range b.in {
		if m.to != id {
			continue
		}
	}
}

// Opened makes each box with a literal of constants and gives it a channel
// of its own after.
func Opened() {
	for i := range 4 {
		b := box{name: "x"}
		b.open()
		go b.run(i)
	}
}
