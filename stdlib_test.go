package dispatchgen_test

import (
	"fmt"
	"go/token"
	"go/types"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"golang.org/x/tools/go/packages"

	"github.com/dispatchgen/dispatchgen/gen"
	"github.com/dispatchgen/dispatchgen/internal/testmod"
)

// stdlibPackages are the packages of the standard library whose interfaces
// TestStdlibInterfaces generates dispatchers for.
var stdlibPackages = []string{
	"bufio", "container/heap", "context", "crypto", "crypto/cipher", "database/sql", "database/sql/driver",
	"encoding", "encoding/binary", "encoding/gob", "encoding/json", "encoding/xml", "expvar", "flag", "fmt",
	"go/ast", "go/types", "hash", "image", "image/color", "image/draw", "io", "io/fs", "log/slog",
	"math/rand", "math/rand/v2", "mime/multipart", "net", "net/http", "net/http/cookiejar", "net/rpc", "os",
	"reflect", "runtime", "sort", "sync", "testing", "text/template/parse",
}

// refusals are what dispatchgen may say of an interface of the standard
// library: that the generated code cannot implement or name it. Anything
// else is a bug.
var refusals = []string{
	"is unexported in package",        // a method only its package may implement
	"uses unexported type",            // a type only its package may name
	"which the generated code in",     // the same, inside a composite type
	"is a constraint with a type set", // not an interface a value can have
}

// TestStdlibInterfaces generates, with -noerror=panic, a dispatcher for
// every interface of stdlibPackages, each under a name of its own, into one
// package; then vets it, runs staticcheck on it, and runs a test of every
// dispatcher under the race detector. An interface may only be refused for
// one of the refusals.
func TestStdlibInterfaces(t *testing.T) {
	if testing.Short() {
		t.Skip("loads and builds much of the standard library; skipped with -short")
	}
	names := stdlibInterfaces(t)
	dir := t.TempDir()
	testmod.Write(t, dir, "example.com/std", map[string]string{"std/doc.go": "// Package std holds dispatchers of the standard library's interfaces.\npackage std\n"})
	t.Setenv("GOFLAGS", "-mod=mod")
	cfg := gen.Config{Dir: filepath.Join(dir, "std"), Options: gen.Options{NoError: gen.NoErrorPanic}}
	cfg.Types = names
	_, err := gen.Generate(cfg)
	refused := map[string]bool{}
	if diags, ok := err.(*gen.Diagnostics); ok {
		for _, d := range diags.List {
			name, msg, _ := strings.Cut(strings.TrimPrefix(d.Msg, "-type "), ": ")
			if d.Pos.Filename != "" || !refusal(msg) {
				t.Errorf("unexpected diagnostic: %s", d.Msg)
			}
			refused[name] = true
		}
	} else if err != nil {
		t.Fatal(err)
	}
	cfg.Types = nil
	var smoke strings.Builder
	smoke.WriteString("package std\n\nimport (\n\t\"context\"\n\t\"testing\"\n)\n\nfunc TestDispatchers(t *testing.T) {\n\tctx := context.Background()\n")
	for _, n := range names {
		if refused[n] {
			continue
		}
		cfg.Types = append(cfg.Types, n)
		_, as, _ := strings.Cut(n, "=")
		fmt.Fprintf(&smoke, "\tif err := New%sDispatcher().Close(ctx); err != nil {\n\t\tt.Error(err)\n\t}\n", as)
	}
	smoke.WriteString("}\n")
	t.Logf("%d interfaces of %d packages: %d generated, %d refused: %s", len(names), len(stdlibPackages), len(cfg.Types), len(refused), strings.Join(sortedKeys(refused), " "))
	if len(cfg.Types) < len(names)*2/3 {
		t.Errorf("only %d of %d interfaces generated", len(cfg.Types), len(names))
	}
	if _, err := gen.Run(cfg); err != nil {
		t.Fatal(err)
	}
	testmod.WriteFile(t, filepath.Join(dir, "std", "std_test.go"), smoke.String())
	goCmd(t, dir, "vet", "./...")
	goCmd(t, dir, "run", staticcheck, "./...")
	goCmd(t, dir, "test", "-race", "-count=1", "./...")
}

func refusal(msg string) bool {
	for _, r := range refusals {
		if strings.Contains(msg, r) {
			return true
		}
	}
	return false
}

// stdlibInterfaces lists the exported interfaces of stdlibPackages that a
// value can have, each as path.Name=Alias with an alias unique among them.
func stdlibInterfaces(t *testing.T) []string {
	t.Helper()
	pkgs, err := packages.Load(&packages.Config{Mode: packages.NeedName | packages.NeedTypes}, stdlibPackages...)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, p := range pkgs {
		if len(p.Errors) > 0 {
			t.Fatalf("%s: %v", p.PkgPath, p.Errors)
		}
		scope := p.Types.Scope()
		for _, name := range scope.Names() {
			tn, ok := scope.Lookup(name).(*types.TypeName)
			if !ok || !token.IsExported(name) || tn.IsAlias() {
				continue
			}
			iface, ok := tn.Type().Underlying().(*types.Interface)
			if !ok || !iface.IsMethodSet() || iface.NumMethods() == 0 {
				continue
			}
			alias := ""
			for _, elem := range strings.Split(p.PkgPath, "/") {
				alias += strings.ToUpper(elem[:1]) + elem[1:]
			}
			alias += name
			names = append(names, p.PkgPath+"."+name+"="+alias)
		}
	}
	sort.Strings(names)
	return names
}

func sortedKeys(m map[string]bool) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
