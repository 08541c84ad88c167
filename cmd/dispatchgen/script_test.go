package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
)

func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"dispatchgen": func() { os.Exit(exitCode(run(os.Args[1:], os.Stdout, os.Stderr))) },
	})
}

// TestScripts runs the end-to-end scripts of testdata/script: each works in
// a fresh module that requires this checkout, with dispatchgen on its PATH.
func TestScripts(t *testing.T) {
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	sum, err := os.ReadFile(filepath.Join(root, "go.sum"))
	if err != nil {
		t.Fatal(err)
	}
	goEnv := goEnvVars(t, "GOPATH", "GOMODCACHE", "GOCACHE", "GOPROXY", "GOTOOLCHAIN")
	testscript.Run(t, testscript.Params{
		Dir:                 "testdata/script",
		RequireExplicitExec: true,
		Setup: func(e *testscript.Env) error {
			e.Vars = append(e.Vars, goEnv...)
			e.Vars = append(e.Vars, "GOFLAGS=-mod=mod")
			gomod := "module example.com/e2e\n\ngo 1.26.8\n\nrequire github.com/dispatchgen/dispatchgen v0.0.0\n\nreplace github.com/dispatchgen/dispatchgen => " + root + "\n"
			if err := os.WriteFile(filepath.Join(e.WorkDir, "go.mod"), []byte(gomod), 0o644); err != nil {
				return err
			}
			return os.WriteFile(filepath.Join(e.WorkDir, "go.sum"), sum, 0o644)
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
