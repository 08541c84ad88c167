package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/dispatchgen/dispatchgen/runtime"
)

// Result is what a run saw.
type Result struct {
	cfg      Config
	killed   string
	takeover time.Duration // 0 if the victim's accounts were not served again

	mu        sync.Mutex
	served    map[string]int // calls that succeeded, by the process that served them
	misrouted int            // calls answered by an account they did not name
	failed    map[string]int // calls that ended with an error, by kind
	lost      int64          // calls that never ended
	local     []time.Duration
	remote    []time.Duration
}

func newResult(cfg Config) *Result {
	return &Result{cfg: cfg, served: make(map[string]int), failed: make(map[string]int)}
}

// record counts one call to key.
func (r *Result) record(key string, local bool, rec Receipt, err error, took time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if err != nil {
		r.failed[errorKind(err)]++
		return
	}
	if rec.Key != key {
		r.misrouted++
	}
	r.served[rec.Process]++
	if local {
		r.local = append(r.local, took)
	} else {
		r.remote = append(r.remote, took)
	}
}

func (r *Result) setLost(n int64) {
	r.mu.Lock()
	r.lost = n
	r.mu.Unlock()
}

// errorKind names the kind of a call's error, for the report.
func errorKind(err error) string {
	switch {
	case errors.Is(err, runtime.ErrNoRecipient):
		return "no recipient (the killed worker's account, not yet taken over)"
	case errors.Is(err, context.DeadlineExceeded):
		return "deadline (no reply: sent to the killed worker)"
	case errors.Is(err, runtime.ErrClosed):
		return "closed"
	default:
		return "other: " + err.Error()
	}
}

// Print writes the report.
func (r *Result) Print(w io.Writer) {
	r.mu.Lock()
	defer r.mu.Unlock()
	c := r.cfg
	fmt.Fprintf(w, "%d workers, %d accounts held by workers and %d by this process, %d callers, lease TTL %v\n",
		c.Workers, c.Keys, c.Local, c.Callers, c.TTL)
	procs := make([]string, 0, len(r.served))
	for p := range r.served {
		procs = append(procs, p)
	}
	sort.Strings(procs)
	var parts []string
	total := 0
	for _, p := range procs {
		note := ""
		if p == r.killed {
			note = " (killed)"
		}
		parts = append(parts, fmt.Sprintf("%s %d%s", p, r.served[p], note))
		total += r.served[p]
	}
	fmt.Fprintf(w, "calls served: %d: %s\n", total, strings.Join(parts, ", "))
	fmt.Fprintf(w, "misrouted: %d\n", r.misrouted)
	fmt.Fprintf(w, "lost: %d\n", r.lost)
	failed := 0
	kinds := make([]string, 0, len(r.failed))
	for k, n := range r.failed {
		failed += n
		kinds = append(kinds, fmt.Sprintf("%d %s", n, k))
	}
	sort.Strings(kinds)
	fmt.Fprintf(w, "ended with an error: %d", failed)
	if failed > 0 {
		fmt.Fprintf(w, ": %s", strings.Join(kinds, "; "))
	}
	fmt.Fprintln(w)
	if r.takeover > 0 {
		fmt.Fprintf(w, "killed %s with SIGKILL; its accounts were served again %v later\n", r.killed, r.takeover.Round(time.Millisecond))
	} else {
		fmt.Fprintf(w, "killed %s with SIGKILL; its accounts were NOT served again\n", r.killed)
	}
	fmt.Fprintf(w, "latency, local:  %s\n", percentiles(r.local))
	fmt.Fprintf(w, "latency, remote: %s\n", percentiles(r.remote))
}

// Err says what the run found wrong: a misrouted or lost call, or accounts
// that were not taken over.
func (r *Result) Err() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	var errs []error
	if r.misrouted > 0 {
		errs = append(errs, fmt.Errorf("%d calls misrouted", r.misrouted))
	}
	if r.lost > 0 {
		errs = append(errs, fmt.Errorf("%d calls lost", r.lost))
	}
	if r.takeover == 0 {
		errs = append(errs, fmt.Errorf("the accounts of %s were not taken over", r.killed))
	}
	return errors.Join(errs...)
}

// percentiles writes the median, p90 and p99 of ds.
func percentiles(ds []time.Duration) string {
	if len(ds) == 0 {
		return "no calls"
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	at := func(p float64) time.Duration { return s[int(p*float64(len(s)-1))] }
	return fmt.Sprintf("p50 %v, p90 %v, p99 %v (%d calls)", at(0.5).Round(time.Microsecond),
		at(0.9).Round(time.Microsecond), at(0.99).Round(time.Microsecond), len(s))
}
