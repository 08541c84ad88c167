package gen

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// TestGoEnvOncePerRun counts the go env commands a run and a check start
// through a go command on PATH that logs them: the configuration of the go
// command is one for the run, read once, where it was read again for each
// generated file with a build constraint and for each run that -check
// redoes. The go list of the load itself may ask go env its own questions,
// with -json; those are not the generator's.
func TestGoEnvOncePerRun(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("the logging go command is a shell script")
	}
	real, err := exec.LookPath("go")
	if err != nil {
		t.Fatal(err)
	}
	tagged := "//go:build special\n\npackage store\n\nimport \"context\"\n\n//dispatch:recipient\ntype %s interface {\n\tGet(ctx context.Context, key string) (string, error)\n}\n"
	dir := tempModule(t, map[string]string{
		"store/a.go": strings.ReplaceAll(tagged, "%s", "Store"),
		"store/b.go": strings.ReplaceAll(tagged, "%s", "Queue"),
	})
	pkg := filepath.Join(dir, "store")
	if _, err := Run(Config{Dir: pkg, Options: Options{Tags: []string{"special"}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := Run(Config{Dir: pkg, Options: Options{Types: []string{"io.Reader"}, Tags: []string{"special"}}}); err != nil {
		t.Fatal(err)
	}

	bin, log := t.TempDir(), filepath.Join(t.TempDir(), "log")
	script := "#!/bin/sh\nif [ \"$1\" = env ]; then echo \"$*\" >>\"$GOENV_LOG\"; fi\nexec \"$REAL_GO\" \"$@\"\n"
	if err := os.WriteFile(filepath.Join(bin, "go"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("REAL_GO", real)
	t.Setenv("GOENV_LOG", log)
	t.Setenv("PATH", bin+string(filepath.ListSeparator)+os.Getenv("PATH"))

	for _, c := range []struct {
		name string
		do   func() (*Result, error)
	}{
		{"run", func() (*Result, error) {
			return Run(Config{Dir: pkg, Options: Options{Tags: []string{"special"}}})
		}},
		{"check", func() (*Result, error) {
			return Check(Config{Dir: pkg, Options: Options{Tags: []string{"special"}}})
		}},
	} {
		os.Remove(log)
		res, err := c.do()
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if len(res.Files) < 2 {
			t.Fatalf("%s: %d files, want the generated ones", c.name, len(res.Files))
		}
		data, _ := os.ReadFile(log)
		var ours []string
		for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
			if line != "" && !strings.Contains(line, "-json") {
				ours = append(ours, line)
			}
		}
		if len(ours) != 1 {
			t.Errorf("%s ran go env %d times, want once:\n%s", c.name, len(ours), data)
		}
	}
}
