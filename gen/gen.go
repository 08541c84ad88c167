// Package gen is dispatchgen as a library: it loads Go packages, finds the
// interfaces to generate dispatchers for, checks them, builds a model of each
// and writes the generated files. cmd/dispatchgen is a thin layer of flags
// over Run.
package gen

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// Config is one run of the generator.
type Config struct {
	// Dir is the directory the run works in, as a shell's current directory:
	// patterns are relative to it, and an interface of another package
	// named by Types is generated into the package here. Empty means the
	// process's current directory.
	Dir string
	// Patterns are the packages to generate for, as go/packages patterns.
	// Empty means ".".
	Patterns []string
	// Types, when set, names the interfaces to generate instead of those
	// annotated //dispatch:recipient: "Name" for one of the patterns'
	// packages, "import/path.Name" for another package's.
	Types []string
	// Output, when set, is the name of the one file every recipient is
	// written to, instead of one <lowercased type>_dispatch.go each.
	Output string
	// Tags are build tags to load the packages with.
	Tags []string
	// Check makes Run write nothing and report the files that are missing
	// or differ from what it would write.
	Check bool
}

// Result says what a run did, or with Check what it would do.
type Result struct {
	// Written are the files written (with Check: the stale files, which
	// would be written). Unchanged are the files already up to date.
	Written   []string
	Unchanged []string
}

// ErrNothing reports a run that found no interface to generate.
var ErrNothing = errors.New("no interface annotated //dispatch:recipient and no -type given")

// Run generates, or with Check checks, the dispatchers cfg asks for. It
// returns a *Diagnostics when the input has problems, in which case it writes
// nothing.
func Run(cfg Config) (Result, error) {
	dir, err := workDir(cfg.Dir)
	if err != nil {
		return Result{}, err
	}
	cfg.Dir = dir
	if len(cfg.Patterns) == 0 {
		cfg.Patterns = []string{"."}
	}
	l, err := load(cfg)
	if err != nil {
		return Result{}, err
	}
	diags := &Diagnostics{Dir: dir}
	files := build(l, cfg, diags)
	if len(diags.List) > 0 {
		diags.sort()
		return Result{}, diags
	}
	if len(files) == 0 {
		return Result{}, ErrNothing
	}
	return write(files, cfg.Check)
}

func workDir(dir string) (string, error) {
	if dir == "" {
		wd, err := os.Getwd()
		if err != nil {
			return "", fmt.Errorf("working directory: %w", err)
		}
		return wd, nil
	}
	return filepath.Abs(dir)
}
