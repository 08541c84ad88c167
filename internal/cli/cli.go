// Package cli is the dispatchgen command: its flags, what it prints and its
// exit status. The command's main calls Main, and the tests call it in
// process.
package cli

import (
	"errors"
	"flag"
	"fmt"
	"go/token"
	"io"
	"os"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"

	"github.com/rogpeppe/go-internal/diff"

	"github.com/dispatchgen/dispatchgen/gen"
)

// Main runs dispatchgen with args, the arguments after the program name,
// and returns the exit status: 0 on success, 1 for problems or stale files,
// 2 for bad usage.
func Main(args []string, stdout, stderr io.Writer) int {
	return exitCode(run(args, stdout, stderr), stderr)
}

// usageError is a bad command line; run has printed the usage already.
type usageError struct{ error }

// errReported means run has printed the problems and the exit status is 1.
var errReported = errors.New("problems reported")

// exitCode maps run's error to the exit status the documentation promises,
// printing an error that run has not printed yet.
func exitCode(err error, stderr io.Writer) int {
	var usage usageError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &usage):
		return 2
	case errors.Is(err, errReported):
		return 1
	}
	fmt.Fprintln(stderr, "dispatchgen:", err)
	return 1
}

// command is one invocation: what to generate, and what to do with it.
type command struct {
	cfg         gen.Config
	check, diff bool
}

// run is dispatchgen with its arguments and output streams.
func run(args []string, stdout, stderr io.Writer) error {
	var c command
	fs := flag.NewFlagSet("dispatchgen", flag.ContinueOnError)
	fs.SetOutput(stderr)
	c.cfg.RegisterFlags(fs)
	fs.BoolVar(&c.check, "check", false, "write nothing; list the generated files that are missing, stale or left over, and exit 1 if there are any")
	fs.BoolVar(&c.diff, "diff", false, "write nothing; print what a run would change as a unified diff, and exit 1 if it would change anything")
	version := fs.Bool("version", false, "print the version and exit")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: dispatchgen [flags] [packages]")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return usageError{err}
	}
	if *version {
		fmt.Fprintln(stdout, "dispatchgen", buildVersion())
		return nil
	}
	c.cfg.Patterns = fs.Args()
	if err := flagsFirst(fs, args, fs.Args(), stderr); err != nil {
		return err
	}
	c.cfg.FlagsPos = generateLine()
	c.cfg.GoGenerate = c.cfg.FlagsPos
	res, err := c.generate()
	var diags *gen.Diagnostics
	if errors.As(err, &diags) {
		fmt.Fprintln(stderr, diags.Error())
		return errReported
	}
	if err != nil {
		return err
	}
	if res.Warnings != nil {
		fmt.Fprintln(stderr, res.Warnings.Error())
	}
	if c.check || c.diff {
		return c.report(res.Files, stdout, stderr)
	}
	return nil
}

// flagsFirst reports a flag written after the packages, which the flag
// package reads as a package, as a usage error, with the command line
// that puts every flag, and the value of a flag that takes one, first.
func flagsFirst(fs *flag.FlagSet, args, packages []string, stderr io.Writer) error {
	flags := args[:len(args)-len(packages)]
	if len(flags) > 0 && flags[len(flags)-1] == "--" {
		return nil // the user ended the flags: what follows are packages
	}
	var moved, rest []string
	for i := 0; i < len(packages); i++ {
		a := packages[i]
		if !strings.HasPrefix(a, "-") {
			rest = append(rest, a)
			continue
		}
		moved = append(moved, a)
		if takesValue(fs, a) && i+1 < len(packages) {
			i++
			moved = append(moved, packages[i])
		}
	}
	if len(moved) == 0 {
		return nil
	}
	fixed := append(append(append([]string{}, flags...), moved...), rest...)
	fmt.Fprintf(stderr, "dispatchgen: %s comes after the packages, where it would be read as one: flags go first, as in dispatchgen %s\n", moved[0], commandLine(fixed))
	return usageError{fmt.Errorf("flag %s after the packages", moved[0])}
}

// takesValue reports whether arg, a flag of fs written as -name or --name,
// takes the next argument as its value, as the flag package reads it.
func takesValue(fs *flag.FlagSet, arg string) bool {
	name := strings.TrimPrefix(strings.TrimPrefix(arg, "-"), "-")
	if name == "" || strings.Contains(name, "=") {
		return false
	}
	f := fs.Lookup(name)
	if f == nil {
		return false
	}
	b, ok := f.Value.(interface{ IsBoolFlag() bool })
	return !ok || !b.IsBoolFlag()
}

// commandLine joins args into a line to paste into a shell or a
// //go:generate line: an argument either would split, or read otherwise,
// is double-quoted in Go's syntax, as go generate reads quotes.
func commandLine(args []string) string {
	out := make([]string, len(args))
	for i, a := range args {
		out[i] = a
		if a == "" || strings.ContainsAny(a, " \t\n\"'\\`$;&|<>()*?[]#~!{}") {
			out[i] = strconv.Quote(a)
		}
	}
	return strings.Join(out, " ")
}

func (c *command) generate() (*gen.Result, error) {
	if c.diff {
		return gen.Diff(c.cfg)
	}
	if c.check {
		return gen.Check(c.cfg)
	}
	return gen.Run(c.cfg)
}

// report prints, for -check and -diff, the files a run would change.
func (c *command) report(files []gen.File, stdout, stderr io.Writer) error {
	changed := false
	for _, f := range files {
		if !f.Changed() {
			continue
		}
		changed = true
		name := relative(f.Path)
		switch {
		case c.diff:
			oldName, newName := "a/"+name, "b/"+name
			if f.Old == nil {
				oldName = "/dev/null"
			}
			if f.Removed() {
				newName = "/dev/null"
			}
			stdout.Write(diff.Diff(oldName, f.Old, newName, f.New))
		case f.Removed():
			fmt.Fprintf(stderr, "%s: left over: run go generate to remove it\n", name)
		case f.Old == nil:
			fmt.Fprintf(stderr, "%s: missing: run go generate\n", name)
		default:
			fmt.Fprintf(stderr, "%s: stale: run go generate\n", name)
		}
	}
	if changed {
		return errReported
	}
	return nil
}

// generateLine is the //go:generate line that is running dispatchgen, as
// go generate tells its commands.
func generateLine() token.Position {
	file, line := os.Getenv("GOFILE"), os.Getenv("GOLINE")
	n, err := strconv.Atoi(line)
	if file == "" || err != nil {
		return token.Position{}
	}
	abs, err := filepath.Abs(file)
	if err != nil {
		return token.Position{}
	}
	return token.Position{Filename: abs, Line: n, Column: 1}
}

// relative shows a path relative to the current directory when it is below
// it.
func relative(path string) string {
	if wd, err := filepath.Abs("."); err == nil {
		if rel, err := filepath.Rel(wd, path); err == nil && !strings.HasPrefix(rel, "..") {
			return rel
		}
	}
	return path
}

func buildVersion() string {
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" {
		return bi.Main.Version
	}
	return "(devel)"
}
