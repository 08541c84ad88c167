// Package negsingle holds a worker loop with an identity test that runs in
// one goroutine only, and one that is never started. Nothing here is
// reported.
package negsingle

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
