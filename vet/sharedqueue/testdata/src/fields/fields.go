// Package fields holds workers that receive from a channel held in a field
// of their own, set to the one shared channel where each is made.
package fields

import "golang.org/x/sync/errgroup"

type msg struct{ to int }

type worker struct {
	id    int
	inbox chan msg
}

func (w *worker) run() {
	for m := range w.inbox {
		if m.to != w.id {
			continue // want `m is dropped`
		}
	}
}

// Keyed starts workers made by a keyed composite literal.
func Keyed(n int) {
	q := make(chan msg)
	for i := range n {
		w := &worker{id: i, inbox: q}
		go w.run()
	}
}

func (w *worker) serve() error {
	for m := range w.inbox {
		if m.to != w.id {
			w.inbox <- m // want `m is put back`
		}
	}
	return nil
}

// Positional starts workers made by a positional composite literal, with
// errgroup.Group.Go and a method value.
func Positional(n int, q chan msg) error {
	var g errgroup.Group
	for i := range n {
		w := &worker{i, q}
		g.Go(w.serve)
	}
	return g.Wait()
}

func (w worker) drain() {
	for m := range w.inbox {
		if m.to != w.id {
			continue // want `m is dropped`
		}
	}
}

// Statements starts two workers with two go statements.
func Statements(q chan msg) {
	go worker{id: 1, inbox: q}.drain()
	a := worker{id: 2, inbox: q}
	go a.drain()
}

type shard[T any] struct {
	id   int
	cfg  config[T]
	seen []T
}

type config[T any] struct{ in chan envelope[T] }

type envelope[T any] struct {
	to   int
	body T
}

func (s *shard[T]) run() {
	for e := range s.cfg.in {
		if e.to != s.id {
			continue // want `e is dropped`
		}
		s.seen = append(s.seen, e.body)
	}
}

// Nested starts generic shards whose channel is a field of a field.
func Nested(n int, in chan envelope[string]) {
	for i := range n {
		s := &shard[string]{id: i, cfg: config[string]{in: in}}
		go s.run()
	}
}

type conn struct {
	id    int
	queue chan msg
	buf   []msg
}

func newConn(id int, queue chan msg) *conn {
	return &conn{id: id, queue: queue}
}

func newOwnConn(id int) *conn {
	c := &conn{id: id}
	c.queue = make(chan msg)
	return c
}

func (c *conn) read() {
	for m := range c.queue {
		if m.to != c.id {
			continue // want `m is dropped`
		}
		c.buf = append(c.buf, m)
	}
}

func (c *conn) readOwn() {
	for m := range c.queue {
		if m.to != c.id {
			continue
		}
		c.buf = append(c.buf, m)
	}
}

// Constructed starts connections made by a constructor that keeps the
// shared channel in a field, and by one that makes a channel for each.
func Constructed(q chan msg) {
	for i := range 4 {
		c := newConn(i, q)
		go c.read()
		own := newOwnConn(i)
		go own.readOwn()
	}
}
