package dispatchgen_test

import (
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/dispatchgen/dispatchgen/internal/cli"
	"github.com/dispatchgen/dispatchgen/internal/testmod"
)

func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"dispatchgen": func() { os.Exit(cli.Main(os.Args[1:], os.Stdout, os.Stderr)) },
	})
}

// TestScripts runs the end-to-end scripts of testdata/script: each works in
// a fresh module that requires this checkout, with dispatchgen on its PATH.
func TestScripts(t *testing.T) {
	goEnv := goEnvVars(t, "GOPATH", "GOMODCACHE", "GOCACHE", "GOPROXY", "GOTOOLCHAIN")
	testscript.Run(t, testscript.Params{
		Dir:                 "testdata/script",
		RequireExplicitExec: true,
		Setup: func(e *testscript.Env) error {
			e.Vars = append(e.Vars, goEnv...)
			e.Vars = append(e.Vars, "GOFLAGS=-mod=mod")
			testmod.Write(t, e.WorkDir, "example.com/e2e", nil)
			return nil
		},
	})
}

// goEnvVars returns NAME=value for the go command's settings, so that the
// scripts share this run's module cache and build cache.
func goEnvVars(t *testing.T, names ...string) []string {
	t.Helper()
	out, err := exec.Command("go", append([]string{"env"}, names...)...).Output()
	if err != nil {
		t.Fatal(err)
	}
	values := strings.Split(strings.TrimRight(string(out), "\n"), "\n")
	vars := make([]string, len(names))
	for i, n := range names {
		vars[i] = n + "=" + values[i]
	}
	return vars
}
