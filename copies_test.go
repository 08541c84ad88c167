package dispatchgen_test

import (
	"bytes"
	"go/ast"
	"go/format"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/dispatchgen/dispatchgen/gen"
	"github.com/dispatchgen/dispatchgen/internal/testmod"
)

// runtimeCopy is code that dispatchgen generates, kept in a test file of
// the runtime, which dispatchgen does not read: the generated part of file,
// for the interface iface of src. The part starts after begin, or at the
// file's imports when begin is empty, and runs to end, or to the end of the
// file.
type runtimeCopy struct {
	src, iface, file string
	begin, end       string
	// remote generates the copy with -remote.
	remote bool
}

var runtimeCopies = []runtimeCopy{
	{src: "runtime/worker_test.go", iface: "Worker", file: "runtime/worker_dispatch_test.go"},
	{src: "runtime/example_test.go", iface: "Counter", file: "runtime/example_test.go",
		begin: "// What follows, up to Example, is the code dispatchgen generates for\n// Counter.\n", end: "\n\nfunc Example() {"},
	{src: "runtime/remote_echo_test.go", iface: "Echo", file: "runtime/remote_dispatch_test.go", remote: true},
}

// TestRuntimeCopies generates the code of each runtime copy again and
// checks that the copy is the same; with -update, it rewrites the copy.
func TestRuntimeCopies(t *testing.T) {
	for _, c := range runtimeCopies {
		t.Run(c.iface, func(t *testing.T) {
			data, err := os.ReadFile(c.file)
			if err != nil {
				t.Fatal(err)
			}
			file := string(data)
			start, stop := c.span(t, file)
			want := generatedDecls(t, c, c.begin != "")
			if got := file[start:stop]; got != want {
				if *update {
					testmod.WriteFile(t, c.file, file[:start]+want+file[stop:])
					return
				}
				t.Errorf("%s holds other code than dispatchgen generates for %s:\n%s\nrun: go test . -run TestRuntimeCopies -update", c.file, c.iface, lineDiff(got, want))
			}
		})
	}
}

// span is where the generated part of file starts and stops.
func (c runtimeCopy) span(t *testing.T, file string) (int, int) {
	t.Helper()
	start, stop := strings.Index(file, "\nimport (")+1, len(file)
	if c.begin != "" {
		start = strings.Index(file, c.begin) + len(c.begin)
		stop = strings.Index(file, c.end) + 1
	}
	if start <= 0 || stop < start {
		t.Fatalf("%s: cannot find where the generated code of %s is", c.file, c.iface)
	}
	return start, stop
}

// generatedDecls generates the dispatcher of c.iface from the type
// declarations of c.src, outside the copy, in a package named like the
// runtime's tests, and returns it from its imports on, or, with declsOnly,
// from after them.
func generatedDecls(t *testing.T, c runtimeCopy, declsOnly bool) string {
	t.Helper()
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, c.src, nil, parser.ParseComments)
	if err != nil {
		t.Fatal(err)
	}
	src, err := os.ReadFile(c.src)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	b.WriteString("package runtime_test\n\nimport \"context\"\n\n")
	skip := [2]int{-1, -1}
	if c.begin != "" {
		skip = [2]int{bytes.Index(src, []byte(c.begin)), bytes.Index(src, []byte(c.end))}
	}
	for _, d := range f.Decls {
		gd, ok := d.(*ast.GenDecl)
		if off := fset.Position(d.Pos()).Offset; !ok || gd.Tok != token.TYPE || skip[0] <= off && off < skip[1] {
			continue
		}
		if err := format.Node(&b, fset, &ast.GenDecl{Tok: token.TYPE, Specs: gd.Specs}); err != nil {
			t.Fatal(err)
		}
		b.WriteString("\n\n")
	}
	dir := t.TempDir()
	testmod.Write(t, dir, "example.com/copies", map[string]string{"runtime_test/types.go": b.String()})
	t.Setenv("GOFLAGS", "-mod=mod")
	res, err := gen.Generate(gen.Config{Dir: filepath.Join(dir, "runtime_test"), Options: gen.Options{Types: []string{c.iface}, Remote: c.remote}})
	if err != nil {
		t.Fatal(err)
	}
	out := string(res.Files[0].New)
	i := strings.Index(out, "\nimport (") + 1
	if declsOnly {
		i = strings.Index(out, "\n)\n") + len("\n)\n")
	}
	return out[i:]
}

// lineDiff shows the first line where got and want differ.
func lineDiff(got, want string) string {
	g, w := strings.Split(got, "\n"), strings.Split(want, "\n")
	for i := range min(len(g), len(w)) {
		if g[i] != w[i] {
			return "line " + strconv.Itoa(i+1) + ":\n\thas:  " + g[i] + "\n\twant: " + w[i]
		}
	}
	return "one is longer: " + strconv.Itoa(len(g)) + " lines against " + strconv.Itoa(len(w))
}
