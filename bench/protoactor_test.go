package bench_test

import (
	"context"
	"fmt"
	"log/slog"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/dispatchgen/dispatchgen/bench"
)

// actorTimeout bounds each protoactor-go request, which needs a timeout; a
// benchmark fails on the first request that reaches it.
const actorTimeout = 10 * time.Second

// The messages of echoActor: one per method of bench.Echoer.
type (
	echoMsg  struct{ n int }
	noteMsg  struct{ n int }
	tallyMsg struct{}
)

// echoActor is a bench.Recipient as a protoactor-go actor.
type echoActor struct {
	r *bench.Recipient
}

// Receive answers echoMsg and tallyMsg with the method's result, or its
// error, and ignores the system's lifecycle messages.
func (a echoActor) Receive(c actor.Context) {
	ctx := context.Background()
	switch m := c.Message().(type) {
	case echoMsg:
		r, err := a.r.Echo(ctx, m.n)
		respond(c, r, err)
	case noteMsg:
		a.r.Note(ctx, m.n)
	case tallyMsg:
		t, err := a.r.Tally(ctx)
		respond(c, t, err)
	}
}

// respond answers the request c holds with v, or with err if there is one.
func respond[T any](c actor.Context, v T, err error) {
	if err != nil {
		c.Respond(err)
		return
	}
	c.Respond(v)
}

// actors are protoactor-go actors, keys 0..n-1, each spawned with the
// default mailbox, in an actor system of their own.
type actors struct {
	system *actor.ActorSystem
	pids   []*actor.PID
}

// newActorSystem returns an actor system that logs nothing: by default it
// logs to standard error, in the middle of the benchmark output.
func newActorSystem() *actor.ActorSystem {
	return actor.NewActorSystem(actor.WithLoggerFactory(func(*actor.ActorSystem) *slog.Logger {
		return slog.New(slog.DiscardHandler)
	}))
}

// startActors spawns an actor on each of rs, the k-th under key k, and
// stops them when the benchmark ends.
func startActors(b *testing.B, rs []*bench.Recipient) *actors {
	b.Helper()
	a := newActors(len(rs))
	b.Cleanup(func() {
		if err := a.stop(); err != nil {
			b.Error(err)
		}
	})
	if err := a.spawn(rs); err != nil {
		b.Fatal(err)
	}
	return a
}

// newActors returns room for n actors in a new actor system.
func newActors(n int) *actors {
	return &actors{system: newActorSystem(), pids: make([]*actor.PID, n)}
}

// spawn spawns an actor on each of rs, the k-th under key k. The actors
// share one Props, as actors of one kind do, whose producer hands out the
// recipients in turn: Spawn calls it before it returns, which spawn checks.
func (a *actors) spawn(rs []*bench.Recipient) error {
	next := 0
	props := actor.PropsFromProducer(func() actor.Actor {
		r := rs[next]
		next++
		return echoActor{r}
	})
	for k := range rs {
		a.pids[k] = a.system.Root.Spawn(props)
		if next != k+1 {
			return fmt.Errorf("spawning actor %d made %d actors", k, next)
		}
	}
	return nil
}

// stop stops every actor, waits until each has stopped, and shuts the actor
// system down.
func (a *actors) stop() error {
	futures := make([]*actor.Future, 0, len(a.pids))
	for _, pid := range a.pids {
		if pid != nil {
			futures = append(futures, a.system.Root.StopFuture(pid))
		}
	}
	defer a.system.Shutdown()
	for _, f := range futures {
		if err := f.Wait(); err != nil {
			return fmt.Errorf("stopping an actor: %w", err)
		}
	}
	return nil
}

// echo calls Echo on actor k with RequestFuture.
func (a *actors) echo(k, n int) (bench.Reply, error) {
	return request[bench.Reply](a, k, echoMsg{n})
}

// note sends Note to actor k.
func (a *actors) note(k, n int) {
	a.system.Root.Send(a.pids[k], noteMsg{n})
}

// tally calls Tally on actor k with RequestFuture.
func (a *actors) tally(k int) (bench.Tally, error) {
	return request[bench.Tally](a, k, tallyMsg{})
}

// request sends msg to actor k and waits for its reply, a T or an error.
func request[T any](a *actors, k int, msg any) (T, error) {
	var zero T
	res, err := a.system.Root.RequestFuture(a.pids[k], msg, actorTimeout).Result()
	if err != nil {
		return zero, err
	}
	switch v := res.(type) {
	case T:
		return v, nil
	case error:
		return zero, v
	}
	return zero, fmt.Errorf("actor %d replied %T, want %T", k, res, zero)
}
