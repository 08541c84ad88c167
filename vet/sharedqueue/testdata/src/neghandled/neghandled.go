// Package neghandled holds shared queues whose workers do something with
// a message not their own other than drop it or put it back, and tests that
// are not of the worker's identity. Nothing here is reported.
package neghandled

import "errors"

type msg struct {
	to, from string
	kind     string
	reply    chan error
}

type server struct {
	name    string
	pending []msg
	version string
}

var errNotMine = errors.New("not mine")

const broadcast = "*"

func (s *server) serve(q chan msg) {
	for m := range q {
		if m.to != s.name {
			m.reply <- errNotMine // answered: the caller knows
			continue
		}
	}
}

func (s *server) keep(q chan msg) {
	for m := range q {
		if m.to != s.name {
			s.pending = append(s.pending, m)
			continue
		}
	}
}

func (s *server) constant(q chan msg) {
	for m := range q {
		if m.to != broadcast {
			continue
		}
		if m.kind == "ping" {
			continue
		}
	}
}

func (s *server) compound(q chan msg) {
	for m := range q {
		if m.to != s.name && m.to != broadcast {
			continue
		}
	}
}

func (s *server) own(q chan msg) {
	for m := range q {
		if m.from == s.name {
			continue // its own echo; the rest is handled below
		}
		s.pending = append(s.pending, m)
	}
}

func (s *server) otherChannel(q, other chan msg) {
	for m := range q {
		if m.to != s.name {
			other <- m
		}
	}
}

// Start starts a server of each name for each.
func Start(q, other chan msg, names []string) {
	for _, n := range names {
		s := &server{name: n}
		go s.serve(q)
		go s.keep(q)
		go s.constant(q)
		go s.compound(q)
		go s.own(q)
		go s.otherChannel(q, other)
	}
}
