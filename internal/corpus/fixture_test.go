package corpus_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/dispatchgen/dispatchgen/internal/testmod"
)

// fixtureDir is a package of the shapes of real interfaces that the
// harness of TestStdlibInterfaces and TestModuleInterfaces must handle,
// small enough to run it on in a test of its own.
const fixtureDir = "testdata/fixture"

// TestFixtureInterfaces runs generateCorpus on fixtureDir's interfaces,
// each of which must be generated locally.
func TestFixtureInterfaces(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs generated code; skipped with -short")
	}
	src, err := os.ReadFile(filepath.Join(fixtureDir, "fixture.go"))
	if err != nil {
		t.Fatal(err)
	}
	// The fixture is a module of its own, as a real package is: the
	// generator positions what it says of the main module's interfaces.
	dir := t.TempDir()
	testmod.Write(t, dir, "example.com/corpus", map[string]string{
		"fixturemod/go.mod":     "module example.com/fixture\n\ngo 1.25\n",
		"fixturemod/fixture.go": string(src),
	})
	testmod.AppendFile(t, filepath.Join(dir, "go.mod"), "\nrequire example.com/fixture v0.0.0\n\nreplace example.com/fixture => ./fixturemod\n")
	names, inst := exportedInterfaces(t, dir, []string{"example.com/fixture"})
	if len(names) != 4 {
		t.Fatalf("the fixture's interfaces are %v, want Poller, Stamper, Store and Summer", names)
	}
	generateCorpus(t, dir, names, inst, 1, true)
}
