package natsdispatch

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dispatchgen/dispatchgen/natsdispatch/embedded"
	"github.com/dispatchgen/dispatchgen/runtime"
	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// documentedPermissions returns the permissions README.md documents for a
// calling and a hosting process, as the server reads them from its
// configuration syntax, for prefix "tools" and, instead of ToolServer,
// interface Echo. The test runs with the text itself, not a transcription,
// so that what it proves is what the README says.
func documentedPermissions(t *testing.T) (caller, host *server.Permissions) {
	t.Helper()
	blocks := permissionBlocks(t, "README.md")
	conf := "authorization { users = [\n"
	for i, b := range blocks {
		conf += fmt.Sprintf("{user: u%d, password: u%d, %s}\n", i, i, strings.ReplaceAll(b, "ToolServer", "Echo"))
	}
	conf += "] }\n"
	file := filepath.Join(t.TempDir(), "server.conf")
	if err := os.WriteFile(file, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	opts, err := server.ProcessConfigFile(file)
	if err != nil {
		t.Fatalf("the server does not read README.md's permissions: %v\n%s", err, conf)
	}
	perms := map[string]*server.Permissions{}
	for _, u := range opts.Users {
		perms[u.Username] = u.Permissions
	}
	return perms["u0"], perms["u1"]
}

// permissionBlocks returns the two permissions blocks, of a calling and of
// a hosting process, in the section "Subject permissions" of the README
// file.
func permissionBlocks(t *testing.T, file string) []string {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(data), "Subject permissions\n")
	if !ok {
		t.Fatalf("%s has no section Subject permissions", file)
	}
	section, _, _ = strings.Cut(section, "\n## ")
	var blocks []string
	for i, b := range strings.Split(section, "```") {
		if i%2 == 1 && strings.HasPrefix(b, "\npermissions: {") {
			blocks = append(blocks, b)
		}
	}
	if len(blocks) != 2 {
		t.Fatalf("%s's section Subject permissions has %d permissions blocks, want 2 (calling, hosting)", file, len(blocks))
	}
	return blocks
}

// The repository's README quotes the permissions this module's README
// documents, which TestDocumentedPermissions runs with.
func TestRepositoryReadmeQuotesPermissions(t *testing.T) {
	want := permissionBlocks(t, "README.md")
	got := permissionBlocks(t, filepath.Join("..", "README.md"))
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("../README.md shows\n%s\nREADME.md documents\n%s", got[i], want[i])
		}
	}
}

// A hosting and a calling process work with exactly the documented
// permissions, and a calling process cannot host.
func TestDocumentedPermissions(t *testing.T) {
	callerPermissions, hostPermissions := documentedPermissions(t)
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

// A claim the server's permissions refuse fails with the violation the
// server reported, not with a bare timeout, so that an operator sees which
// subject the process may not use. Found by registering in a process that
// has the documented calling permissions: the error said only "bucket
// tools_owners: context deadline exceeded".
func TestClaimRefusedByPermissionsSaysWhy(t *testing.T) {
	callerPermissions, _ := documentedPermissions(t)
	srv := startServer(t, embedded.Config{Configure: func(o *server.Options) {
		o.Users = []*server.User{{Username: "caller", Password: "caller", Permissions: callerPermissions}}
	}})
	quiet := nats.ErrorHandler(func(*nats.Conn, *nats.Subscription, error) {})
	caller := nodeOn(t, connect(t, srv, true, nats.UserInfo("caller", "caller"), quiet), WithPrefix("tools"))
	l, err := caller.Bind(newFake("caller"))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	err = l.Claim(ctx, "mine")
	if !errors.Is(err, nats.ErrPermissionViolation) || !strings.Contains(err.Error(), "KV_tools_owners") {
		t.Errorf("a claim the permissions refuse: %v; want it to wrap nats.ErrPermissionViolation and name the subject", err)
	}
}

// withViolation names a violation only for a claim that timed out, and only
// one the connection received while the claim ran.
func TestWithViolation(t *testing.T) {
	violation := fmt.Errorf("%w: Permissions Violation for Publish to \"x\"", nats.ErrPermissionViolation)
	timeout := fmt.Errorf("natsdispatch: bucket b: %w", context.DeadlineExceeded)
	if err := withViolation(timeout, nil, violation); !errors.Is(err, nats.ErrPermissionViolation) || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("a timeout with a new violation: %v", err)
	}
	if err := withViolation(timeout, violation, violation); err != timeout {
		t.Errorf("a timeout with the violation the connection had before: %v", err)
	}
	if err := withViolation(timeout, nil, errors.New("other")); err != timeout {
		t.Errorf("a timeout with another error: %v", err)
	}
	dup := fmt.Errorf("natsdispatch: %w", runtime.ErrDuplicateKey)
	if err := withViolation(dup, nil, violation); err != dup {
		t.Errorf("a duplicate key with a violation: %v", err)
	}
}
