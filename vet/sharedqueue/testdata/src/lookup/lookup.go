// Package lookup holds workers that find whether a message is theirs by a
// map lookup: of the partitions each owns, or of the owner of each key.
package lookup

type record struct {
	partition int
	key       string
}

type consumer struct {
	id    int
	owned map[int]bool
	seen  map[int]struct{}
	count int
}

func (c *consumer) owns(q chan record) {
	for r := range q {
		if !c.owned[r.partition] {
			continue // want `r is dropped`
		}
		c.count++
	}
}

func (c *consumer) commaOK(q chan record) {
	for r := range q {
		if _, ok := c.seen[r.partition]; !ok {
			q <- r // want `r is put back`
			continue
		}
		c.count++
	}
}

var owner = map[string]int{}

func (c *consumer) byOwner(q chan record) {
	for r := range q {
		if owner[r.key] != c.id {
			continue // want `r is dropped`
		}
		c.count++
	}
}

func (c *consumer) counted(q chan record) {
	for r := range q {
		if _, ok := c.seen[r.partition]; ok {
			continue // a partition seen before: each consumer skips its own repeats
		}
		c.seen[r.partition] = struct{}{}
	}
}

// Start starts a consumer of each set of partitions for each.
func Start(q chan record, sets []map[int]bool) {
	for i, set := range sets {
		c := &consumer{id: i, owned: set, seen: map[int]struct{}{}}
		go c.owns(q)
		go c.commaOK(q)
		go c.byOwner(q)
		go c.counted(q)
	}
}

// Shared starts consumers that all look up one map of the partitions to
// take: every consumer skips the same messages alike.
func Shared(q chan record, owned map[int]bool) {
	for i := range 4 {
		c := &consumer{id: i, owned: owned}
		go c.owns(q)
	}
}
