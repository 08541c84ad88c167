package natsdispatch

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/dispatchgen/dispatchgen/natsdispatch/embedded"
	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// The permissions README.md documents, for prefix "tools" and interface
// Echo: a calling process needs only these two lines; a hosting process
// these and the rest.
var (
	callerPermissions = &server.Permissions{
		Publish:   &server.SubjectPermission{Allow: []string{"tools.Echo.*.*"}},
		Subscribe: &server.SubjectPermission{Allow: []string{"_INBOX.>"}},
	}
	hostPermissions = &server.Permissions{
		Publish: &server.SubjectPermission{Allow: []string{
			"tools.Echo.*.*",
			"$KV.tools_owners.>", "$KV.tools_leases.>",
			"$JS.API.INFO",
			"$JS.API.STREAM.INFO.KV_tools_owners", "$JS.API.STREAM.INFO.KV_tools_leases",
			"$JS.API.STREAM.CREATE.KV_tools_owners", "$JS.API.STREAM.CREATE.KV_tools_leases",
			"$JS.API.DIRECT.GET.KV_tools_owners.>", "$JS.API.DIRECT.GET.KV_tools_leases.>",
		}},
		Subscribe: &server.SubjectPermission{Allow: []string{
			"tools.Echo.*.*", "tools.$node.Echo.*", "$SRV.>", "_INBOX.>",
		}},
		Response: &server.ResponsePermission{MaxMsgs: 1},
	}
)

// A hosting and a calling process work with exactly the documented
// permissions, and a calling process cannot host.
func TestDocumentedPermissions(t *testing.T) {
	srv := startServer(t, embedded.Config{Configure: func(o *server.Options) {
		o.Users = []*server.User{
			{Username: "host", Password: "host", Permissions: hostPermissions},
			{Username: "caller", Password: "caller", Permissions: callerPermissions},
			{Username: "admin", Password: "admin"},
		}
	}})
	var mu sync.Mutex
	var violations []error
	onError := nats.ErrorHandler(func(_ *nats.Conn, _ *nats.Subscription, err error) {
		mu.Lock()
		violations = append(violations, err)
		mu.Unlock()
	})
	ncHost := connect(t, srv, true, nats.UserInfo("host", "host"), onError)
	ncCaller := connect(t, srv, true, nats.UserInfo("caller", "caller"), onError)
	host := nodeOn(t, ncHost, WithPrefix("tools"))
	caller := nodeOn(t, ncCaller, WithPrefix("tools"))
	bind(t, host, newFake("host"), "k")
	out := bind(t, caller, newFake("caller"))
	ctx := timeout(t, 10*time.Second)

	var res echoResult
	if err := call(ctx, out, "k", "Echo", &echoArgs{N: 1}, &res); err != nil || res.Key != "k" {
		t.Fatalf("call: %v, %+v", err, res)
	}
	failed := make(chan error, 1)
	send(ctx, out, "nobody", "Note", &echoArgs{}, func(err error) { failed <- err })
	if err := <-failed; err == nil {
		t.Error("a one-way message to nobody was not refused")
	}
	send(ctx, out, "k", "Note", &echoArgs{N: 2}, func(err error) { t.Errorf("refused: %v", err) })
	if err := call(ctx, out, "k", "Fail", &echoArgs{Text: "ErrDeadlock"}, nil); err == nil {
		t.Error("an error reply did not arrive")
	}
	hl := host.links["Echo"]
	if err := hl.Release(ctx, "k"); err != nil {
		t.Fatalf("release: %v", err)
	}
	if err := hl.Claim(ctx, "k"); err != nil {
		t.Fatalf("claim again: %v", err)
	}
	// A takeover reads the lease of the record's owner, here one that is
	// long gone.
	js, err := jetstream.New(connect(t, srv, false, nats.UserInfo("admin", "admin")))
	if err != nil {
		t.Fatal(err)
	}
	owners, err := js.KeyValue(ctx, "tools_owners")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := owners.Create(ctx, "Echo.stale", []byte("goneLease")); err != nil {
		t.Fatal(err)
	}
	if err := hl.Claim(ctx, "stale"); err != nil {
		t.Fatalf("take over from a lease that is gone: %v", err)
	}
	mu.Lock()
	if len(violations) > 0 {
		t.Errorf("the documented permissions were not enough: %v", violations)
	}
	violations = nil
	mu.Unlock()

	claimCtx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	if err := out.Claim(claimCtx, "mine"); err == nil {
		t.Error("a calling process could claim a key")
	}
	if err := call(ctx, out, "k", "Echo", &echoArgs{N: 3}, &res); err != nil {
		t.Errorf("a call after the refused claim: %v", err)
	}
}
