// Package typeswitch holds workers that test the address of a message
// after finding its type, with a type switch or a type assertion.
package typeswitch

type call struct {
	to   int
	args []int
}

type cancel struct{ to, id int }

func serve(id int, q chan any) {
	for m := range q {
		switch m := m.(type) {
		case call:
			if m.to != id {
				continue // want `m is dropped`
			}
		case *cancel:
			if m.to != id {
				q <- m // want `m is put back`
				continue
			}
		}
	}
}

func assert(id int, q chan any) {
	for m := range q {
		c, ok := m.(call)
		if !ok {
			continue // not a call: every worker skips it alike
		}
		if c.to != id {
			continue // want `m is dropped`
		}
	}
}

// Start starts the workers.
func Start(n int, q chan any) {
	for i := range n {
		go serve(i, q)
		go assert(i, q)
	}
}
