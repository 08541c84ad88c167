package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/dispatchgen/dispatchgen/natsdispatch"
	"github.com/dispatchgen/dispatchgen/natsdispatch/embedded"
	"github.com/dispatchgen/dispatchgen/runtime"
	"github.com/nats-io/nats.go"
)

// driverName is the process name of the driver's own accounts.
const driverName = "driver"

// Run starts the server (unless cfg names one) and the workers, drives the
// traffic, kills one worker and waits for its accounts to be taken over,
// and returns what it saw.
func Run(cfg Config) (*Result, error) {
	if err := cfg.check(); err != nil {
		return nil, err
	}
	url := cfg.NATS
	if url == "" {
		srv, err := embedded.Start(embedded.Config{})
		if err != nil {
			return nil, err
		}
		defer srv.Shutdown()
		url = srv.ClientURL()
	}
	exe := cfg.Executable
	if exe == "" {
		var err error
		if exe, err = os.Executable(); err != nil {
			return nil, err
		}
	}
	workers, shares := planWorkers(cfg, url)
	var procs []*worker
	defer func() {
		for _, p := range procs {
			p.stop()
		}
	}()
	for _, w := range workers {
		p, err := startWorker(exe, w)
		if err != nil {
			return nil, err
		}
		procs = append(procs, p)
	}

	nc, err := nats.Connect(url, nats.Name(driverName))
	if err != nil {
		return nil, err
	}
	defer nc.Close()
	node, err := natsdispatch.NewNode(nc, natsdispatch.WithPrefix(prefix), natsdispatch.WithLeaseTTL(cfg.TTL))
	if err != nil {
		return nil, err
	}
	d := NewAccountDispatcher(runtime.WithTransport(node))
	keys := allKeys(shares)
	for i := range cfg.Local {
		k := fmt.Sprintf("local-%d", i)
		if err := d.Register(k, &account{key: k, process: driverName}); err != nil {
			return nil, err
		}
		keys = append(keys, k)
	}

	for _, p := range procs {
		if err := p.standby(); err != nil {
			return nil, err
		}
	}

	res := newResult(cfg)
	victim := 1 % len(procs)
	res.killed = workers[victim].name
	t := newTraffic(d, keys, cfg, res, shares[victim], workers[victim].name)
	t.start()
	time.Sleep(cfg.Before)
	if err := procs[victim].kill(); err != nil {
		t.stop()
		return nil, err
	}
	t.killed()
	// The accounts come back a TTL after the victim's last renewal, when
	// the worker standing by claims them; give up after ten.
	takenOver := t.waitTakeover(10 * cfg.TTL)
	time.Sleep(cfg.After)
	t.stop()
	if takenOver {
		res.takeover = t.takeoverAfter()
	}

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := errors.Join(d.Close(ctx), node.Close(ctx)); err != nil {
		return nil, err
	}
	return res, nil
}

// planWorkers shares the accounts among the workers: worker i holds keys
// i, i+n, i+2n…, and stands by for worker i-1's.
func planWorkers(cfg Config, url string) ([]workerConfig, [][]string) {
	shares := make([][]string, cfg.Workers)
	for i := range cfg.Keys {
		shares[i%cfg.Workers] = append(shares[i%cfg.Workers], fmt.Sprintf("acct-%02d", i))
	}
	ws := make([]workerConfig, cfg.Workers)
	for i := range ws {
		ws[i] = workerConfig{name: fmt.Sprintf("w%d", i), url: url, own: shares[i],
			standby: shares[(i+cfg.Workers-1)%cfg.Workers], ttl: cfg.TTL}
	}
	return ws, shares
}

func allKeys(shares [][]string) []string {
	var keys []string
	for _, s := range shares {
		keys = append(keys, s...)
	}
	return keys
}

// worker is a worker's process.
type worker struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
	done  chan struct{}
}

// startWorker runs w and returns once it holds its accounts.
func startWorker(exe string, w workerConfig) (*worker, error) {
	cmd := exec.Command(exe)
	cmd.Env = append(os.Environ(), w.env()...)
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	p := &worker{cmd: cmd, stdin: stdin, done: make(chan struct{})}
	go func() {
		_ = cmd.Wait()
		close(p.done)
	}()
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if strings.TrimSpace(line) != "ready" {
		p.stop()
		return nil, fmt.Errorf("worker %s did not start: %q, %v", w.name, line, err)
	}
	return p, nil
}

// standby tells the worker to stand by for another's accounts.
func (p *worker) standby() error {
	_, err := io.WriteString(p.stdin, "standby\n")
	return err
}

// kill ends the worker with SIGKILL, as a crash would.
func (p *worker) kill() error {
	if err := p.cmd.Process.Kill(); err != nil {
		return err
	}
	<-p.done
	return nil
}

// stop asks the worker to close, by closing its standard input, and kills
// it if it has not exited within five seconds.
func (p *worker) stop() {
	_ = p.stdin.Close()
	select {
	case <-p.done:
	case <-time.After(5 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.done
	}
}

// traffic is the callers and what they saw.
type traffic struct {
	d       *AccountDispatcher
	keys    []string
	cfg     Config
	res     *Result
	victims map[string]bool // the killed worker's accounts
	victim  string

	stopCh  chan struct{}
	wg      sync.WaitGroup
	started atomic.Int64
	ended   atomic.Int64

	mu       sync.Mutex
	killedAt time.Time
	back     map[string]time.Time // victims' accounts served again since the kill, and when
	allBack  chan struct{}
}

func newTraffic(d *AccountDispatcher, keys []string, cfg Config, res *Result, victims []string, victim string) *traffic {
	t := &traffic{d: d, keys: keys, cfg: cfg, res: res, victims: make(map[string]bool), victim: victim,
		stopCh: make(chan struct{}), back: make(map[string]time.Time), allBack: make(chan struct{})}
	for _, k := range victims {
		t.victims[k] = true
	}
	return t
}

func (t *traffic) start() {
	for range t.cfg.Callers {
		t.wg.Go(t.call)
	}
}

// call calls random accounts until stop.
func (t *traffic) call() {
	for {
		select {
		case <-t.stopCh:
			return
		default:
		}
		key := t.keys[rand.IntN(len(t.keys))]
		ctx, cancel := context.WithTimeout(context.Background(), t.cfg.Timeout)
		t.started.Add(1)
		start := time.Now()
		r, err := t.d.To(key).Deposit(ctx, 1)
		took := time.Since(start)
		t.ended.Add(1)
		cancel()
		t.res.record(key, strings.HasPrefix(key, "local-"), r, err, took)
		if err == nil && t.victims[key] && r.Process != t.victim {
			t.servedAgain(key)
		}
	}
}

// killed marks the moment the victim was killed.
func (t *traffic) killed() {
	t.mu.Lock()
	t.killedAt = time.Now()
	t.mu.Unlock()
}

// servedAgain records that key, one of the victim's, was served by another
// process.
func (t *traffic) servedAgain(key string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.killedAt.IsZero() {
		return
	}
	if _, ok := t.back[key]; ok {
		return
	}
	t.back[key] = time.Now()
	if len(t.back) == len(t.victims) {
		close(t.allBack)
	}
}

// waitTakeover waits until every account of the victim has been served by
// another process, or d passes.
func (t *traffic) waitTakeover(d time.Duration) bool {
	select {
	case <-t.allBack:
		return true
	case <-time.After(d):
		return false
	}
}

// takeoverAfter is the time from the kill to the last of the victim's
// accounts served again.
func (t *traffic) takeoverAfter() time.Duration {
	t.mu.Lock()
	defer t.mu.Unlock()
	var last time.Time
	for _, at := range t.back {
		if at.After(last) {
			last = at
		}
	}
	return last.Sub(t.killedAt)
}

// stop ends the traffic and waits for every call that was started to end;
// those that do not, within their deadline and a second, are lost.
func (t *traffic) stop() {
	close(t.stopCh)
	done := make(chan struct{})
	go func() {
		t.wg.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(t.cfg.Timeout + time.Second):
	}
	t.res.setLost(t.started.Load() - t.ended.Load())
}
