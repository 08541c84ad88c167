// Package drop holds the drop form: a worker takes a message addressed to
// another from the shared queue and drops it.
package drop

type msg struct {
	to   string
	body int
}

type server struct {
	name string
	seen int
}

// serveRange drops with continue, the queue read with range.
func (s *server) serveRange(q <-chan msg) {
	for m := range q {
		if m.to != s.name {
			continue // want `m is dropped when it is addressed to another worker: every worker receives from q`
		}
		s.seen += m.body
	}
}

// servePlain drops with return, the queue read with a plain receive.
func (s *server) servePlain(q chan msg) {
	for {
		m, ok := <-q
		if !ok {
			return
		}
		if s.name != m.to {
			return // want `m is dropped`
		}
		s.seen += m.body
	}
}

// serveSelect drops in a select case, and logs what it drops.
func (s *server) serveSelect(q chan msg, done <-chan struct{}) {
	for {
		select {
		case m := <-q:
			if m.to != s.name {
				println("not mine")
				continue // want `m is dropped`
			}
			s.seen += m.body
		case <-done:
			return
		}
	}
}

// Start starts a server of each name for each form.
func Start(names []string) {
	q := make(chan msg)
	done := make(chan struct{})
	for _, n := range names {
		s := &server{name: n}
		go s.serveRange(q)
		go s.servePlain(q)
		go s.serveSelect(q, done)
	}
}
