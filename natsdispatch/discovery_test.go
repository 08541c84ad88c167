package natsdispatch

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/dispatchgen/dispatchgen/natsdispatch/embedded"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/micro"
)

// gather sends a request and collects every answer that comes within a
// moment, as nats micro does.
func gather(t *testing.T, nc *nats.Conn, subject string) [][]byte {
	t.Helper()
	inbox := nc.NewInbox()
	ch := make(chan *nats.Msg, 64)
	sub, err := nc.ChanSubscribe(inbox, ch)
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Unsubscribe()
	if err := nc.PublishRequest(subject, inbox, nil); err != nil {
		t.Fatal(err)
	}
	var out [][]byte
	for {
		select {
		case m := <-ch:
			out = append(out, m.Data)
		case <-time.After(300 * time.Millisecond):
			return out
		}
	}
}

// Each hosting dispatcher is a NATS micro service, which nats micro ls,
// info and stats list with its keys and their Stats.
func TestDiscovery(t *testing.T) {
	srv := startServer(t, embedded.Config{})
	a, b, caller := startNode(t, srv), startNode(t, srv), startNode(t, srv)
	bind(t, a, newFake("A"), "a1", "a2")
	bind(t, b, newFake("B"), "b1")
	bind(t, caller, newFake("caller")) // calls only: no service
	out := caller.links["Echo"]
	for range 3 {
		if err := call(timeout(t, 5*time.Second), out, "a1", "Echo", &echoArgs{}, &echoResult{}); err != nil {
			t.Fatal(err)
		}
	}
	nc := connect(t, srv, false)

	pings := gather(t, nc, "$SRV.PING.dispatch-Echo")
	if len(pings) != 2 {
		t.Fatalf("%d services answered the ping, want the 2 hosting nodes", len(pings))
	}
	var info micro.Info
	msg, err := nc.Request("$SRV.INFO.dispatch-Echo."+serviceID(t, a), nil, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(msg.Data, &info); err != nil {
		t.Fatal(err)
	}
	if info.Metadata["interface"] != "Echo" || info.Metadata["prefix"] != "dispatch" || info.Metadata["node"] != a.id ||
		info.Metadata["methods"] != "Echo,Fail,Note,Wait" || len(info.Endpoints) != 1 {
		t.Errorf("info: %+v", info)
	}

	var stats micro.Stats
	msg, err = nc.Request("$SRV.STATS.dispatch-Echo."+serviceID(t, a), nil, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(msg.Data, &stats); err != nil || len(stats.Endpoints) != 1 {
		t.Fatalf("stats: %s, %v", msg.Data, err)
	}
	var data serviceData
	if err := json.Unmarshal(stats.Endpoints[0].Data, &data); err != nil {
		t.Fatal(err)
	}
	if data.Recipients != 2 || data.Calls != 3 || data.Keys["a1"].Handled != 3 || len(data.Keys) != 2 {
		t.Errorf("stats data: %+v", data)
	}

	// The endpoint answers with the same data.
	msg, err = nc.Request("dispatch.$node.Echo."+a.id, nil, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(msg.Data, &data); err != nil || data.Recipients != 2 {
		t.Errorf("endpoint: %s, %v", msg.Data, err)
	}
}

// serviceID is the micro service id of n's dispatcher of Echo.
func serviceID(t *testing.T, n *Node) string {
	t.Helper()
	return n.links["Echo"].service.Info().ID
}

// A service lists a bounded number of keys, however many it holds.
func TestDiscoveryBoundsKeys(t *testing.T) {
	srv := startServer(t, embedded.Config{})
	host := startNode(t, srv)
	f := newFake("host")
	l := bind(t, host, f)
	for i := range maxListedKeys + 5 {
		key := fmt.Sprint("k", i)
		f.register(key, 1)
		if err := l.Claim(context.Background(), key); err != nil {
			t.Fatal(err)
		}
	}
	nc := connect(t, srv, false)
	msg, err := nc.Request("dispatch.$node.Echo."+host.id, nil, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	var data serviceData
	if err := json.Unmarshal(msg.Data, &data); err != nil {
		t.Fatal(err)
	}
	if data.Recipients != maxListedKeys+5 || len(data.Keys) != maxListedKeys || data.Unlisted != 5 {
		t.Errorf("recipients %d, listed %d, unlisted %d", data.Recipients, len(data.Keys), data.Unlisted)
	}
}
