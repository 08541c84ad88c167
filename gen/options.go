package gen

import (
	"bufio"
	"bytes"
	"flag"
	"fmt"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
)

// Options are the choices of a run that shape what it generates: its
// flags. Each generated file records them, so that -check can redo the run
// that made the file.
type Options struct {
	// Types, when set, names the interfaces to generate instead of those
	// annotated //dispatch:recipient: "Name" for one of the patterns'
	// packages, "import/path.Name" for another package's, either followed
	// by "=NewName" to generate it under another name.
	Types []string
	// Output, when set, is the name of the one file every recipient is
	// written to, instead of one <lowercased type>_dispatch.go each.
	Output string
	// Tags are build tags to load the packages with, besides those that
	// GOFLAGS sets.
	Tags []string
	// NoError is what a Ref does for a method that has results but no
	// final error: "" refuses such a method, NoErrorPanic lets the Ref
	// panic when the call fails. An annotation may say so for its interface
	// alone.
	NoError string
	// Async is the suffix of the names of the asynchronous variants on a
	// Ref, DefaultAsync when empty. An annotation may set it for its
	// interface alone.
	Async string
	// Remote generates the wire side of every interface, as the remote
	// option of the annotation does for its interface alone.
	Remote bool
}

// NoErrorPanic is the value of Options.NoError, and of the noerror=
// option of the annotation, that generates methods without a final error.
const NoErrorPanic = "panic"

// DefaultAsync is the suffix of the asynchronous variants' names.
const DefaultAsync = "Async"

// RegisterFlags defines on fs the flags that set o.
func (o *Options) RegisterFlags(fs *flag.FlagSet) {
	fs.Var((*typeList)(&o.Types), "type", "comma-separated interfaces to generate, instead of the annotated ones: Name, or pkg/path.Name for another package's; Name=NewName to name what is generated")
	fs.Var((*outputFile)(&o.Output), "output", "write every dispatcher to this file of the package's directory, instead of <type>_dispatch.go each")
	fs.Var((*tagList)(&o.Tags), "tags", "comma-separated build tags to load packages with, besides those of GOFLAGS")
	fs.Var((*noError)(&o.NoError), "noerror", "what a Ref does for a method with results but no final error: empty refuses it; panic panics when the call fails")
	fs.Var((*asyncSuffix)(&o.Async), "async", "the suffix of the asynchronous variants' names (default \""+DefaultAsync+"\")")
	fs.BoolVar(&o.Remote, "remote", false, "generate the wire side too, so that runtime.WithTransport can reach recipients in other processes")
}

// Flags returns the flags that set o, in the order they are recorded, each
// as -name=value.
func (o Options) Flags() []string {
	var out []string
	add := func(name, value string) {
		if value != "" {
			out = append(out, "-"+name+"="+value)
		}
	}
	add("type", strings.Join(o.Types, ","))
	add("output", o.Output)
	add("tags", strings.Join(o.Tags, ","))
	add("noerror", o.NoError)
	add("async", o.Async)
	if o.Remote {
		out = append(out, "-remote")
	}
	return out
}

// commandPrefix starts the line of a generated file that records the flags
// that made it.
const commandPrefix = "// dispatchgen "

// commandLine returns the comment line that records o's flags in a
// generated file, or "" when o has none.
func commandLine(o Options) string {
	flags := o.Flags()
	if len(flags) == 0 {
		return ""
	}
	for i, f := range flags {
		if strings.Contains(f, " ") || strconv.Quote(f) != `"`+f+`"` {
			flags[i] = strconv.Quote(f)
		}
	}
	return strings.TrimPrefix(commandPrefix, "// ") + strings.Join(flags, " ")
}

// recordedOptions reads the options a generated file records on the line
// after its header, and the line's number; a file without that line was
// made without flags.
func recordedOptions(src []byte) (Options, int, error) {
	sc := bufio.NewScanner(bytes.NewReader(src))
	for n := 1; sc.Scan() && n <= 2; n++ {
		line := sc.Text()
		rest, ok := strings.CutPrefix(line, commandPrefix)
		if n == 1 || !ok {
			continue
		}
		args, err := splitQuoted(rest)
		if err != nil {
			return Options{}, n, err
		}
		var o Options
		fs := flag.NewFlagSet("dispatchgen", flag.ContinueOnError)
		fs.SetOutput(discard{})
		o.RegisterFlags(fs)
		if err := fs.Parse(args); err != nil {
			return Options{}, n, err
		}
		if fs.NArg() > 0 {
			return Options{}, n, fmt.Errorf("unexpected %q among the recorded flags", fs.Arg(0))
		}
		return o, n, nil
	}
	return Options{}, 0, nil
}

// splitQuoted splits s into words as go generate splits a //go:generate
// line: at spaces and tabs, a double-quoted string, in Go's syntax, being
// one word. The flags line of a generated file is written so.
func splitQuoted(s string) ([]string, error) {
	var out []string
	for s = strings.TrimLeft(s, " \t"); s != ""; s = strings.TrimLeft(s, " \t") {
		if s[0] == '"' {
			q, err := strconv.QuotedPrefix(s)
			if err != nil {
				return nil, err
			}
			w, _ := strconv.Unquote(q)
			out = append(out, w)
			s = s[len(q):]
			continue
		}
		i := strings.IndexAny(s, " \t")
		if i < 0 {
			i = len(s)
		}
		out = append(out, s[:i])
		s = s[i:]
	}
	return out, nil
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }

// typeList is the -type flag: a comma-separated list of type names, which
// may be repeated.
type typeList []string

func (l *typeList) String() string { return strings.Join(*l, ",") }

func (l *typeList) Set(s string) error {
	for _, name := range strings.Split(s, ",") {
		name = strings.TrimSpace(name)
		if name == "" {
			continue
		}
		if _, err := parseTypeName(name); err != nil {
			return err
		}
		*l = append(*l, name)
	}
	return nil
}

// typeName is one name of the -type flag.
type typeName struct {
	// path is the import path, empty for an interface of the patterns'
	// packages; name the interface's name; as the name to generate it
	// under, empty for its own.
	path, name, as string
}

func parseTypeName(s string) (typeName, error) {
	full, as, renamed := strings.Cut(s, "=")
	var t typeName
	t.path, t.name, _ = splitQualified(full)
	switch {
	case !token.IsIdentifier(t.name):
		return t, fmt.Errorf("-type %s: %q is not a type name: write Name, or import/path.Name for another package's", s, full)
	case renamed && (!token.IsIdentifier(as) || as == "_"):
		return t, fmt.Errorf("-type %s: %q is not a name to generate it under: write %s=NewName", s, as, full)
	}
	t.as = as
	return t, nil
}

// splitQualified splits "import/path.Name" into the path and the name.
func splitQualified(s string) (path, name string, ok bool) {
	i := strings.LastIndex(s, ".")
	if i <= 0 || i == len(s)-1 {
		return "", s, false
	}
	return s[:i], s[i+1:], true
}

// outputFile is the -output flag.
type outputFile string

func (v *outputFile) String() string { return string(*v) }

func (v *outputFile) Set(s string) error {
	if p := buildProblem(filepath.Base(s)); p != "" {
		return fmt.Errorf("-output %s: %s", s, p)
	}
	*v = outputFile(s)
	return nil
}

// tagList is the -tags flag.
type tagList []string

func (l *tagList) String() string { return strings.Join(*l, ",") }

func (l *tagList) Set(s string) error {
	for _, tag := range strings.Split(s, ",") {
		if tag = strings.TrimSpace(tag); tag != "" {
			*l = append(*l, tag)
		}
	}
	return nil
}

// noError is the -noerror flag.
type noError string

func (v *noError) String() string { return string(*v) }

func (v *noError) Set(s string) error {
	if s != "" && s != NoErrorPanic {
		return fmt.Errorf("-noerror %s: the only value is %s", s, NoErrorPanic)
	}
	*v = noError(s)
	return nil
}

// asyncSuffix is the -async flag.
type asyncSuffix string

func (v *asyncSuffix) String() string { return string(*v) }

func (v *asyncSuffix) Set(s string) error {
	if err := checkAsyncSuffix(s); err != nil {
		return fmt.Errorf("-async %s: %w", s, err)
	}
	*v = asyncSuffix(s)
	return nil
}

// checkAsyncSuffix reports a suffix that does not make identifiers.
func checkAsyncSuffix(s string) error {
	if !token.IsIdentifier("X" + s) {
		return fmt.Errorf("%q is not a suffix of identifiers", s)
	}
	return nil
}
