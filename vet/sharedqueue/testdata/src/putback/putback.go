// Package putback holds the put-back form: a worker takes a message
// addressed to another from the shared queue and sends it back.
package putback

type msg struct {
	header struct{ to int }
	body   int
}

var queue = make(chan *msg, 16)

// workRange puts back, the queue read with range.
func workRange(id int) {
	for m := range queue {
		if m.header.to != id {
			queue <- m // want `m is put back into queue when it is addressed to another worker: the messages circle among the wrong workers`
			continue
		}
		_ = m.body
	}
}

// workPlain puts back, the queue read with a plain receive.
func workPlain(id int) {
	for {
		m := <-queue
		if m.header.to != id {
			queue <- m // want `m is put back`
		}
	}
}

type pool struct {
	jobs chan *msg
	quit chan struct{}
}

// work puts back in a select, the message received into a variable declared
// before the select, the test after it.
func (p *pool) work(id int) {
	for {
		var m *msg
		select {
		case m = <-p.jobs:
		case <-p.quit:
			return
		}
		if m.header.to == id {
			_ = m.body
			continue
		}
		select {
		case p.jobs <- m: // want `m is put back into p.jobs`
		case <-p.quit:
			return
		}
	}
}

// Start starts the workers.
func Start(n int) {
	for i := 0; i < n; i++ {
		go workRange(i)
		go workPlain(i)
	}
	p := &pool{jobs: make(chan *msg), quit: make(chan struct{})}
	for i := range n {
		go p.work(i)
	}
}
