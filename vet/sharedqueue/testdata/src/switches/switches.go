// Package switches holds workers that test a message's address with a
// switch on it.
package switches

type msg struct {
	to    string
	reply chan error
}

type server struct {
	name string
	seen int
}

const broadcast = "*"

func (s *server) serve(q chan msg) {
	for m := range q {
		switch m.to {
		case s.name, broadcast:
			s.seen++
		default:
			continue // want `m is dropped`
		}
		s.seen--
	}
}

func (s *server) fallOff(q chan msg) {
	for m := range q {
		switch m.to { // want `m is dropped`
		case s.name:
			s.seen++
		}
	}
}

func (s *server) putBack(q chan msg) {
	for m := range q {
		switch m.to {
		case broadcast:
		case s.name:
			s.seen++
		default:
			q <- m // want `m is put back`
		}
	}
}

func (s *server) answer(q chan msg) {
	for m := range q {
		switch m.to {
		case s.name:
			s.seen++
		default:
			m.reply <- nil // answered
		}
	}
}

func (s *server) kinds(q chan msg) {
	for m := range q {
		switch m.to {
		case broadcast, "":
		default:
			continue // constants: every server skips alike
		}
	}
}

func (s *server) leave(q chan msg) {
	for m := range q {
		switch m.to {
		case s.name:
		default:
			break // leaves the switch; the rest handles m
		}
		s.seen += len(m.to)
	}
}

// Start starts a server of each name for each.
func Start(names []string, q chan msg) {
	for _, n := range names {
		s := &server{name: n}
		go s.serve(q)
		go s.fallOff(q)
		go s.putBack(q)
		go s.answer(q)
		go s.kinds(q)
		go s.leave(q)
	}
}
