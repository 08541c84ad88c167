package corpus_test

import (
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/dispatchgen/dispatchgen/internal/testmod"
)

// realworldDir is a module that requires popular modules, at versions this
// repository's modules already use where they use one; its imports.go names
// the packages whose interfaces TestModuleInterfaces generates dispatchers
// for, so that go mod tidy keeps go.mod and go.sum in step with them.
const realworldDir = "testdata/realworld"

// TestModuleInterfaces is TestStdlibInterfaces for the packages of popular
// modules that realworldDir names: NATS, OpenTelemetry, gRPC, protobuf,
// Prometheus, zap, x/tools, protoactor and others, whose interfaces embed
// unexported and internal ones, carry generic and func-typed methods, and
// clash with the names of asynchronous variants.
func TestModuleInterfaces(t *testing.T) {
	if testing.Short() {
		t.Skip("loads and builds packages of many modules; skipped with -short")
	}
	pkgs := realworldPackages(t)
	dir := t.TempDir()
	writeRealworldModule(t, dir)
	names, inst := exportedInterfaces(t, dir, pkgs)
	t.Logf("%d interfaces of %d packages", len(names), len(pkgs))
	// Not under the race detector: the dispatchers' code is that of
	// TestStdlibInterfaces, which runs it so, and building nats-server,
	// gRPC and the rest with -race would double the test's time.
	generateCorpus(t, dir, names, inst, 1.0/2, false)
}

// realworldPackages returns the import paths of realworldDir's imports.go.
func realworldPackages(t *testing.T) []string {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), filepath.Join(realworldDir, "imports.go"), nil, parser.ImportsOnly)
	if err != nil {
		t.Fatal(err)
	}
	var pkgs []string
	for _, imp := range f.Imports {
		path, err := strconv.Unquote(imp.Path.Value)
		if err != nil {
			t.Fatal(err)
		}
		pkgs = append(pkgs, path)
	}
	return pkgs
}

// writeRealworldModule makes dir a module with realworldDir's requirements
// and sums that also requires this checkout, as testmod.Write does.
func writeRealworldModule(t *testing.T, dir string) {
	t.Helper()
	testmod.Write(t, dir, "example.com/realworld", nil)
	mod, err := os.ReadFile(filepath.Join(realworldDir, "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	_, requires, ok := strings.Cut(string(mod), "\nrequire")
	if !ok {
		t.Fatalf("%s/go.mod requires nothing", realworldDir)
	}
	sum, err := os.ReadFile(filepath.Join(realworldDir, "go.sum"))
	if err != nil {
		t.Fatal(err)
	}
	testmod.AppendFile(t, filepath.Join(dir, "go.mod"), "\nrequire"+requires)
	testmod.AppendFile(t, filepath.Join(dir, "go.sum"), string(sum))
}
