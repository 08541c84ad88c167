// Package gen is dispatchgen as a library: it loads Go packages, finds the
// interfaces to generate dispatchers for, checks them, builds a model of each,
// renders the files and writes them. cmd/dispatchgen is a thin layer of flags
// over it.
package gen

import (
	"bytes"
	"errors"
	"fmt"
	gobuild "go/build"
	"go/token"
	"os"
	"path/filepath"
	"slices"
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
	// Options are the run's flags.
	Options
	// FlagsPos is where the run's flags are written, for the diagnostics
	// about them: the //go:generate line that ran dispatchgen, or the line
	// of a generated file that records them. Zero when unknown, as for a
	// command typed in a shell.
	FlagsPos token.Position
	// GoGenerate is the //go:generate line that runs the run, when go
	// generate runs it (its GOFILE and GOLINE say which). go generate reads
	// each file of its packages after the directives before it have run, so
	// such a run does not remove a file that go generate may still read: it
	// empties it and leaves its removal to the directive's next run.
	GoGenerate token.Position
	// build is the configuration of the go command, when a run that read
	// it already starts this one, as Check starts the runs that files
	// record: go env is read once for all of them.
	build *gobuild.Context
}

// File is one file that a run produces.
type File struct {
	// Path is the file's absolute path.
	Path string
	// Old is what the file holds before the run, nil when it does not
	// exist.
	Old []byte
	// New is what the run makes the file hold, nil when it removes the
	// file.
	New []byte
}

// Result is what a run produces.
type Result struct {
	// Files are the files the run writes, changed or not.
	Files []File
	// Warnings are the problems that did not stop the run, nil when there
	// are none.
	Warnings *Diagnostics
	// made are the dispatchers the run generates, which Check leaves out of
	// the runs that do not make their files.
	made []slot
}

// slot is a dispatcher's place: the directory of the package it is
// generated into and the name its identifiers start with. Two runs that fill
// one slot generate the same declarations.
type slot struct{ dir, name string }

// Changed reports whether the run changes the file.
func (f File) Changed() bool { return f.Old == nil || f.New == nil || !bytes.Equal(f.Old, f.New) }

// Removed reports whether the run removes the file: a file that a run with
// the same flags generated before, which this one no longer produces.
func (f File) Removed() bool { return f.New == nil }

// ErrNothing reports a run that found no interface to generate.
var ErrNothing = errors.New("no interface annotated //dispatch:recipient and no -type given")

// Generate does everything a run does but write: it returns every file the
// run produces, changed or not, and those it removes. It returns a
// *Diagnostics when the input has problems.
func Generate(cfg Config) (*Result, error) {
	res, _, err := generate(cfg)
	return res, err
}

// generate is Generate, which also returns what it loaded.
func generate(cfg Config) (*Result, *loaded, error) {
	cfg, l, err := loadRun(cfg)
	if err != nil {
		return nil, nil, err
	}
	res, err := generateLoaded(l, cfg, nil)
	return res, l, err
}

// loadRun completes cfg's defaults and loads its packages.
func loadRun(cfg Config) (Config, *loaded, error) {
	dir, err := workDir(cfg.Dir)
	if err != nil {
		return cfg, nil, err
	}
	cfg.Dir = dir
	if len(cfg.Patterns) == 0 {
		cfg.Patterns = []string{"."}
	}
	l, err := load(cfg)
	return cfg, l, err
}

// generateLoaded is the rest of a run, once l is loaded. It leaves out the
// interfaces that skip, when not nil, reports: other runs generate them.
func generateLoaded(l *loaded, cfg Config, skip func(target) bool) (*Result, error) {
	diags := &Diagnostics{Dir: cfg.Dir}
	targets := find(l, cfg, diags)
	if skip != nil {
		targets = slices.DeleteFunc(targets, skip)
	}
	models := build(l, cfg, targets, diags)
	if err := diags.err(); err != nil {
		return nil, err
	}
	rendered, err := render(models)
	if err != nil {
		return nil, err
	}
	files := plan(l, cfg, rendered, diags)
	if err := diags.err(); err != nil {
		return nil, err
	}
	if len(files) == 0 {
		return nil, ErrNothing
	}
	res := &Result{Files: files}
	for _, t := range targets {
		res.made = append(res.made, t.slot(cfg.Dir))
	}
	if len(diags.List) > 0 {
		diags.sort()
		res.Warnings = diags
	}
	return res, nil
}

// Run generates the files cfg asks for and writes those that changed. It
// writes nothing when the input has any problem. Run from the copy of a
// directive that a file it emptied holds, it only removes that file.
func Run(cfg Config) (*Result, error) {
	if done, err := removeGoFile(cfg.GoGenerate); err != nil {
		return nil, err
	} else if done {
		return &Result{}, nil
	}
	res, err := Generate(cfg)
	if err != nil {
		return nil, err
	}
	return res, write(res.Files, cfg.GoGenerate)
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
