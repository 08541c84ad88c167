package main

// Adversarial tests of the example's accounting and of the errors it gives
// for flags other than its defaults. The contract is the example's doc
// comment in main.go (the report says which calls were misrouted or lost
// and the time from the kill to the takeover of the killed worker's
// accounts) and the team's rule that an error message says what is wrong.

import (
	"os"
	"strings"
	"testing"
	"time"
)

// adversaryConfig is a short run of the example, with this test binary as
// the workers.
func adversaryConfig() Config {
	cfg := DefaultConfig()
	cfg.Callers = 8
	cfg.Before = 300 * time.Millisecond
	cfg.After = 200 * time.Millisecond
	cfg.Executable = os.Args[0]
	return cfg
}

// -ttl 200ms: the workers refuse a TTL under natsdispatch's minimum, and
// say so on their standard error, but Run reports only `worker w0 did not
// start: "", EOF`, which names neither the flag nor the cause.
func TestClusterAdversaryShortTTLErrorSaysWhy(t *testing.T) {
	cfg := adversaryConfig()
	cfg.TTL = 200 * time.Millisecond
	_, err := Run(cfg)
	if err == nil {
		t.Fatal("Run with a lease TTL of 200ms succeeded; natsdispatch refuses a TTL under 500ms")
	}
	if !strings.Contains(err.Error(), "TTL") {
		t.Errorf("Run with a lease TTL of 200ms: %v; want an error that says the TTL is too short", err)
	}
}

// -keys 1 (or 0): with fewer accounts than workers, the worker killed may
// hold none; the run then fails with "the accounts of w1 were not taken
// over", about accounts that do not exist. Either the victim must be a
// worker that holds accounts, or such a configuration refused up front.
func TestClusterAdversaryVictimWithoutAccounts(t *testing.T) {
	if testing.Short() {
		t.Skip("runs three worker processes for a few seconds")
	}
	cfg := adversaryConfig()
	cfg.Keys = 1
	res, err := Run(cfg)
	if err != nil {
		if strings.Contains(err.Error(), "keys") || strings.Contains(err.Error(), "accounts") {
			return // refused up front, saying why
		}
		t.Fatal(err)
	}
	if err := res.Err(); err != nil {
		t.Errorf("with 1 account over 3 workers: %v (killed %s, which held none)", err, res.killed)
	}
}

// -workers 1: nobody can stand by for the only worker, so its accounts are
// never taken over; the run goes its full length and then blames the
// takeover, and meanwhile counts every call to the killed worker's accounts
// as "no recipient (nobody held the account yet)", though the killed worker
// held them. Run must refuse fewer than two workers up front.
func TestClusterAdversaryOneWorkerRefused(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a worker process for a few seconds")
	}
	cfg := adversaryConfig()
	cfg.Workers = 1
	_, err := Run(cfg)
	if err == nil || !strings.Contains(err.Error(), "workers") {
		t.Errorf("Run with one worker: %v; want it refused, saying a takeover needs two workers", err)
	}
}

// After the kill, until the takeover, calls to the killed worker's accounts
// fail with ErrNoRecipient, which the report labels "nobody held the
// account yet": they had been held, by the worker just killed. The label
// must not say what did not happen. (They come from the takeover window,
// not from the start: a run with -ttl 500ms has none, and every worker has
// claimed its accounts before the traffic starts.)
func TestClusterAdversaryNoRecipientLabelAfterKill(t *testing.T) {
	if testing.Short() {
		t.Skip("runs three worker processes for a few seconds")
	}
	cfg := adversaryConfig()
	cfg.Callers = 32
	res, err := Run(cfg)
	if err != nil {
		t.Fatal(err)
	}
	for kind, n := range res.failed {
		if strings.Contains(kind, "nobody held the account yet") {
			t.Errorf("%d calls after the kill reported as %q", n, kind)
		}
	}
}
