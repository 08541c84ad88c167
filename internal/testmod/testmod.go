// Package testmod writes the Go modules that tests generate code into: each
// requires this checkout of dispatchgen, so that the generated code builds
// against the runtime under test, and declares the checkout's own go version.
package testmod

import (
	"bufio"
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// ModulePath is the module path of this checkout.
const ModulePath = "github.com/dispatchgen/dispatchgen"

// Root returns the directory of this checkout's go.mod, found by walking up
// from the current directory.
func Root(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		data, err := os.ReadFile(filepath.Join(dir, "go.mod"))
		if err == nil && bytes.HasPrefix(data, []byte("module "+ModulePath+"\n")) {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatalf("no go.mod of %s above the current directory", ModulePath)
		}
		dir = parent
	}
}

// Write makes dir a module named path that requires this checkout, with its
// go.sum, and writes files (names relative to dir, slash-separated) into it.
func Write(t testing.TB, dir, path string, files map[string]string) {
	t.Helper()
	root := Root(t)
	WriteFile(t, filepath.Join(dir, "go.mod"), GoMod(t, path))
	sum, err := os.ReadFile(filepath.Join(root, "go.sum"))
	if err != nil {
		t.Fatal(err)
	}
	WriteFile(t, filepath.Join(dir, "go.sum"), string(sum))
	for name, content := range files {
		WriteFile(t, filepath.Join(dir, filepath.FromSlash(name)), content)
	}
}

// GoMod returns the go.mod of a module named path that requires this
// checkout, replaced by its directory, at the checkout's go version.
func GoMod(t testing.TB, path string) string {
	t.Helper()
	root := Root(t)
	return "module " + path + "\n\ngo " + goVersion(t, root) + "\n\nrequire " + ModulePath + " v0.0.0\n\nreplace " + ModulePath + " => " + root + "\n"
}

// goVersion reads the go line of the checkout's go.mod.
func goVersion(t testing.TB, root string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(root, "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "go "); ok {
			return strings.TrimSpace(v)
		}
	}
	t.Fatal("the checkout's go.mod has no go line")
	return ""
}

// WriteFile writes content to path, creating its directory.
func WriteFile(t testing.TB, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// Staticcheck is the staticcheck command that .ci/run uses, for go run.
const Staticcheck = "honnef.co/go/tools/cmd/staticcheck@v0.8.2"

// Go runs the go command with args in dir and fails the test, with its
// output, if it fails.
func Go(t testing.TB, dir string, args ...string) {
	t.Helper()
	cmd := exec.Command("go", args...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// RequireNatsdispatch makes the module at dir, which Write wrote, require
// this checkout's natsdispatch too, with its sums, for the codecs that the
// wire checks of generated remote packages use.
func RequireNatsdispatch(t testing.TB, dir string) {
	t.Helper()
	nd := filepath.Join(Root(t), "natsdispatch")
	sum, err := os.ReadFile(filepath.Join(nd, "go.sum"))
	if err != nil {
		t.Fatal(err)
	}
	AppendFile(t, filepath.Join(dir, "go.mod"), "\nrequire "+ModulePath+"/natsdispatch v0.0.0\n\nreplace "+ModulePath+"/natsdispatch => "+nd+"\n")
	AppendFile(t, filepath.Join(dir, "go.sum"), string(sum))
}

// AppendFile appends content to the file at path.
func AppendFile(t testing.TB, path, content string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	_, err = f.WriteString(content)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		t.Fatal(err)
	}
}
