// Package starts holds the ways the workers of one shared queue are
// started: several go statements, errgroup.Group.Go and sync.WaitGroup.Go
// in a loop, and a closure that calls the worker.
package starts

import (
	"sync"

	"golang.org/x/sync/errgroup"
)

type msg struct{ to string }

func worker(name string, q chan msg) {
	for m := range q {
		if m.to != name {
			continue // want `m is dropped`
		}
	}
}

// Several starts worker with several go statements.
func Several() {
	q := make(chan msg)
	go worker("a", q)
	go worker("b", q)
}

type server struct{ name string }

func (s *server) serve(q chan msg) error {
	for m := range q {
		if m.to != s.name {
			continue // want `m is dropped`
		}
	}
	return nil
}

// Errgroup starts the servers with errgroup.Group.Go, through a method
// value.
func Errgroup(servers []*server) error {
	q := make(chan msg)
	var g errgroup.Group
	for _, s := range servers {
		g.Go(func() error { return s.serve(q) })
	}
	return g.Wait()
}

func (s *server) loop(q chan msg) {
	for {
		select {
		case m := <-q:
			if m.to != s.name {
				q <- m // want `m is put back`
			}
		}
	}
}

// WaitGroup starts the servers with sync.WaitGroup.Go, through a method
// value.
func WaitGroup(servers []*server, q chan msg) {
	var wg sync.WaitGroup
	for _, s := range servers {
		wg.Go(func() { s.loop(q) })
	}
	wg.Wait()
}

func (s *server) drain(q chan msg) {
	for m := range q {
		if m.to != s.name {
			continue // want `m is dropped`
		}
	}
}

// MethodValue starts the servers with a method value.
func MethodValue(q chan msg) {
	var wg sync.WaitGroup
	for _, n := range []string{"a", "b"} {
		s := &server{name: n}
		g := func() { s.drain(q) }
		wg.Go(g)
	}
}

func named(name string, q chan msg) {
	for m := range q {
		if m.to != name {
			continue // want `m is dropped`
		}
	}
}

// Wrapped starts named with several go statements, each through a function
// literal of its own.
func Wrapped() {
	q := make(chan msg)
	go func() { named("a", q) }()
	go func() {
		defer println("done")
		named("b", q)
	}()
}

func (s *server) consume(q chan msg) {
	for m := range q {
		if m.to != s.name {
			continue // want `m is dropped`
		}
	}
}

// MethodVariable starts the servers through a variable holding a method
// value.
func MethodVariable(servers []*server, q chan msg) {
	for _, s := range servers {
		consume := s.consume
		go consume(q)
	}
}

func (s *server) overlap(q chan msg) {
	for m := range q {
		if m.to != s.name {
			continue // want `m is dropped`
		}
	}
}

// WaitOutside starts all the servers before it waits for them.
func WaitOutside(servers []*server, q chan msg) {
	var wg sync.WaitGroup
	for range 2 {
		for _, s := range servers {
			wg.Go(func() { s.overlap(q) })
		}
		wg.Wait()
	}
}

func (s *server) listen(q chan msg, ready *sync.WaitGroup) {
	ready.Done()
	for m := range q {
		if m.to != s.name {
			continue // want `m is dropped`
		}
	}
}

func (s *server) accept(q chan msg) {
	for m := range q {
		if m.to != s.name {
			continue // want `m is dropped`
		}
	}
}

// Ready waits in each iteration until the server started is ready, not
// until it ends: the servers run together.
func Ready(servers []*server, q chan msg) {
	for _, s := range servers {
		var ready sync.WaitGroup
		ready.Add(1)
		go s.listen(q, &ready)
		ready.Wait()
	}
	var g errgroup.Group
	for _, s := range servers {
		var ready sync.WaitGroup
		ready.Add(1)
		g.Go(func() error {
			ready.Done()
			s.accept(q)
			return nil
		})
		ready.Wait()
	}
	_ = g.Wait()
}

type node struct {
	id    string
	queue chan msg
}

func (n *node) work(q chan msg) {
	for m := range q {
		if m.to != n.id {
			continue // want `m is dropped`
		}
	}
}

func (n *node) spawn(q chan msg) { go n.work(q) }

// Spawned starts each node's worker through a method that has the go
// statement, called in a loop.
func Spawned(nodes []*node, q chan msg) {
	for _, n := range nodes {
		n.spawn(q)
	}
}

func (n *node) own(q chan msg) {
	for m := range q {
		if m.to != n.id {
			continue
		}
	}
}

func (n *node) spawnOwn(q chan msg) { go n.own(q) }

// SpawnedOwn starts each node's worker on a channel of its own, through a
// method called in a loop.
func SpawnedOwn(nodes []*node) {
	for _, n := range nodes {
		n.spawnOwn(make(chan msg))
	}
}
