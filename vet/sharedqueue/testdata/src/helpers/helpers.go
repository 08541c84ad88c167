// Package helpers holds workers that put a message back through a helper:
// a function, a method, or a goroutine of their own.
package helpers

type msg struct{ to int }

func requeue(q chan<- msg, m msg) { q <- m }

func work(id int, q chan msg, other chan msg) {
	for m := range q {
		if m.to != id {
			requeue(q, m) // want `m is put back into q`
			continue
		}
		if m.to == id {
			continue
		}
		requeue(other, m) // another channel: forwarded, not put back
	}
}

func later(id int, q chan msg) {
	for m := range q {
		if m.to != id {
			go func() { q <- m }() // want `m is put back into q`
		}
	}
}

func laterArg(id int, q, other chan msg) {
	for m := range q {
		if m.to != id {
			go func(m msg) { q <- m }(m) // want `m is put back into q`
		}
		if m.to == id {
			continue
		}
		go func(m msg) { other <- m }(m) // forwarded
	}
}

type pool struct{ jobs chan msg }

func (p *pool) retry(m msg) {
	select {
	case p.jobs <- m:
	default:
	}
}

func (p *pool) reply(m msg) { _ = m }

func (p *pool) run(id int) {
	for m := range p.jobs {
		if m.to != id {
			p.retry(m) // want `m is put back into p.jobs`
		}
	}
}

func (p *pool) answer(id int) {
	for m := range p.jobs {
		if m.to != id {
			p.reply(m)
		}
	}
}

// Start starts the workers.
func Start(n int, q, other chan msg) {
	p := &pool{jobs: q}
	for i := range n {
		go work(i, q, other)
		go later(i, q)
		go laterArg(i, q, other)
		go p.run(i)
		go p.answer(i)
	}
}

func (p *pool) expr(id int) {
	for m := range p.jobs {
		if m.to != id {
			(*pool).retry(p, m) // want `m is put back into p.jobs`
		}
	}
}

// StartExpr starts the workers that put back through a method expression.
func StartExpr(p *pool) {
	for i := range 2 {
		go p.expr(i)
	}
}
