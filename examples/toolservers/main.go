// Toolservers is the classic case done right: several tool servers, each
// with state that is not safe for concurrent use, called from many
// goroutines at once. Instead of one shared queue that every server reads
// (and skips what is not its own), the dispatcher that dispatchgen generated
// from the ToolServer interface gives each server its own mailbox: every
// call reaches the server it was addressed to, a panicking tool fails only
// its own call, and Close drains everything before the program ends.
//
// Run it with
//
//	go run ./examples/toolservers
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"time"
)

//go:generate go tool dispatchgen

// ToolServer is one tool server. Each registered server is served by one
// goroutine at a time, so its state needs no lock.
//
//dispatch:recipient
type ToolServer interface {
	// ListTools returns the tools the server offers.
	ListTools(ctx context.Context) ([]string, error)
	// CallTool runs one tool with its arguments.
	CallTool(ctx context.Context, name string, args map[string]int) (Result, error)
	// Notify tells the server about an event; the caller does not wait.
	Notify(ctx context.Context, ev Event)
}

// Result is what a tool returns, with the name of the server that ran it.
type Result struct {
	Server string
	Value  int
}

// Event is a notification to a server.
type Event struct {
	Kind string
}

func main() {
	log.SetFlags(0)
	log.SetPrefix("toolservers: ")
	if err := run(os.Args[1:], os.Stdout); err != nil {
		log.Fatal(err)
	}
}

func run(args []string, out io.Writer) error {
	fs := flag.NewFlagSet("toolservers", flag.ContinueOnError)
	cfg := Config{}
	fs.IntVar(&cfg.Servers, "servers", 4, "tool servers to register")
	fs.IntVar(&cfg.Callers, "callers", 32, "goroutines calling at once")
	fs.IntVar(&cfg.Calls, "calls", 200_000, "calls in all")
	fs.DurationVar(&cfg.Timeout, "timeout", 30*time.Second, "how long Close may drain")
	shared := SharedConfig{Wait: 2 * time.Millisecond}
	fs.DurationVar(&shared.Budget, "shared", 300*time.Millisecond, "how long the same calls may take through each shared queue (0: skip them)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	rep, err := Simulate(context.Background(), cfg)
	if err != nil {
		return err
	}
	rep.Print(out)
	if shared.Budget > 0 {
		shared.Config = cfg
		drop, putBack := shared, shared
		putBack.Form = PutBack
		fmt.Fprintf(out, "\nthe same calls through one queue that every server reads, skipping what is not its own (for %v at most):\n\n", shared.Budget)
		PrintComparison(out, rep, SimulateSharedQueue(drop), SimulateSharedQueue(putBack))
	}
	if rep.Misrouted != 0 || rep.Lost != 0 {
		return fmt.Errorf("%d misrouted, %d lost", rep.Misrouted, rep.Lost)
	}
	return nil
}
