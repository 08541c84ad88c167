package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// dispatchvet is the command built for the tests, by TestMain.
var dispatchvet string

func TestMain(m *testing.M) {
	os.Exit(buildAndRun(m))
}

func buildAndRun(m *testing.M) int {
	dir, err := os.MkdirTemp("", "dispatchvet")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	dispatchvet = filepath.Join(dir, "dispatchvet")
	if out, err := exec.Command("go", "build", "-o", dispatchvet, ".").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "go build: %v\n%s", err, out)
		return 1
	}
	return m.Run()
}

// sharedQueue is a package with one shared-queue bug, in the drop form, and
// a correct worker pool.
const sharedQueue = `package workers

type msg struct{ to string }

type server struct{ name string }

func (s *server) serve(q chan msg) {
	for m := range q {
		if m.to != s.name {
			continue
		}
	}
}

func pool(jobs chan msg) {
	for range jobs {
	}
}

func Start(q chan msg, names []string) {
	for _, n := range names {
		s := &server{name: n}
		go s.serve(q)
		go pool(q)
	}
}
`

// wantReport is what dispatchvet prints for sharedQueue, the paths relative
// to the module: the skip, the receive and the start.
var wantReport = []string{
	"workers/workers.go:10:4: m is dropped when it is addressed to another worker: every worker receives from q, so the messages a wrong one takes are lost; give each worker its own mailbox (a //dispatch:recipient interface, or a channel per worker)",
	"workers/workers.go:8:17: \tevery worker receives from q here",
	"workers/workers.go:23:3: \tthe workers are started here",
}

// newModule writes a module with the package sharedQueue in workers/ and
// a correct one in clean/, and returns its directory.
func newModule(t *testing.T, gomod string) string {
	t.Helper()
	dir := t.TempDir()
	write(t, filepath.Join(dir, "go.mod"), gomod)
	write(t, filepath.Join(dir, "workers", "workers.go"), sharedQueue)
	write(t, filepath.Join(dir, "clean", "clean.go"), "package clean\n\nfunc Sum(q chan int) (n int) {\n\tfor v := range q {\n\t\tn += v\n\t}\n\treturn n\n}\n")
	return dir
}

// TestStandalone runs dispatchvet on a module as a command of its own,
// which runs go vet with itself as the vet tool.
func TestStandalone(t *testing.T) {
	dir := newModule(t, "module example.com/m\n\ngo 1.25\n")
	out, code := runIn(t, dir, dispatchvet, "./...")
	if code != 1 {
		t.Errorf("exit status %d, want go vet's 1 (something reported)\n%s", code, out)
	}
	checkReport(t, out, dir)
	if out, code := runIn(t, dir, dispatchvet, "./clean"); code != 0 || out != "" {
		t.Errorf("on a correct package: exit status %d, output %q; want 0 and nothing", code, out)
	}
}

// TestVettool runs dispatchvet through go vet -vettool.
func TestVettool(t *testing.T) {
	dir := newModule(t, "module example.com/m\n\ngo 1.25\n")
	out, code := runIn(t, dir, "go", "vet", "-vettool="+dispatchvet, "./...")
	if code == 0 {
		t.Errorf("go vet succeeded, want it to fail\n%s", out)
	}
	checkReport(t, out, dir)
	if out, code := runIn(t, dir, "go", "vet", "-vettool="+dispatchvet, "./clean"); code != 0 {
		t.Errorf("go vet on a correct package: exit status %d\n%s", code, out)
	}
}

// TestGoTool runs dispatchvet as a tool of a module that depends on this
// one, as a user would with go tool.
func TestGoTool(t *testing.T) {
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	dir := newModule(t, "module example.com/m\n\ngo 1.26.8\n\nrequire github.com/dispatchgen/dispatchgen v0.0.0\n\nreplace github.com/dispatchgen/dispatchgen => "+root+"\n")
	sum, err := os.ReadFile(filepath.Join(root, "go.sum"))
	if err != nil {
		t.Fatal(err)
	}
	write(t, filepath.Join(dir, "go.sum"), string(sum))
	t.Setenv("GOFLAGS", "-mod=mod")
	// go get -tool would ask the module proxy for this unpublished module.
	if out, code := runIn(t, dir, "go", "mod", "edit", "-tool", "github.com/dispatchgen/dispatchgen/cmd/dispatchvet"); code != 0 {
		t.Fatalf("go mod edit -tool: exit status %d\n%s", code, out)
	}
	if out, code := runIn(t, dir, "go", "mod", "tidy"); code != 0 {
		t.Fatalf("go mod tidy: exit status %d\n%s", code, out)
	}
	out, code := runIn(t, dir, "go", "tool", "dispatchvet", "./...")
	if code != 1 {
		t.Errorf("exit status %d, want go vet's 1 (something reported)\n%s", code, out)
	}
	checkReport(t, out, dir)
	// The README's other way: go vet with the tool's path.
	tool, code := runIn(t, dir, "go", "tool", "-n", "dispatchvet")
	if code != 0 {
		t.Fatalf("go tool -n: exit status %d\n%s", code, tool)
	}
	out, code = runIn(t, dir, "go", "vet", "-vettool="+strings.TrimSpace(tool), "./...")
	if code != 1 {
		t.Errorf("go vet -vettool=$(go tool -n dispatchvet): exit status %d, want 1\n%s", code, out)
	}
	checkReport(t, out, dir)
}

// checkReport checks that out, what dispatchvet printed for the module in
// dir, is wantReport, whether it prints paths relative to dir or not.
func checkReport(t *testing.T, out, dir string) {
	t.Helper()
	want := wantReport
	var got []string
	for line := range strings.Lines(out) {
		if !strings.HasPrefix(line, "#") { // go vet's line for the package
			line = strings.TrimPrefix(line, dir+string(filepath.Separator))
			got = append(got, strings.TrimSuffix(line, "\n"))
		}
	}
	if !slices.Equal(got, want) {
		t.Errorf("dispatchvet printed\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestToolserversExample runs dispatchvet on examples/toolservers: it must
// report the lines of the shared-queue variant marked "// dispatchvet:
// dropped" or "// dispatchvet: put back", with that form, and nothing in
// the files of the dispatcher.
func TestToolserversExample(t *testing.T) {
	dir := filepath.Join("..", "..", "examples", "toolservers")
	want := markedLines(t, dir)
	if len(want) != 2 {
		t.Fatalf("the example marks %d lines, want one of each form: %v", len(want), want)
	}
	out, code := runIn(t, dir, dispatchvet, "-json", ".")
	if code != 0 {
		t.Fatalf("exit status %d\n%s", code, out)
	}
	got := map[string]string{} // position to message; the test variant repeats them
	var data []byte            // go vet prints one JSON object a package, each after a line of its own
	for line := range strings.Lines(out) {
		if !strings.HasPrefix(line, "#") {
			data = append(data, line...)
		}
	}
	for at, msg := range diagnostics(t, data) {
		file, line, _ := strings.Cut(at, ":")
		line, _, _ = strings.Cut(line, ":")
		got[filepath.Base(file)+":"+line] = msg
	}
	for at, form := range want {
		if msg, ok := got[at]; !ok {
			t.Errorf("%s is marked %q but not reported", at, form)
		} else if !strings.Contains(msg, " is "+form+" ") {
			t.Errorf("%s is marked %q, but reported as %q", at, form, msg)
		}
	}
	for at, msg := range got {
		if _, ok := want[at]; !ok {
			t.Errorf("%s is reported but not marked: %s", at, msg)
		}
	}
}

// diagnostics returns the positions and messages of the diagnostics in
// data, the JSON that go vet -json prints.
func diagnostics(t *testing.T, data []byte) map[string]string {
	t.Helper()
	diags := map[string]string{}
	dec := json.NewDecoder(bytes.NewReader(data))
	for dec.More() {
		var tree map[string]map[string]json.RawMessage // package, analyzer, diagnostics
		if err := dec.Decode(&tree); err != nil {
			t.Fatalf("%v in %s", err, data)
		}
		for pkg, results := range tree {
			var list []struct{ Posn, Message string }
			if err := json.Unmarshal(results["sharedqueue"], &list); err != nil {
				t.Fatalf("%s: %v in %s", pkg, err, results["sharedqueue"])
			}
			for _, d := range list {
				diags[d.Posn] = d.Message
			}
		}
	}
	return diags
}

// markedLines returns the lines of the Go files in dir marked with a
// "// dispatchvet: FORM" comment, as file:line, with their form.
func markedLines(t *testing.T, dir string) map[string]string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		t.Fatal(err)
	}
	marked := map[string]string{}
	for _, name := range files {
		data, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(bytes.NewReader(data))
		for n := 1; sc.Scan(); n++ {
			if _, form, ok := strings.Cut(sc.Text(), "// dispatchvet: "); ok {
				marked[fmt.Sprintf("%s:%d", filepath.Base(name), n)] = form
			}
		}
	}
	return marked
}

// runIn runs a command in dir and returns what it printed and its exit
// status.
func runIn(t *testing.T, dir, name string, args ...string) (string, int) {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		return string(out), exit.ExitCode()
	case err != nil:
		t.Fatalf("%s: %v", name, err)
	}
	return string(out), 0
}

func write(t *testing.T, name, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(name, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}
