package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"text/tabwriter"
	"time"

	dispatch "github.com/dispatchgen/dispatchgen/runtime"
)

// Config sizes a simulation.
type Config struct {
	Servers, Callers, Calls int
	// Timeout bounds how long Close may drain.
	Timeout time.Duration
}

// Report is what a simulation saw.
type Report struct {
	Config
	Elapsed time.Duration
	// PerServer are the calls and notifications each server handled, by
	// its own count, read after Close.
	PerServer []ServerCount
	// Misrouted counts replies from a server other than the one called;
	// Lost counts calls that ended with an unexpected error.
	Misrouted, Lost int64
	// Panics counts calls that failed with *runtime.PanicError, after
	// which their server went on.
	Panics int64
	// Notes counts the one-way notifications sent.
	Notes int64
	// Latency are the synchronous calls' round trips, sorted.
	Latency []time.Duration
	// Goroutines is how many goroutines the process had before the
	// servers were registered and after Close.
	GoroutinesBefore, GoroutinesAfter int
}

// ServerCount is what one server handled.
type ServerCount struct {
	Name         string
	Calls, Notes int
}

// Simulate registers cfg.Servers servers and calls them from cfg.Callers
// goroutines until cfg.Calls calls are made, then closes the dispatcher.
func Simulate(ctx context.Context, cfg Config) (*Report, error) {
	rep := &Report{Config: cfg, GoroutinesBefore: runtime.NumGoroutine()}
	d := NewToolServerDispatcher()
	servers := make([]*server, cfg.Servers)
	for i := range servers {
		servers[i] = newServer(fmt.Sprintf("server-%d", i))
		if err := d.Register(servers[i].name, servers[i]); err != nil {
			return nil, err
		}
	}
	start := time.Now()
	var wg sync.WaitGroup
	latencies := make([][]time.Duration, cfg.Callers)
	for c := range cfg.Callers {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(c), 1))
			for i := range cfg.Calls / cfg.Callers {
				key := servers[rng.IntN(len(servers))].name
				ref := d.To(key)
				if i%10 == 0 {
					ref.Notify(ctx, Event{Kind: "tick"})
					atomic.AddInt64(&rep.Notes, 1)
				}
				tool, args := toolCall(c, i)
				t0 := time.Now()
				var res Result
				var err error
				if i%4 == 0 {
					res, err = ref.CallToolAsync(ctx, tool, args).Await(ctx)
				} else {
					res, err = ref.CallTool(ctx, tool, args)
					latencies[c] = append(latencies[c], time.Since(t0))
				}
				rep.count(tool, key, res, err)
			}
		})
	}
	wg.Wait()
	rep.Elapsed = time.Since(start)
	closeCtx, cancel := context.WithTimeout(ctx, cfg.Timeout)
	defer cancel()
	if err := d.Close(closeCtx); err != nil {
		return nil, err
	}
	for _, s := range servers {
		rep.PerServer = append(rep.PerServer, ServerCount{Name: s.name, Calls: s.calls, Notes: s.notes})
	}
	for _, l := range latencies {
		rep.Latency = append(rep.Latency, l...)
	}
	slices.Sort(rep.Latency)
	rep.GoroutinesAfter = settledGoroutines(rep.GoroutinesBefore)
	return rep, nil
}

// toolCall returns the tool that caller c calls the i-th time, and its
// arguments: one call in a thousand panics.
func toolCall(c, i int) (string, map[string]int) {
	switch {
	case i%1000 == 999:
		return "boom", map[string]int{"a": i, "b": c}
	case i%7 == 0:
		return "remember", map[string]int{"k": i, "v": c}
	}
	return "add", map[string]int{"a": i, "b": c}
}

// settledGoroutines returns the number of goroutines once it is down to
// want, or after a second. A recipient's goroutine that has just finished
// draining is still on its way out when Close returns.
func settledGoroutines(want int) int {
	deadline := time.Now().Add(time.Second)
	n := runtime.NumGoroutine()
	for n > want && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
		n = runtime.NumGoroutine()
	}
	return n
}

// count checks one reply.
func (rep *Report) count(tool, key string, res Result, err error) {
	var pe *dispatch.PanicError
	switch {
	case tool == "boom" && errors.As(err, &pe):
		atomic.AddInt64(&rep.Panics, 1)
	case err != nil:
		atomic.AddInt64(&rep.Lost, 1)
	case res.Server != key:
		atomic.AddInt64(&rep.Misrouted, 1)
	}
}

// percentile returns the p-th percentile of the sorted latencies.
func (rep *Report) percentile(p float64) time.Duration {
	if len(rep.Latency) == 0 {
		return 0
	}
	return rep.Latency[int(p*float64(len(rep.Latency)-1))]
}

// Print writes the report for a person.
func (rep *Report) Print(w io.Writer) {
	fmt.Fprintf(w, "%d tool servers, %d callers, %d calls in %v (%.0f calls/s)\n\n",
		rep.Servers, rep.Callers, rep.Calls, rep.Elapsed.Round(time.Millisecond), float64(rep.Calls)/rep.Elapsed.Seconds())
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "server\tcalls\tnotifications\t")
	for _, s := range rep.PerServer {
		fmt.Fprintf(tw, "%s\t%d\t%d\t\n", s.Name, s.Calls, s.Notes)
	}
	tw.Flush()
	fmt.Fprintf(w, "\nmisrouted: %d\n", rep.Misrouted)
	fmt.Fprintf(w, "lost: %d\n", rep.Lost)
	fmt.Fprintf(w, "panics recovered: %d (their servers went on)\n", rep.Panics)
	fmt.Fprintf(w, "notifications sent: %d\n", rep.Notes)
	fmt.Fprintf(w, "call latency: p50 %v, p90 %v, p99 %v, max %v\n",
		rep.percentile(0.50), rep.percentile(0.90), rep.percentile(0.99), rep.percentile(1))
	fmt.Fprintf(w, "goroutines: %d before, %d after Close\n", rep.GoroutinesBefore, rep.GoroutinesAfter)
}
