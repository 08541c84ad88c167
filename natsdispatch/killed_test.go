package natsdispatch

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dispatchgen/dispatchgen/natsdispatch/embedded"
	"github.com/dispatchgen/dispatchgen/runtime"
	"github.com/nats-io/nats.go"
)

// hostProcessEnv, set to a server URL, makes the test binary a hosting
// process: it claims the keys hostProcessKeys lists with a lease of
// hostProcessTTL, prints "ready", and serves until it is killed.
const (
	hostProcessEnv  = "NATSDISPATCH_TEST_HOST_PROCESS"
	hostProcessKeys = "NATSDISPATCH_TEST_HOST_KEYS"
	hostProcessTTL  = time.Second
)

func hostProcess(url string) int {
	nc, err := nats.Connect(url)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	n, err := NewNode(nc, WithLeaseTTL(hostProcessTTL))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	f := newFake("child")
	l, err := n.Bind(f)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	for _, k := range strings.Split(os.Getenv(hostProcessKeys), ",") {
		f.register(k, 1024)
		if err := l.Claim(context.Background(), k); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
	}
	fmt.Println("ready")
	select {} // until SIGKILL
}

// startHostProcess runs a hosting process for keys and returns it once it
// holds them.
func startHostProcess(t *testing.T, url string, keys []string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), hostProcessEnv+"="+url, hostProcessKeys+"="+strings.Join(keys, ","))
	cmd.Stderr = os.Stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil || strings.TrimSpace(line) != "ready" {
		t.Fatalf("host process: %q, %v", line, err)
	}
	return cmd
}

// A hosting process killed with SIGKILL during calls: every call ends
// once, within its deadline, with a result or an error; calls made once the
// server has dropped the dead process's connection fail fast; another node
// takes the keys over within the lease TTL of the dead node's last renewal.
// A call the server routed to the process before it dropped the connection
// ends only at its deadline: nobody is left to answer it.
func TestHostKilledDuringCalls(t *testing.T) {
	srv := startServer(t, embedded.Config{})
	keys := []string{"k0", "k1", "k2", "k3"}
	child := startHostProcess(t, srv.ClientURL(), keys)
	caller := bind(t, startNode(t, srv, WithLeaseTTL(hostProcessTTL)), newFake("caller"))
	successor := startNode(t, srv, WithLeaseTTL(hostProcessTTL))
	fs := newFake("successor")
	ls := bind(t, successor, fs)

	const callDeadline = 2 * time.Second
	var (
		ok, failed, late, twice atomic.Int64
		stop                    = make(chan struct{})
		wg                      sync.WaitGroup
	)
	for g := range 8 {
		wg.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				key := keys[(g+i)%len(keys)]
				ctx, cancel := context.WithTimeout(context.Background(), callDeadline)
				start := time.Now()
				var ends atomic.Int32
				done := make(chan error, 2)
				caller.Call(&runtime.RemoteCall{
					Ctx: ctx, Key: key, Method: "Echo", Args: &echoArgs{N: i}, Result: &echoResult{},
					Done: func(err error) {
						if ends.Add(1) > 1 {
							twice.Add(1)
						}
						done <- err
					},
				})
				err := <-done
				cancel()
				if time.Since(start) > callDeadline+250*time.Millisecond {
					late.Add(1)
				}
				if err == nil {
					ok.Add(1)
				} else {
					failed.Add(1)
				}
			}
		})
	}
	eventually(t, 5*time.Second, "calls served before the kill", func() bool { return ok.Load() > 100 })
	clients := srv.NATS().NumClients()
	if err := child.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	killed := time.Now()
	_, _ = child.Process.Wait()
	eventually(t, time.Second, "the server drops the killed process's connection", func() bool {
		return srv.NATS().NumClients() == clients-1
	})

	start := time.Now()
	err := call(timeout(t, callDeadline), caller, "k0", "Echo", &echoArgs{}, &echoResult{})
	if !errors.Is(err, runtime.ErrNoRecipient) {
		t.Errorf("a call to a killed host: %v, want ErrNoRecipient", err)
	}
	if took := time.Since(start); took > callDeadline/2 {
		t.Errorf("a call to a killed host failed after %v (%v), not fast", took, err)
	}

	ctx := timeout(t, 10*time.Second)
	for _, k := range keys {
		fs.register(k, 1024)
		claimWhenFree(t, ctx, ls, k)
	}
	took := time.Since(killed)
	close(stop)
	wg.Wait()
	t.Logf("calls: %d ok, %d failed; takeover %v after SIGKILL (lease TTL %v)", ok.Load(), failed.Load(), took, hostProcessTTL)
	// The dead node renewed its lease at most a fifth of the TTL before the
	// kill, and a claim is tried every 10 ms: room for a loaded machine.
	if took > hostProcessTTL+200*time.Millisecond {
		t.Errorf("takeover took %v after the kill, for a lease of %v", took, hostProcessTTL)
	}
	if n := twice.Load(); n > 0 {
		t.Errorf("%d calls ended twice", n)
	}
	if n := late.Load(); n > 0 {
		t.Errorf("%d calls ended past their deadline", n)
	}
	var res echoResult
	if err := call(ctx, caller, "k1", "Echo", &echoArgs{}, &res); err != nil || res.Node != "successor" || res.Key != "k1" {
		t.Errorf("after the takeover: %v, served by %q for %q", err, res.Node, res.Key)
	}
}
