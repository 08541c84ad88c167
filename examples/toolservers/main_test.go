package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"
)

func TestSimulate(t *testing.T) {
	calls := 20_000
	if testing.Short() {
		calls = 4_000
	}
	rep, err := Simulate(context.Background(), Config{Servers: 4, Callers: 16, Calls: calls, Timeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Misrouted != 0 || rep.Lost != 0 {
		t.Errorf("misrouted %d, lost %d", rep.Misrouted, rep.Lost)
	}
	handled, notes := 0, 0
	for _, s := range rep.PerServer {
		handled += s.Calls
		notes += s.Notes
	}
	made := calls / 16 * 16
	if handled != made || int64(notes) != rep.Notes {
		t.Errorf("servers handled %d calls and %d notifications, want %d and %d", handled, notes, made, rep.Notes)
	}
	if want := int64(16 * (calls / 16 / 1000)); rep.Panics != want {
		t.Errorf("panics = %d, want %d", rep.Panics, want)
	}
	if rep.GoroutinesAfter > rep.GoroutinesBefore {
		t.Errorf("goroutines: %d before, %d after Close", rep.GoroutinesBefore, rep.GoroutinesAfter)
	}
}

func TestRunPrints(t *testing.T) {
	var out bytes.Buffer
	if err := run([]string{"-calls", "2000", "-callers", "4"}, &out); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"misrouted: 0", "lost: 0", "call latency: p50", "server-3"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
}
