// Package negkind holds a single consumer that filters by kind, and one
// that filters by its own name: one goroutine reads the channel, so nothing
// is lost to another. Nothing here is reported.
package negkind

type event struct {
	kind  string
	owner string
}

type consumer struct {
	name  string
	kinds map[string]int
}

func (c *consumer) consume(events <-chan event) {
	for ev := range events {
		if ev.kind != "click" {
			continue
		}
		c.kinds[ev.kind]++
	}
}

func (c *consumer) mine(events <-chan event) {
	for ev := range events {
		if ev.owner != c.name {
			continue
		}
		c.kinds[ev.kind]++
	}
}

// Start starts one consumer of each.
func Start(events chan event) {
	c := &consumer{name: "a", kinds: map[string]int{}}
	go c.consume(events)
	go c.mine(events)
}

// Loop starts consumers in a loop that filter by kind only.
func Loop(events chan event, names []string) {
	for _, n := range names {
		c := &consumer{name: n, kinds: map[string]int{}}
		go c.consume(events)
	}
}
