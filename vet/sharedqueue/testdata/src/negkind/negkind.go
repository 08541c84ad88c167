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

type filter struct {
	kinds map[string]bool
	count int
}

func (f *filter) consume(events <-chan event) {
	for ev := range events {
		if !f.kinds[ev.kind] {
			continue
		}
		f.count++
	}
}

// Literal starts consumers in a loop, each with a map of its own that holds
// the same kinds: they skip the same events alike.
func Literal(events chan event) {
	for range 4 {
		f := &filter{kinds: map[string]bool{"click": true, "key": true}}
		go f.consume(events)
	}
}
