// Dispatchvet finds the shared-queue bug: several goroutines receive from
// one channel, and each skips the messages addressed to another.
//
// Usage:
//
//	dispatchvet [flags] [packages]
//	go tool dispatchvet [flags] [packages]          # with a tool line in go.mod
//	go vet -vettool=$(which dispatchvet) [packages]
//
// Run by itself, it runs go vet with itself as the vet tool, so that it
// costs what go vet costs (each package is type-checked once, its
// dependencies read from the build cache) and prints what go vet prints.
// It takes go vet's build flags (-tags and the like) and, as go vet does,
// those of the analysis: -json for JSON output, -c=N for N lines of
// context. It exits with go vet's status: 0 when it reports nothing.
//
// # The bug
//
// Several workers (tool servers, connections, devices, shards) read one
// shared queue, and each skips the messages that are not its own. Whatever
// it does with them goes wrong:
//
//   - It drops them: the message is lost whenever a worker other than the
//     one it is addressed to takes it, which with n workers is n-1 times in
//     n.
//   - It puts them back: the message circles among the wrong workers, and
//     the one it is addressed to may not see it for a long time; on few
//     processors the workers that run pass the queue's messages round among
//     themselves while the right one stays parked, a livelock.
//
// Both pass the tests of a program with one worker, and of most programs
// with few messages.
//
// # What it reports
//
// A receive from a channel inside a loop, as `for m := range q`, `m := <-q`
// or `case m := <-q:` in a select, followed in the same iteration by a test,
// with an if or a switch, of a field of the received value (m.to, a getter
// such as m.GetTo(), or a field of what a type switch or assertion makes of
// it) against what identifies the goroutine running the loop (a receiver
// field, a parameter, a variable of the loop that starts the goroutines),
// or of whether a map of the worker's holds the field (!w.owned[m.part]),
// when the branch where the test fails drops the value or sends it back
// into the same channel, by itself, in a goroutine or through a function of
// the package. The drop form:
//
//	func (s *server) serve(queue <-chan call) {
//		for c := range queue {
//			if c.server != s.name {
//				continue // dispatchvet: c is dropped when it is addressed to another worker ...
//			}
//			c.reply <- s.handle(c)
//		}
//	}
//
// The put-back form:
//
//	func worker(id int, jobs chan job) {
//		for j := range jobs {
//			if j.worker != id {
//				jobs <- j // dispatchvet: j is put back into jobs when it is addressed to another worker ...
//				continue
//			}
//			j.run()
//		}
//	}
//
// It reports the loop only when it runs in more than one goroutine that
// share the channel and differ in the identity: started by a go statement
// in a loop, by several go statements, or by errgroup.Group.Go or
// sync.WaitGroup.Go in a loop, within the package, directly or through a
// function literal that calls the worker; the channel may be a field of
// the worker, set to the shared one where the worker is made:
//
//	for _, s := range servers {
//		go s.serve(queue)
//	}
//	for i := range n {
//		w := &worker{id: i, inbox: queue}
//		go w.run()
//	}
//
// Each report is at the skip (the continue, the return, the send, or the
// test when the iteration just ends), and names two more places: the
// receive, and where the goroutines are started.
//
// It prefers saying nothing to saying something wrong. It does not report
// the ordinary worker pool, where any worker may take any message; a
// single consumer that filters by message kind, or by its own name; workers
// with a channel each, even if they check that a message is theirs; a
// router that forwards each message to its worker's channel; or a worker
// that does something else with a message not its own (answers it with an
// error, keeps it, forwards it on another channel). It follows a goroutine
// started by a function that is itself called in a loop one call up, not
// further; it does not follow a channel taken from a slice or a map, or a
// worker reached through an interface or a function value of unknown
// origin.
//
// # The fix
//
// Give each worker its own mailbox, and put a router in front: then a
// message reaches the worker it is addressed to, and only that one. With
// dispatchgen, annotate the interface the workers implement and register
// each worker under its key:
//
//	//dispatch:recipient
//	type ToolServer interface {
//		CallTool(ctx context.Context, name string, args map[string]int) (Result, error)
//	}
//
//	d := NewToolServerDispatcher()
//	for _, s := range servers {
//		d.Register(s.name, s)
//	}
//	res, err := d.To("files").CallTool(ctx, "read", args)
//
// Without it, make a channel per worker, and send each message to the
// channel of the worker it is addressed to.
package main

import (
	"errors"
	"log"
	"os"
	"os/exec"

	"golang.org/x/tools/go/analysis/singlechecker"

	"github.com/dispatchgen/dispatchgen/vet/sharedqueue"
)

func main() {
	args := os.Args[1:]
	if os.Getenv(underGoVet) != "" || speaksVet(args) {
		singlechecker.Main(sharedqueue.Analyzer) // exits
	}
	log.SetFlags(0)
	log.SetPrefix("dispatchvet: ")
	if err := run(args); err != nil {
		if exit := (*exec.ExitError)(nil); errors.As(err, &exit) {
			os.Exit(exit.ExitCode()) // go vet has said why
		}
		log.Fatal(err)
	}
}
