// Package closure holds workers written as function literals, whose
// identity is a variable of the loop that starts them.
package closure

import "sync"

type msg struct {
	to    int
	reply chan int
}

// Captured: the identity is the loop's variable, captured.
func Captured(n int) {
	q := make(chan msg)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for m := range q {
				if m.to != i {
					continue // want `m is dropped`
				}
				m.reply <- i
			}
		}()
	}
	wg.Wait()
}

// Param: the identity is the literal's parameter.
func Param(n int, q chan msg) {
	for i := 0; i < n; i++ {
		go func(id int) {
			for {
				m := <-q
				if m.to == id {
					m.reply <- id
					continue
				}
				q <- m // want `m is put back`
			}
		}(i)
	}
}

// Local: the worker is a local variable, started in a loop.
func Local(n int, q chan msg) {
	work := func(id int) {
		for m := range q {
			if m.to != id {
				continue // want `m is dropped`
			}
		}
	}
	for i := range n {
		go work(i)
	}
}
