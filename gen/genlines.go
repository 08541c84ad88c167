package gen

// Reading a package's //go:generate lines as go generate runs them: the
// files it reads, the words of each line, with its variables and -command
// aliases, and the arguments of the lines that run dispatchgen.

import (
	"bufio"
	"bytes"
	"flag"
	gobuild "go/build"
	"go/parser"
	"go/token"
	"io"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/tools/go/packages"
)

// generateLines returns the //go:generate lines of p's files, and of the
// test files of its directory that build, that run dispatchgen on p alone,
// in file order: go generate reads the files of the package as build
// builds it, and never runs a line of a test file for another GOOS. A
// line whose flags do not parse is reported; one that names packages,
// writes nothing (-check, -diff) or uses a variable that go generate takes
// from its environment, whose value only it knows, is left out. The lines
// of p's other files, for another GOOS or tags, follow, marked elsewhere:
// go generate runs them there, and what they make is not left over here.
func generateLines(build gobuild.Context, p *packages.Package, diags *Diagnostics) []genLine {
	dir := filepath.Dir(p.GoFiles[0])
	files, _ := filepath.Glob(filepath.Join(dir, "*.go"))
	var out, other []genLine
	for _, file := range files {
		src, err := os.ReadFile(file)
		if err != nil || isGenerated(src) || !inPackage(src, p.Name) {
			continue
		}
		test := strings.HasSuffix(file, "_test.go")
		if slices.Contains(p.GoFiles, file) || test && builds(build, file, src) {
			out = append(out, generateLinesOf(build, file, src, diags)...)
			continue
		}
		// A flag may not parse here, -output x_plan9.go on linux, say.
		d := &Diagnostics{}
		lines := generateLinesOf(build, file, src, d)
		if len(d.List) > 0 {
			lines = append(lines, genLine{at: Config{Dir: dir, FlagsPos: d.List[0].Pos}, unknown: true})
		}
		for _, gl := range lines {
			gl.elsewhere = true
			other = append(other, gl)
		}
	}
	return append(out, other...)
}

// builds reports whether the file at path, which holds src, is in the build
// that build describes, by its name and its constraints.
func builds(build gobuild.Context, path string, src []byte) bool {
	build.OpenFile = func(string) (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(src)), nil }
	match, err := build.MatchFile(filepath.Dir(path), filepath.Base(path))
	return err == nil && match
}

// inPackage reports whether src, a Go file, is of package name or of its
// external test package.
func inPackage(src []byte, name string) bool {
	f, err := parser.ParseFile(token.NewFileSet(), "", src, parser.PackageClauseOnly)
	return err == nil && (f.Name.Name == name || f.Name.Name == name+"_test")
}

// generateLinesOf returns the lines of src, the file at path, that run
// dispatchgen, read as go generate reads them: a -command line defines an
// alias for the rest of the file.
func generateLinesOf(build gobuild.Context, path string, src []byte, diags *Diagnostics) []genLine {
	var out []genLine
	aliases, unknownAlias := map[string][]string{}, map[string]bool{}
	sc := bufio.NewScanner(bytes.NewReader(src))
	sc.Buffer(nil, len(src)+1)
	for n := 1; sc.Scan(); n++ {
		text := strings.TrimRight(sc.Text(), "\r")
		rest, ok := strings.CutPrefix(text, "//go:generate")
		if !ok || rest == "" || (rest[0] != ' ' && rest[0] != '\t') {
			continue
		}
		words, err := splitQuoted(rest)
		if err != nil || len(words) == 0 {
			continue
		}
		known := expand(build, words, path, src, n)
		if words[0] == "-command" {
			if len(words) > 2 {
				aliases[words[1]] = words[2:]
				unknownAlias[words[1]] = !known
			}
			continue
		}
		if a, ok := aliases[words[0]]; ok {
			known = known && !unknownAlias[words[0]]
			words = append(append([]string{}, a...), words[1:]...)
		}
		args, ok := dispatchgenArgs(words)
		if !ok {
			continue
		}
		pos := token.Position{Filename: path, Line: n, Column: 1}
		if !known {
			out = append(out, genLine{at: Config{Dir: filepath.Dir(path), FlagsPos: pos}, unknown: true})
			continue
		}
		opts, patterns, writes, err := lineOptions(args)
		switch {
		case err != nil:
			diags.add(pos, "the flags of this //go:generate line do not parse: %v", err)
		case writes:
			at := Config{Dir: filepath.Dir(path), Options: opts, FlagsPos: pos}
			out = append(out, genLine{at: at, line: runLine(at), patterns: patterns})
		}
	}
	return out
}

// expand replaces, in words, the words of line n of src, the file at path,
// the variables that go generate sets, as it does, and reports whether
// there were no others: their values are the environment of go generate's
// run, which -check cannot know.
func expand(build gobuild.Context, words []string, path string, src []byte, n int) bool {
	known := true
	vars := func(name string) string {
		switch name {
		case "GOFILE":
			return filepath.Base(path)
		case "GOPACKAGE":
			f, err := parser.ParseFile(token.NewFileSet(), "", src, parser.PackageClauseOnly)
			if err != nil {
				known = false
				return ""
			}
			return f.Name.Name
		case "GOLINE":
			return strconv.Itoa(n)
		case "GOOS":
			return build.GOOS
		case "GOARCH":
			return build.GOARCH
		case "DOLLAR":
			return "$"
		}
		known = false
		return ""
	}
	for i, w := range words {
		words[i] = os.Expand(w, vars)
	}
	return known
}

// dispatchgenArgs returns the arguments that words, a command, gives
// dispatchgen, and whether it runs dispatchgen: as dispatchgen, a path to
// it, go tool dispatchgen, or go run or go tool with its package.
func dispatchgenArgs(words []string) ([]string, bool) {
	if len(words) >= 2 && words[0] == "go" && (words[1] == "run" || words[1] == "tool") {
		i := 2
		for i < len(words) && strings.HasPrefix(words[i], "-") {
			i++
		}
		if i < len(words) && isDispatchgen(words[i]) {
			return words[i+1:], true
		}
		return nil, false
	}
	if isDispatchgen(words[0]) {
		return words[1:], true
	}
	return nil, false
}

// isDispatchgen reports whether cmd, a command, a path or a package path
// with its version, names dispatchgen.
func isDispatchgen(cmd string) bool {
	cmd, _, _ = strings.Cut(cmd, "@")
	base := strings.TrimSuffix(path.Base(filepath.ToSlash(cmd)), ".exe")
	return base == "dispatchgen"
}

// lineOptions parses args, a //go:generate line's arguments to
// dispatchgen, and returns the packages it names ("." and "./" are its
// own, and not returned) and whether it writes: no -check, -diff or
// -version.
func lineOptions(args []string) (o Options, patterns []string, writes bool, err error) {
	fset := flag.NewFlagSet("dispatchgen", flag.ContinueOnError)
	fset.SetOutput(io.Discard)
	o.RegisterFlags(fset)
	check := fset.Bool("check", false, "")
	diff := fset.Bool("diff", false, "")
	version := fset.Bool("version", false, "")
	if err := fset.Parse(args); err != nil {
		return o, nil, false, err
	}
	for _, a := range fset.Args() {
		if a != "." && a != "./" {
			patterns = append(patterns, a)
		}
	}
	return o, patterns, !*check && !*diff && !*version, nil
}
