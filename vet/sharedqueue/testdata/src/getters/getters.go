// Package getters holds workers that read a message's address, or their
// own identity, through a method, as generated protocol buffers have them
// do.
package getters

type header struct{ to string }

func (h *header) GetTo() string { return h.to }

type msg struct{ h *header }

func (m *msg) GetHeader() *header { return m.h }

func (m *msg) To() string { return m.h.to }

type server struct{ name string }

func (s *server) Name() string { return s.name }

func (s *server) serve(q chan *msg) {
	for m := range q {
		if m.To() != s.name {
			continue // want `m is dropped`
		}
	}
}

func (s *server) chained(q chan *msg) {
	for m := range q {
		if m.GetHeader().GetTo() != s.Name() {
			q <- m // want `m is put back`
		}
	}
}

func (s *server) withArgs(q chan *msg) {
	for m := range q {
		if m.at(0) != s.name {
			continue // a method with arguments is not a getter
		}
	}
}

func (m *msg) at(int) string { return m.h.to }

// Start starts a server of each name.
func Start(names []string, q chan *msg) {
	for _, n := range names {
		s := &server{name: n}
		go s.serve(q)
		go s.chained(q)
		go s.withArgs(q)
	}
}

type id int

type numbered struct{ n int }

type job struct{ worker int64 }

func (w *numbered) run(q chan job) {
	for j := range q {
		if j.worker != int64(w.n) {
			continue // want `j is dropped`
		}
	}
}

func (w *numbered) typed(q chan job) {
	for j := range q {
		if id(j.worker) != id(w.n) {
			continue // want `j is dropped`
		}
	}
}

// StartNumbered starts the numbered workers, who convert their identity to
// compare it.
func StartNumbered(q chan job) {
	for i := range 4 {
		w := &numbered{n: i}
		go w.run(q)
		go w.typed(q)
	}
}
