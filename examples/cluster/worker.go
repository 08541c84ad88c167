package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/dispatchgen/dispatchgen/natsdispatch"
	"github.com/dispatchgen/dispatchgen/runtime"
	"github.com/nats-io/nats.go"
)

// A worker is this program run again by the driver, with its settings in
// the environment (so that a test binary can be a worker too): it holds its
// share of the accounts, stands by for the share of the worker before it
// once told to, and serves until its standard input closes.
const (
	envWorker  = "CLUSTER_EXAMPLE_WORKER" // the worker's name; set only in a worker
	envNATS    = "CLUSTER_EXAMPLE_NATS"
	envOwn     = "CLUSTER_EXAMPLE_OWN"     // the keys it registers at once
	envStandby = "CLUSTER_EXAMPLE_STANDBY" // the keys it takes over when their holder is gone
	envTTL     = "CLUSTER_EXAMPLE_TTL"
)

// prefix is the subjects' and buckets' prefix of the example's nodes.
const prefix = "clusterexample"

// standbyEvery is how often a worker tries to claim the keys it stands by
// for: a claim of a key whose holder lives costs a few JetStream requests.
const standbyEvery = 50 * time.Millisecond

// workerConfig is what a worker is told.
type workerConfig struct {
	name, url    string
	own, standby []string
	ttl          time.Duration
}

// workerFromEnv returns the worker's settings, and false when this process
// is not a worker.
func workerFromEnv() (workerConfig, bool, error) {
	name := os.Getenv(envWorker)
	if name == "" {
		return workerConfig{}, false, nil
	}
	ttl, err := time.ParseDuration(os.Getenv(envTTL))
	if err != nil {
		return workerConfig{}, true, fmt.Errorf("%s: %w", envTTL, err)
	}
	split := func(s string) []string {
		if s == "" {
			return nil
		}
		return strings.Split(s, ",")
	}
	return workerConfig{name: name, url: os.Getenv(envNATS), own: split(os.Getenv(envOwn)),
		standby: split(os.Getenv(envStandby)), ttl: ttl}, true, nil
}

// env writes w for the worker's process.
func (w workerConfig) env() []string {
	return []string{envWorker + "=" + w.name, envNATS + "=" + w.url, envOwn + "=" + strings.Join(w.own, ","),
		envStandby + "=" + strings.Join(w.standby, ","), envTTL + "=" + w.ttl.String()}
}

// runWorker serves w's accounts until stdin closes, then drains and
// releases them.
func runWorker(w workerConfig, stdin io.Reader, stdout io.Writer) error {
	nc, err := nats.Connect(w.url, nats.Name(w.name))
	if err != nil {
		return err
	}
	defer nc.Close()
	node, err := natsdispatch.NewNode(nc, natsdispatch.WithPrefix(prefix), natsdispatch.WithLeaseTTL(w.ttl))
	if err != nil {
		return err
	}
	d := NewAccountDispatcher(runtime.WithTransport(node))
	register := func(key string) error {
		return d.Register(key, &account{key: key, process: w.name})
	}
	for _, k := range w.own {
		if err := register(k); err != nil {
			return err
		}
	}
	fmt.Fprintln(stdout, "ready")

	// The driver says "standby" once every worker holds its own share, so
	// that none takes another's before that one has started; it closes
	// stdin to stop the worker.
	standby, closed := make(chan struct{}), make(chan struct{})
	go func() {
		in := bufio.NewScanner(stdin)
		for in.Scan() {
			if in.Text() == "standby" {
				close(standby)
			}
		}
		close(closed)
	}()
	var waiting []string
	tick := time.NewTicker(standbyEvery)
	defer tick.Stop()
	for {
		select {
		case <-closed:
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			return errors.Join(d.Close(ctx), node.Close(ctx))
		case <-standby:
			waiting, standby = w.standby, nil
		case <-tick.C:
		}
		left := waiting[:0]
		for _, k := range waiting {
			if err := register(k); errors.Is(err, runtime.ErrDuplicateKey) {
				left = append(left, k)
			} else if err != nil {
				return err
			}
		}
		waiting = left
	}
}
