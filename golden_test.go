package dispatchgen_test

import (
	"bufio"
	"bytes"
	"errors"
	"flag"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/dispatchgen/dispatchgen/internal/cli"
	"github.com/dispatchgen/dispatchgen/internal/testmod"
)

var update = flag.Bool("update", false, "regenerate the golden files of testdata/cases and testdata/errors")

// Each directory of testdata/cases is a package whose generated files are
// golden: the test fails, showing the difference, when dispatchgen would
// write anything else. The arguments come from the package's
// //go:generate dispatchgen line.
func TestGolden(t *testing.T) {
	for _, dir := range caseDirs(t, "testdata/cases") {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			args := generateArgs(t, dir)
			t.Chdir(dir)
			var stdout, stderr bytes.Buffer
			if *update {
				if code := cli.Main(args, &stdout, &stderr); code != 0 {
					t.Fatalf("dispatchgen %s: exit status %d\n%s", strings.Join(args, " "), code, stderr.String())
				}
				return
			}
			if code := cli.Main(append([]string{"-diff"}, args...), &stdout, &stderr); code != 0 {
				t.Fatalf("dispatchgen -diff %s: exit status %d\n%s%s\nrun: go test . -run TestGolden -update", strings.Join(args, " "), code, stderr.String(), stdout.String())
			}
		})
	}
}

// Each directory of testdata/errors is a package with problems: dispatchgen
// must report exactly the diagnostics of its want file, exit with status 1,
// and write nothing.
func TestErrors(t *testing.T) {
	for _, dir := range caseDirs(t, "testdata/errors") {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			args := generateArgs(t, dir)
			wantFile, err := filepath.Abs(filepath.Join(dir, "want"))
			if err != nil {
				t.Fatal(err)
			}
			before := listFiles(t, dir)
			t.Chdir(dir)
			var stderr bytes.Buffer
			if code := cli.Main(args, &stderr, &stderr); code != 1 {
				t.Errorf("exit status %d, want 1", code)
			}
			got := stderr.String()
			if *update {
				if err := os.WriteFile(wantFile, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(wantFile)
			if err != nil {
				t.Fatal(err)
			}
			if got != string(want) {
				t.Errorf("diagnostics:\n%s\nwant:\n%s", got, want)
			}
			if after := listFiles(t, "."); after != before {
				t.Errorf("files changed:\n%s\nwere:\n%s", after, before)
			}
		})
	}
}

// TestGeneratedCodeRuns vets the cases with their generated code, runs
// staticcheck on them, and runs their tests, which exercise the generated
// code, under the race detector. The cases are packages of this module, whose
// testdata directories the go command leaves out of ./... but builds when
// named.
func TestGeneratedCodeRuns(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and tests the generated code of every case; skipped with -short")
	}
	const cases = "./testdata/cases/..."
	testmod.Go(t, ".", "vet", cases)
	testmod.Go(t, ".", "run", testmod.Staticcheck, cases)
	testmod.Go(t, ".", "test", "-race", "-count=1", cases)
}

func caseDirs(t *testing.T, parent string) []string {
	t.Helper()
	entries, err := os.ReadDir(parent)
	if err != nil {
		t.Fatal(err)
	}
	var dirs []string
	for _, e := range entries {
		if e.IsDir() {
			dirs = append(dirs, filepath.Join(parent, e.Name()))
		}
	}
	if len(dirs) == 0 {
		t.Fatalf("no cases in %s", parent)
	}
	return dirs
}

// generateArgs reads the arguments of the package's //go:generate
// dispatchgen line, which says how the case is generated, and sets GOFILE and
// GOLINE as go generate does, for the diagnostics about the flags.
func generateArgs(t *testing.T, dir string) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(bytes.NewReader(data))
		for n := 1; sc.Scan(); n++ {
			line := sc.Text()
			for _, prefix := range []string{"//go:generate dispatchgen", "//go:generate go tool dispatchgen"} {
				if rest, ok := strings.CutPrefix(line, prefix); ok {
					t.Setenv("GOFILE", filepath.Base(f))
					t.Setenv("GOLINE", strconv.Itoa(n))
					return strings.Fields(rest)
				}
			}
		}
	}
	t.Fatalf("no //go:generate dispatchgen line in %s", dir)
	return nil
}

func listFiles(t *testing.T, dir string) string {
	t.Helper()
	var b strings.Builder
	err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		b.WriteString(rel + " " + info.ModTime().String() + "\n")
		return nil
	})
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		t.Fatal(err)
	}
	return b.String()
}

// TestGeneratedDocs checks that every exported declaration of the golden
// files has a doc comment attached, as go doc and linters expect of code
// that users read.
func TestGeneratedDocs(t *testing.T) {
	files, err := filepath.Glob("testdata/cases/*/*_dispatch.go")
	if err != nil || len(files) == 0 {
		t.Fatalf("no generated files: %v", err)
	}
	for _, name := range files {
		f, err := parser.ParseFile(token.NewFileSet(), name, nil, parser.ParseComments)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range f.Decls {
			switch d := d.(type) {
			case *ast.FuncDecl:
				if d.Name.IsExported() && d.Doc == nil && !isMessageMethod(d) {
					t.Errorf("%s: func %s has no doc comment", name, d.Name.Name)
				}
			case *ast.GenDecl:
				for _, s := range d.Specs {
					if ts, ok := s.(*ast.TypeSpec); ok && ts.Name.IsExported() && d.Doc == nil && ts.Doc == nil {
						t.Errorf("%s: type %s has no doc comment", name, ts.Name.Name)
					}
				}
			}
		}
	}
}

// isMessageMethod reports whether d is a method of an unexported message
// type, which nobody outside the file sees.
func isMessageMethod(d *ast.FuncDecl) bool {
	if d.Recv == nil {
		return false
	}
	t := d.Recv.List[0].Type
	if star, ok := t.(*ast.StarExpr); ok {
		t = star.X
	}
	if ix, ok := t.(*ast.IndexListExpr); ok {
		t = ix.X
	}
	if ix, ok := t.(*ast.IndexExpr); ok {
		t = ix.X
	}
	id, ok := t.(*ast.Ident)
	return ok && !id.IsExported()
}
