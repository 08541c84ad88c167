package main

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"text/tabwriter"
	"time"

	dispatch "github.com/dispatchgen/dispatchgen/runtime"
)

// The shared queue is the design the dispatcher replaces, run here on the
// same workload so that the two can be compared: every server's goroutine
// reads one channel and skips the calls addressed to another server. It
// skips them in one of two ways, and loses calls either way; dispatchvet
// reports both, at the lines marked "dispatchvet:".

// SharedForm is how a server of the shared queue skips a call addressed to
// another.
type SharedForm int

const (
	// Drop: the server drops the call, which is lost.
	Drop SharedForm = iota
	// PutBack: the server sends the call back into the queue, where it
	// circles until its own server takes it or its caller gives up.
	PutBack
)

func (f SharedForm) String() string {
	if f == PutBack {
		return "shared queue, put back"
	}
	return "shared queue, drop"
}

// SharedConfig sizes a shared-queue simulation.
type SharedConfig struct {
	Config
	Form SharedForm
	// Budget bounds the whole run: callers make no call after it.
	Budget time.Duration
	// Wait is how long a caller waits for its reply before it counts the
	// call lost.
	Wait time.Duration
}

// SharedReport is what a shared-queue simulation saw.
type SharedReport struct {
	SharedConfig
	Elapsed time.Duration
	// Calls is how many calls were made before the budget ran out, and
	// Answered how many of them their own server answered in time.
	Calls, Answered int64
	// Misrouted, Lost and Panics count calls as in Report.
	Misrouted, Lost, Panics int64
	// Notes counts the notifications sent, and NotesLost those that no
	// server handled.
	Notes, NotesLost int64
}

// sharedCall is a call, or a notification when reply is nil, in the shared
// queue.
type sharedCall struct {
	server  string
	tool    string
	args    map[string]int
	reply   chan sharedReply
	expires time.Time // when the caller stops waiting
}

// sharedReply is a server's answer to a sharedCall.
type sharedReply struct {
	res      Result
	err      error
	panicked bool
}

// serveDropping is a server of the shared queue that drops what is not its
// own.
func (s *server) serveDropping(stop context.Context, queue chan sharedCall) {
	for {
		select {
		case c := <-queue:
			if c.server != s.name {
				continue // dispatchvet: dropped
			}
			s.answer(c)
		case <-stop.Done():
			return
		}
	}
}

// servePuttingBack is a server of the shared queue that puts back what is
// not its own, unless its caller has given up on it.
func (s *server) servePuttingBack(stop context.Context, queue chan sharedCall) {
	for {
		select {
		case c := <-queue:
			if c.server == s.name {
				s.answer(c)
				continue
			}
			if c.reply != nil && time.Now().After(c.expires) {
				continue // nobody waits for it any more
			}
			select {
			case queue <- c: // dispatchvet: put back
			case <-stop.Done():
				return
			}
		case <-stop.Done():
			return
		}
	}
}

// answer runs c on s and replies, recovering a panic as the dispatcher does.
func (s *server) answer(c sharedCall) {
	if c.reply == nil {
		s.Notify(context.Background(), Event{Kind: c.tool})
		return
	}
	var r sharedReply
	func() {
		defer func() {
			if p := recover(); p != nil {
				r = sharedReply{err: fmt.Errorf("panic: %v", p), panicked: true}
			}
		}()
		r.res, r.err = s.CallTool(context.Background(), c.tool, c.args)
	}()
	c.reply <- r // buffered: never blocks, even if the caller has given up
}

// SimulateSharedQueue runs the workload of Simulate through a shared queue
// as large as a mailbox, until cfg.Calls calls are made or cfg.Budget ends,
// then stops the servers.
func SimulateSharedQueue(cfg SharedConfig) *SharedReport {
	rep := &SharedReport{SharedConfig: cfg}
	servers := make([]*server, cfg.Servers)
	for i := range servers {
		servers[i] = newServer(fmt.Sprintf("server-%d", i))
	}
	queue := make(chan sharedCall, dispatch.DefaultMailboxSize)
	stop, stopServers := context.WithCancel(context.Background())
	var running sync.WaitGroup
	for _, s := range servers {
		switch cfg.Form {
		case Drop:
			running.Go(func() { s.serveDropping(stop, queue) })
		case PutBack:
			running.Go(func() { s.servePuttingBack(stop, queue) })
		}
	}
	start := time.Now()
	end := start.Add(cfg.Budget)
	var callers sync.WaitGroup
	for c := range cfg.Callers {
		callers.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(c), 1))
			for i := 0; i < cfg.Calls/cfg.Callers && time.Now().Before(end); i++ {
				key := servers[rng.IntN(len(servers))].name
				if i%10 == 0 && rep.send(queue, sharedCall{server: key, tool: "tick"}, end) {
					atomic.AddInt64(&rep.Notes, 1)
				}
				tool, args := toolCall(c, i)
				rep.call(queue, key, tool, args)
			}
		})
	}
	callers.Wait()
	rep.Elapsed = time.Since(start)
	stopServers()
	running.Wait()
	handled := 0
	for _, s := range servers {
		handled += s.notes
	}
	rep.NotesLost = rep.Notes - int64(handled)
	return rep
}

// send puts c in the queue, waiting for room until end.
func (rep *SharedReport) send(queue chan sharedCall, c sharedCall, end time.Time) bool {
	t := time.NewTimer(time.Until(end))
	defer t.Stop()
	select {
	case queue <- c:
		return true
	case <-t.C:
		return false
	}
}

// call makes one call through the queue and counts what became of it.
func (rep *SharedReport) call(queue chan sharedCall, key, tool string, args map[string]int) {
	expires := time.Now().Add(rep.Wait)
	c := sharedCall{server: key, tool: tool, args: args, reply: make(chan sharedReply, 1), expires: expires}
	atomic.AddInt64(&rep.Calls, 1)
	if !rep.send(queue, c, expires) {
		atomic.AddInt64(&rep.Lost, 1)
		return
	}
	t := time.NewTimer(time.Until(expires))
	defer t.Stop()
	select {
	case r := <-c.reply:
		switch {
		case r.panicked:
			atomic.AddInt64(&rep.Panics, 1)
		case r.err != nil:
			atomic.AddInt64(&rep.Lost, 1)
		case r.res.Server != key:
			atomic.AddInt64(&rep.Misrouted, 1)
		default:
			atomic.AddInt64(&rep.Answered, 1)
		}
	case <-t.C:
		atomic.AddInt64(&rep.Lost, 1)
	}
}

// PrintComparison writes, for a person, what became of the same workload
// through the dispatcher and through shared queues.
func PrintComparison(w io.Writer, rep *Report, shared ...*SharedReport) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "design\tcalls\tanswered\tpanics\tmisrouted\tlost\tnotifications lost\telapsed\t")
	answered := int64(rep.Calls) - rep.Panics - rep.Misrouted - rep.Lost
	notesLost := rep.Notes
	for _, s := range rep.PerServer {
		notesLost -= int64(s.Notes)
	}
	fmt.Fprintf(tw, "dispatcher\t%d\t%d\t%d\t%d\t%d\t%d\t%v\t\n", rep.Calls, answered, rep.Panics, rep.Misrouted, rep.Lost, notesLost, rep.Elapsed.Round(time.Millisecond))
	for _, s := range shared {
		fmt.Fprintf(tw, "%v\t%d\t%d\t%d\t%d\t%d\t%d\t%v\t\n", s.Form, s.Calls, s.Answered, s.Panics, s.Misrouted, s.Lost, s.NotesLost, s.Elapsed.Round(time.Millisecond))
	}
	tw.Flush()
}
