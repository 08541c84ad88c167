package e2e_test

//lint:file-ignore SA4006 everyProcess is the README's snippet as it is, which checks no error between its steps, for brevity
//lint:file-ignore SA5001 everyProcess is the README's snippet as it is, which checks no error between its steps, for brevity

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/dispatchgen/dispatchgen/natsdispatch"
	"github.com/dispatchgen/dispatchgen/natsdispatch/embedded"
	"github.com/dispatchgen/dispatchgen/natsdispatch/internal/e2e"
	"github.com/dispatchgen/dispatchgen/runtime"
	"github.com/nats-io/nats.go"
)

// everyProcess is the README's code for every process, as it quotes it
// (TestReadmeQuotesEveryProcess): it registers gh under "github", calls it
// and "files", which another process holds, and closes. It returns the
// result of the call to "files", and the error of Close.
func everyProcess(ctx context.Context, url string, userOptions []nats.Option, gh e2e.ToolServer) (e2e.Result, error) {
	// README: begin
	nc, err := nats.Connect(url, userOptions...) // auth, TLS, accounts: your own options
	node, err := natsdispatch.NewNode(nc, natsdispatch.WithPrefix("tools"))
	defer node.Close(ctx)
	d := e2e.NewToolServerDispatcher(runtime.WithTransport(node))

	err = d.Register("github", gh)                                                    // claims "github" cluster-wide; runtime.ErrDuplicateKey if another process holds it
	res, err := d.To("github").CallTool(ctx, "search", e2e.Args{Text: "dispatchgen"}) // local if registered here, else over NATS
	fut := d.To("files").CallToolAsync(ctx, "read", e2e.Args{Text: "go.mod"})         // same Future, same errors
	res, err = fut.Await(ctx)                                                         // before node.Close, which fails the calls still waiting
	err = d.Close(ctx)                                                                // drains, then releases this process's claims
	// README: end
	defer nc.Close()
	return res, err
}

// tool is a ToolServer that says which key it serves, and sends each call it
// serves on calls, if set.
type tool struct {
	key   string
	calls chan e2e.Result
}

func (s tool) CallTool(_ context.Context, name string, args e2e.Args) (e2e.Result, error) {
	res := e2e.Result{Key: s.key, Text: name + " " + args.Text}
	if s.calls != nil {
		s.calls <- res
	}
	return res, nil
}
func (tool) Notify(context.Context, e2e.Args)                {}
func (tool) Fail(context.Context, string) error              { return nil }
func (tool) Hop(context.Context, []string) ([]string, error) { return nil, nil }

// The README's code for every process runs as it says: the call to the key
// it registered is served here, the one to the key another process holds
// there, and Close releases its claim.
func TestReadmeEveryProcess(t *testing.T) {
	srv, err := embedded.Start(embedded.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Shutdown()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	nc, err := srv.Connect()
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	node, err := natsdispatch.NewNode(nc, natsdispatch.WithPrefix("tools"))
	if err != nil {
		t.Fatal(err)
	}
	defer node.Close(ctx)
	other := e2e.NewToolServerDispatcher(runtime.WithTransport(node))
	defer other.Close(ctx)
	if err := other.Register("files", tool{key: "files"}); err != nil {
		t.Fatal(err)
	}

	gh := tool{key: "github", calls: make(chan e2e.Result, 1)}
	res, err := everyProcess(ctx, srv.ClientURL(), []nats.Option{nats.Name("readme")}, gh)
	if err != nil {
		t.Fatalf("Close: %v", err)
	}
	if len(gh.calls) != 1 || (<-gh.calls).Text != "search dispatchgen" {
		t.Error("CallTool did not reach the recipient registered in this process")
	}
	if res.Key != "files" || res.Text != "read go.mod" {
		t.Errorf("CallToolAsync's future: %+v, want the reply of the other process's files", res)
	}
	// Close released "github": another process may hold it now.
	if err := other.Register("github", tool{key: "github"}); err != nil {
		t.Errorf("Register after the README's Close: %v", err)
	}
}

// The README's section "Across processes" shows everyProcess's code, but for
// the spaces gofmt puts before its comments.
func TestReadmeQuotesEveryProcess(t *testing.T) {
	readme, err := os.ReadFile("../../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	src, err := os.ReadFile("readme_process_test.go")
	if err != nil {
		t.Fatal(err)
	}
	_, code, _ := strings.Cut(string(src), "// README: begin\n")
	code, _, _ = strings.Cut(code, "\t// README: end\n")
	_, section, ok := strings.Cut(string(readme), "Every process, hosting recipients or only calling them:\n\n```go\n")
	if !ok {
		t.Fatal(`README.md has no code after "Every process, hosting recipients or only calling them:"`)
	}
	quote, _, _ := strings.Cut(section, "```\n")
	if got, want := words(quote), words(code); got != want {
		t.Errorf("README.md shows\n%s\nreadme_process_test.go runs\n%s", quote, code)
	}
}

// words is s with each run of spaces and tabs made one space, and lines
// trimmed.
func words(s string) string {
	var lines []string
	for line := range strings.Lines(s) {
		lines = append(lines, strings.Join(strings.Fields(line), " "))
	}
	return strings.Join(lines, "\n")
}
