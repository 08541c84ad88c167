// Package equal holds tests written with ==, where the message is dropped
// after the branch that handles it.
package equal

type msg struct{ to, v int }

type worker struct {
	id  int
	sum int
}

// fallOff handles its own messages and lets the others go by.
func (w *worker) fallOff(q <-chan msg) {
	for m := range q {
		if m.to == w.id { // want `m is dropped`
			w.sum += m.v
		}
	}
}

// elseDrop drops in an else branch.
func (w *worker) elseDrop(q <-chan msg) {
	for m := range q {
		if m.to == w.id {
			w.sum += m.v
		} else {
			w.sum++
			continue // want `m is dropped`
		}
		w.sum--
	}
}

// awaitReply waits on a shared reply channel for its own reply.
func awaitReply(id int, replies <-chan msg) int {
	for r := range replies {
		if r.to == id { // want `r is dropped`
			return r.v
		}
	}
	return 0
}

// Start starts the workers.
func Start(ws []*worker, q chan msg) {
	for _, w := range ws {
		go w.fallOff(q)
		go w.elseDrop(q)
		go awaitReply(w.id, q)
	}
}
