package main

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

// TestSharedQueueDropLoses runs the drop form: with four servers, most calls
// reach a server they are not addressed to and are lost, which the
// dispatcher never does.
func TestSharedQueueDropLoses(t *testing.T) {
	rep := SimulateSharedQueue(SharedConfig{
		Config: Config{Servers: 4, Callers: 8, Calls: 400},
		Form:   Drop,
		Budget: 2 * time.Second,
		Wait:   5 * time.Millisecond,
	})
	checkAccounts(t, rep)
	if rep.Lost < rep.Calls/4 || rep.Answered == 0 {
		t.Errorf("%d of %d calls lost, %d answered; want a quarter lost at least, and some answered", rep.Lost, rep.Calls, rep.Answered)
	}
	if rep.Misrouted != 0 {
		t.Errorf("misrouted %d: a server answers only its own calls", rep.Misrouted)
	}
}

// TestSharedQueuePutBackEnds runs the put-back form, which circles calls
// among the wrong servers: the run must still end within its budget, and
// every call be answered or counted lost.
func TestSharedQueuePutBackEnds(t *testing.T) {
	start := time.Now()
	rep := SimulateSharedQueue(SharedConfig{
		Config: Config{Servers: 4, Callers: 8, Calls: 1 << 30},
		Form:   PutBack,
		Budget: 200 * time.Millisecond,
		Wait:   5 * time.Millisecond,
	})
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("took %v with a budget of 200ms", took)
	}
	checkAccounts(t, rep)
	if rep.Answered == 0 {
		t.Error("no call answered")
	}
}

// checkAccounts checks that every call made is accounted for once, and that
// no notification is handled twice.
func checkAccounts(t *testing.T, rep *SharedReport) {
	t.Helper()
	if sum := rep.Answered + rep.Lost + rep.Misrouted + rep.Panics; sum != rep.Calls {
		t.Errorf("answered %d + lost %d + misrouted %d + panics %d = %d, want the %d calls made", rep.Answered, rep.Lost, rep.Misrouted, rep.Panics, sum, rep.Calls)
	}
	if rep.NotesLost < 0 || rep.NotesLost > rep.Notes {
		t.Errorf("%d of %d notifications lost", rep.NotesLost, rep.Notes)
	}
}

// TestRunCompares checks that the program prints the shared queues beside
// the dispatcher.
func TestRunCompares(t *testing.T) {
	var out bytes.Buffer
	if err := run([]string{"-calls", "2000", "-callers", "4", "-shared", "50ms"}, &out); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"dispatcher", "shared queue, drop", "shared queue, put back", "notifications lost"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
}
