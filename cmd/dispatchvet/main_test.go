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

// wantReport is what dispatchvet prints for sharedQueue, but for the
// directory: the skip, the receive and the start.
var wantReport = []string{
	"workers.go:10:4: m is dropped when it is addressed to another worker: every worker receives from q, so the messages a wrong one takes are lost; give each worker its own mailbox (a //dispatch:recipient interface, or a channel per worker)",
	"workers.go:8:17: \tevery worker receives from q here",
	"workers.go:23:3: \tthe workers are started here",
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

// TestStandalone runs dispatchvet on a module as a command of its own.
func TestStandalone(t *testing.T) {
	dir := newModule(t, "module example.com/m\n\ngo 1.25\n")
	out, code := runIn(t, dir, dispatchvet, "./...")
	if code != 3 {
		t.Errorf("exit status %d, want 3 (something reported)\n%s", code, out)
	}
	checkReport(t, out, filepath.Join(dir, "workers"))
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
	// go vet prints positions relative to the module and a header line for
	// the package.
	checkReport(t, strings.ReplaceAll(out, "workers"+string(filepath.Separator), filepath.Join(dir, "workers")+string(filepath.Separator)), filepath.Join(dir, "workers"))
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
	if code != 3 {
		t.Errorf("exit status %d, want 3 (something reported)\n%s", code, out)
	}
	checkReport(t, out, filepath.Join(dir, "workers"))
}

// checkReport checks that out, what dispatchvet printed, is wantReport for
// the package in dir.
func checkReport(t *testing.T, out, dir string) {
	t.Helper()
	var want []string
	for _, line := range wantReport {
		want = append(want, dir+string(filepath.Separator)+line)
	}
	var got []string
	for line := range strings.Lines(out) {
		if !strings.HasPrefix(line, "#") { // go vet's line for the package
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
	var tree map[string]map[string]json.RawMessage
	if err := json.Unmarshal([]byte(out), &tree); err != nil {
		t.Fatalf("%v in %s", err, out)
	}
	for pkg, results := range tree {
		var diags []struct{ Posn, Message string }
		if err := json.Unmarshal(results["sharedqueue"], &diags); err != nil {
			t.Fatalf("%s: %v in %s", pkg, err, results["sharedqueue"])
		}
		for _, d := range diags {
			file, line, _ := strings.Cut(d.Posn, ":")
			line, _, _ = strings.Cut(line, ":")
			got[filepath.Base(file)+":"+line] = d.Message
		}
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
