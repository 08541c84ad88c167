package main

import (
	"bytes"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/dispatchgen/dispatchgen/natsdispatch/embedded"
	"go.uber.org/goleak"
)

// TestMain makes the test binary a worker when the driver runs it again.
func TestMain(m *testing.M) {
	if w, ok, err := workerFromEnv(); ok {
		if err == nil {
			err = runWorker(w, os.Stdin, os.Stdout)
		}
		if err != nil {
			os.Stderr.WriteString(err.Error() + "\n")
			os.Exit(1)
		}
		os.Exit(0)
	}
	goleak.VerifyTestMain(m)
}

// The example as a user runs it, shorter: no call misrouted or lost, the
// killed worker's accounts served again by another within the lease TTL
// and some room, every process serving calls, and errors only of the kinds
// a kill causes.
func TestCluster(t *testing.T) {
	if testing.Short() {
		t.Skip("runs three worker processes for a few seconds")
	}
	cfg := DefaultConfig()
	cfg.Callers = 8
	cfg.Before = 500 * time.Millisecond
	cfg.After = 300 * time.Millisecond
	cfg.Executable = os.Args[0]
	res, err := Run(cfg)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	res.Print(&out)
	t.Log("\n" + out.String())
	if err := res.Err(); err != nil {
		t.Error(err)
	}
	if res.takeover > cfg.TTL+500*time.Millisecond {
		t.Errorf("the killed worker's accounts were served again %v after the kill, for a lease TTL of %v", res.takeover, cfg.TTL)
	}
	for _, p := range []string{driverName, "w0", "w1", "w2"} {
		if res.served[p] == 0 {
			t.Errorf("%s served no call", p)
		}
	}
	for kind, n := range res.failed {
		if strings.HasPrefix(kind, "other") {
			t.Errorf("%d calls failed with %s", n, kind)
		}
	}
	for _, want := range []string{"\nmisrouted: 0\n", "\nlost: 0\n", "served again"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("the report lacks %q", want)
		}
	}
}

// -nats: the example on a server it did not start, run twice, as a user
// trying it against their own server would; the second run finds the
// buckets and records of the first.
func TestClusterOnGivenServer(t *testing.T) {
	if testing.Short() {
		t.Skip("runs three worker processes twice")
	}
	srv, err := embedded.Start(embedded.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Shutdown()
	for run := range 2 {
		cfg := DefaultConfig()
		cfg.NATS = srv.ClientURL()
		cfg.Callers = 4
		cfg.Before = 300 * time.Millisecond
		cfg.After = 100 * time.Millisecond
		cfg.Executable = os.Args[0]
		res, err := Run(cfg)
		if err != nil {
			t.Fatalf("run %d: %v", run, err)
		}
		if err := res.Err(); err != nil {
			t.Errorf("run %d: %v", run, err)
		}
	}
}
