// Package negrouter holds a router: one goroutine reads the shared channel
// and forwards each message to its worker's own channel. Nothing here is
// reported.
package negrouter

type msg struct{ to int }

type worker struct {
	id    int
	inbox chan msg
}

func route(in <-chan msg, workers []*worker) {
	for m := range in {
		for _, w := range workers {
			if m.to != w.id {
				continue
			}
			w.inbox <- m
		}
	}
}

func routeByKey(in <-chan msg, out map[int]chan msg) {
	for m := range in {
		out[m.to] <- m
	}
}

// forward is run by several goroutines, each forwarding what is not its own
// to the others: the message is not dropped.
func forward(id int, in chan msg, next chan<- msg) {
	for m := range in {
		if m.to != id {
			next <- m
			continue
		}
	}
}

// Start starts the routers.
func Start(in chan msg, workers []*worker, out map[int]chan msg) {
	go route(in, workers)
	go routeByKey(in, out)
	for i := range 4 {
		go forward(i, in, out[i])
	}
}
