// Package negsingle holds a worker loop with an identity test that runs in
// one goroutine only, and one that is never started. Nothing here is
// reported.
package negsingle

import "sync"

type msg struct{ to string }

type server struct{ name string }

func (s *server) serve(q chan msg) {
	for m := range q {
		if m.to != s.name {
			continue
		}
	}
}

func (s *server) never(q chan msg) {
	for m := range q {
		if m.to != s.name {
			continue
		}
	}
}

// Start starts one server.
func Start(q chan msg) {
	s := &server{name: "only"}
	go s.serve(q)
}

// Sequential calls the loop of each server in turn, in this goroutine.
func Sequential(q chan msg, servers []*server) {
	for _, s := range servers {
		s.never(q)
	}
}

// once receives outside any loop: there is no worker loop.
func (s *server) once(q chan msg) {
	m := <-q
	if m.to != s.name {
		return
	}
}

// Once starts a server of each name that receives once.
func Once(q chan msg, names []string) {
	for _, n := range names {
		go (&server{name: n}).once(q)
	}
}

func worker(name string, q chan msg) {
	for m := range q {
		if m.to != name {
			continue
		}
	}
}

// Switch starts one worker of two, chosen by a switch: one goroutine reads
// q.
func Switch(mode string, q chan msg) {
	switch mode {
	case "a":
		go worker("a", q)
	case "b":
		go worker("b", q)
	}
}

func worker2(name string, q chan msg) {
	for m := range q {
		if m.to != name {
			continue
		}
	}
}

// If starts one worker of two, chosen by an if.
func If(mode string, q chan msg) {
	if mode == "x" {
		go worker2("x", q)
	} else {
		go worker2("y", q)
	}
}

type conn struct{ gen string }

func (c *conn) read(events chan msg) {
	for ev := range events {
		if ev.to != c.gen {
			continue // an event of an earlier connection
		}
	}
}

// Reconnect starts a reader for each connection in turn, and waits for it
// to end before it starts the next: one goroutine reads events.
func Reconnect(events chan msg, gens []string) {
	for _, g := range gens {
		var wg sync.WaitGroup
		c := &conn{gen: g}
		wg.Go(func() { c.read(events) })
		wg.Wait()
	}
}

func (c *conn) readAgain(events chan msg) {
	for ev := range events {
		if ev.to != c.gen {
			continue
		}
	}
}

// ReconnectGo starts the readers with go statements, waiting for each.
func ReconnectGo(events chan msg, gens []string) {
	var wg sync.WaitGroup
	for _, g := range gens {
		wg.Add(1)
		go func() {
			defer wg.Done()
			(&conn{gen: g}).readAgain(events)
		}()
		wg.Wait()
	}
}
