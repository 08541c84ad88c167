// Package negpool holds the ordinary worker pool: any worker may take any
// message, so none is skipped. Nothing here is reported.
package negpool

import "sync"

type job struct {
	kind string
	n    int
}

type worker struct {
	id   int
	done int
}

func (w *worker) run(jobs <-chan job, results chan<- int) {
	for j := range jobs {
		if j.kind == "" {
			continue // empty jobs are skipped by every worker alike
		}
		if j.n < w.id { // not a test of identity: an order
			continue
		}
		w.done++
		results <- j.n * 2
	}
}

// Pool runs n workers over one channel of jobs.
func Pool(n int, jobs <-chan job) <-chan int {
	results := make(chan int)
	var wg sync.WaitGroup
	for i := range n {
		w := &worker{id: i}
		wg.Go(func() { w.run(jobs, results) })
	}
	go func() {
		wg.Wait()
		close(results)
	}()
	return results
}
