// Cluster is dispatchgen across processes, surviving the loss of one: an
// embedded NATS server on a loopback port, three worker processes (this
// program run again) that each hold a share of the accounts of the
// annotated Account interface and stand by for another's, and many
// goroutines calling every account through one typed Ref, some held in
// this process, most in the workers. In the middle of the traffic one
// worker is killed with SIGKILL; once its lease has expired, the worker
// standing by for it claims its accounts, and the calls reach them again.
// The program prints the calls each process served, the calls that
// reached the wrong account (misrouted) and those that never ended (lost),
// the errors by kind, the time from the kill to the takeover, and latency
// percentiles of local and remote calls.
//
// Run it with
//
//	go run ./examples/cluster
//
// or, against a NATS server of your own with JetStream on,
//
//	go run ./examples/cluster -nats nats://127.0.0.1:4222
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"time"

	"github.com/dispatchgen/dispatchgen/natsdispatch"
)

func main() {
	log.SetFlags(0)
	log.SetPrefix("cluster: ")
	if w, ok, err := workerFromEnv(); ok {
		log.SetPrefix("cluster " + w.name + ": ")
		if err == nil {
			err = runWorker(w, os.Stdin, os.Stdout)
		}
		if err != nil {
			log.Fatal(err)
		}
		return
	}
	if err := run(os.Args[1:], os.Stdout); err != nil {
		log.Fatal(err)
	}
}

func run(args []string, out io.Writer) error {
	fs := flag.NewFlagSet("cluster", flag.ContinueOnError)
	cfg := DefaultConfig()
	fs.StringVar(&cfg.NATS, "nats", cfg.NATS, "URL of a NATS server with JetStream to use; empty starts one in this process")
	fs.IntVar(&cfg.Workers, "workers", cfg.Workers, "worker processes")
	fs.IntVar(&cfg.Keys, "keys", cfg.Keys, "accounts the workers hold")
	fs.IntVar(&cfg.Local, "local", cfg.Local, "accounts this process holds")
	fs.IntVar(&cfg.Callers, "callers", cfg.Callers, "goroutines calling accounts")
	fs.DurationVar(&cfg.TTL, "ttl", cfg.TTL, "lease TTL of every node")
	fs.DurationVar(&cfg.Before, "before", cfg.Before, "traffic before the kill")
	fs.DurationVar(&cfg.After, "after", cfg.After, "traffic after the takeover")
	fs.DurationVar(&cfg.Timeout, "timeout", cfg.Timeout, "deadline of each call")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	res, err := Run(cfg)
	if err != nil {
		return err
	}
	res.Print(out)
	return res.Err()
}

// Config is one run of the example.
type Config struct {
	NATS       string
	Workers    int
	Keys       int
	Local      int
	Callers    int
	TTL        time.Duration
	Before     time.Duration
	After      time.Duration
	Timeout    time.Duration
	Executable string // the program the workers run; empty means this one
}

// check says what in c cannot make the run the example is.
func (c Config) check() error {
	var errs []error
	if c.Workers < 2 {
		errs = append(errs, fmt.Errorf("-workers %d: a takeover needs two workers at least, one to kill and one to stand by for it", c.Workers))
	}
	if c.Keys < c.Workers {
		errs = append(errs, fmt.Errorf("-keys %d: each of the %d workers needs an account of its own, so that the one killed holds some", c.Keys, c.Workers))
	}
	if c.TTL < natsdispatch.MinLeaseTTL {
		errs = append(errs, fmt.Errorf("-ttl %v: natsdispatch's lease TTL is %v at least", c.TTL, natsdispatch.MinLeaseTTL))
	}
	if c.Callers < 1 || c.Local < 0 || c.Timeout <= 0 || c.Before < 0 || c.After < 0 {
		errs = append(errs, errors.New("-callers must be 1 or more, -timeout more than 0, -local, -before and -after 0 or more"))
	}
	return errors.Join(errs...)
}

// DefaultConfig is what the program runs with no flags.
func DefaultConfig() Config {
	return Config{Workers: 3, Keys: 24, Local: 4, Callers: 32, TTL: time.Second,
		Before: time.Second, After: time.Second, Timeout: time.Second}
}
