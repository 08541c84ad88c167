// Package odd holds shapes of code the analyzer must survive: nil channels,
// channels of channels, recursion, bodiless functions, blank and outer
// variables, labels, method expressions and type parameters.
package odd

import _ "unsafe"

type msg struct{ to int }

type server struct {
	id   int
	last msg
}

func nilChan(id int) {
	for m := range (chan msg)(nil) {
		if m.to != id {
			continue
		}
	}
	var q chan msg
	for {
		m := <-q
		if m.to != id {
			return
		}
	}
}

func chanOfChans(id int, qq chan chan msg) {
	for q := range qq {
		for m := range q {
			if m.to != id {
				continue
			}
		}
	}
	for {
		m := <-<-qq
		_ = m
	}
}

func recursive(id int, q chan msg) {
	for m := range q {
		if m.to != id {
			go recursive(id+1, q)
			continue // want `m is dropped`
		}
		recursive(id, q)
	}
}

func mutualA(id int, q chan msg) { mutualB(id, q) }

func mutualB(id int, q chan msg) {
	mutualA(id, q)
	for m := range q {
		if m.to != id {
			continue // want `m is dropped`
		}
	}
}

//go:linkname bodiless runtime.bodiless
func bodiless(id int, q chan msg)

func (s *server) outer(q chan msg) {
	var m msg
	for _ = range q {
	}
	for m = range q {
		if m.to != s.id {
			continue // want `m is dropped`
		}
	}
	for {
		s.last = <-q
		if s.last.to != s.id {
			continue
		}
	}
}

func (s *server) labelled(q chan msg) {
outer:
	for m := range q {
		for range 2 {
			if m.to != s.id {
				continue outer
			}
		}
	inner:
		if m.to != s.id {
			goto inner
		}
	}
}

func generic[C ~chan msg](id int, q C) {
	for m := range q {
		if m.to != id {
			continue
		}
	}
	for {
		if m := <-q; m.to != id {
			continue // want `m is dropped`
		}
	}
}

func (s *server) self(q chan msg) {
	for m := range q {
		if m.to != s.id {
			continue // want `m is dropped`
		}
	}
}

// Start starts everything, some of it in odd ways.
func Start(n int, q chan msg, qq chan chan msg) {
	for i := range n {
		go nilChan(i)
		go chanOfChans(i, qq)
		go recursive(i, q)
		go mutualA(i, q)
		go bodiless(i, q)
		s := &server{id: i}
		go s.outer(q)
		go s.labelled(q)
		go generic(i, q)
		go (*server).self(s, q)
		go func(...int) {}(i)
		var f func()
		go f()
		go (func())(nil)()
	}
	go Start(n, q, qq)
}

var shared = make(chan msg)

// atInit is called where a package variable is initialized, outside any
// function.
func atInit(id int) int {
	for m := range shared {
		if m.to != id {
			continue
		}
	}
	return id
}

var initialized = atInit(1)

func (s *server) initialized(q chan msg) {
	for {
		if m := <-q; m.to != s.id {
			continue // want `m is dropped`
		}
	}
}

func (s *server) switched(q chan msg) {
	for {
		switch m := <-q; m.to {
		case s.id:
		default:
			q <- m // want `m is put back`
		}
	}
}

// StartInitialized starts the servers that receive in an initializer.
func StartInitialized(q chan msg) {
	for i := range 2 {
		s := &server{id: i}
		go s.initialized(q)
		go s.switched(q)
	}
}

type node struct {
	id   int
	q    chan msg
	next *node
}

// newNode is a constructor that calls itself.
func newNode(id int, q chan msg) *node {
	n := newNode(id-1, q)
	return n
}

func (n *node) run() {
	for m := range n.q {
		if m.to != n.id {
			continue
		}
	}
}

// StartNodes starts nodes made by a constructor that never returns.
func StartNodes(q chan msg) {
	for i := range 2 {
		go newNode(i, q).run()
		n := newNode(i, q)
		go n.run()
	}
}
