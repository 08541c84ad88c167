// Package cli is the dispatchgen command: its flags, what it prints and its
// exit status. The command's main calls Main, and the tests call it in
// process.
package cli

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"runtime/debug"
	"strings"

	"github.com/dispatchgen/dispatchgen/gen"
)

// usageError is a bad command line; run has printed the usage already.
type usageError struct{ error }

// errReported means run has printed the problems and the exit status is 1.
var errReported = errors.New("problems reported")

// Main runs dispatchgen with args, the arguments after the program name,
// and returns the exit status: 0 on success, 1 for problems or stale files,
// 2 for bad usage.
func Main(args []string, stdout, stderr io.Writer) int {
	return exitCode(run(args, stdout, stderr), stderr)
}

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

// run is dispatchgen with its arguments and output streams.
func run(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("dispatchgen", flag.ContinueOnError)
	fs.SetOutput(stderr)
	typeNames := fs.String("type", "", "comma-separated interfaces to generate, instead of the annotated ones; pkg/path.Name for another package's")
	output := fs.String("output", "", "write every dispatcher to this file instead of <type>_dispatch.go each")
	tags := fs.String("tags", "", "comma-separated build tags to load packages with")
	check := fs.Bool("check", false, "write nothing; list missing or stale generated files and exit 1 if any")
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
	cfg := gen.Config{Patterns: fs.Args(), Output: *output, Check: *check}
	cfg.Types = splitList(*typeNames)
	cfg.Tags = splitList(*tags)
	for _, t := range cfg.Types {
		if strings.ContainsAny(t, " \t") || strings.HasSuffix(t, ".") {
			fmt.Fprintf(stderr, "dispatchgen: -type %q is not a type name\n", t)
			fs.Usage()
			return usageError{fmt.Errorf("bad -type %q", t)}
		}
	}
	res, err := gen.Run(cfg)
	var diags *gen.Diagnostics
	if errors.As(err, &diags) {
		fmt.Fprintln(stderr, diags.Error())
		return errReported
	}
	if err != nil {
		return err
	}
	if cfg.Check && len(res.Written) > 0 {
		for _, f := range res.Written {
			fmt.Fprintf(stderr, "%s: stale: run go generate\n", relative(f))
		}
		return errReported
	}
	return nil
}

func splitList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
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
