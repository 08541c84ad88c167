package gen

import (
	"bytes"
	"go/ast"
	gobuild "go/build"
	"go/build/constraint"
	"go/parser"
	"go/token"
	"io"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"

	"github.com/dispatchgen/dispatchgen/templates"
)

// A generated file builds where the files its recipients are declared in
// build: its //go:build line is !dispatchgen AND theirs, each file's
// //go:build line (or, lacking one, its // +build lines) AND the GOOS and
// GOARCH of its name's suffix, as go/build reads them. A generated file
// whose constraint excludes it from the run's configuration (GOOS, GOARCH,
// the run's tags) belongs to another configuration, whose interfaces this
// run does not see: the run neither removes it as left over nor redoes it.

// isKnownOS and isKnownArch report whether word is a value of GOOS or
// GOARCH that a file name's suffix constrains the file to. go/build holds
// the lists (internal/syslist) and exports none, so they are asked of its
// MatchFile rather than copied, which would drift as the toolchain gains
// systems: x_word_amd64.go builds for a system that is not word only if
// word is not an OS, and x_word.go builds for no system only if word is an
// OS or an architecture.
func isKnownOS(word string) bool {
	return !suffixBuilds("x_"+word+"_amd64.go", "amd64")
}

func isKnownArch(word string) bool {
	return !isKnownOS(word) && !suffixBuilds("x_"+word+".go", "noarch")
}

// suffixBuilds reports whether go/build builds a file named name for no
// known system on the architecture goarch.
func suffixBuilds(name, goarch string) bool {
	ctxt := gobuild.Context{
		GOOS: "nosystem", GOARCH: goarch, Compiler: "gc",
		OpenFile: func(string) (io.ReadCloser, error) {
			return io.NopCloser(strings.NewReader("package p\n")), nil
		},
	}
	ok, err := ctxt.MatchFile(".", name)
	return err != nil || ok
}

// nameConstraint is the constraint that a file's name puts on it, as
// go/build's goodOSArchFile reads it: name_GOOS_GOARCH.go, name_GOOS.go or
// name_GOARCH.go, with _test before .go or not; nil for none. A tag has
// the meaning of the suffix: linux holds for android, as _linux.go does.
func nameConstraint(filename string) constraint.Expr {
	name, _, _ := strings.Cut(filepath.Base(filename), ".")
	i := strings.Index(name, "_")
	if i < 0 {
		return nil
	}
	l := strings.Split(name[i:], "_")
	if n := len(l); n > 0 && l[n-1] == "test" {
		l = l[:n-1]
	}
	n := len(l)
	switch {
	case n >= 2 && isKnownOS(l[n-2]) && isKnownArch(l[n-1]):
		return &constraint.AndExpr{X: &constraint.TagExpr{Tag: l[n-2]}, Y: &constraint.TagExpr{Tag: l[n-1]}}
	case n >= 1 && (isKnownOS(l[n-1]) || isKnownArch(l[n-1])):
		return &constraint.TagExpr{Tag: l[n-1]}
	}
	return nil
}

// commentConstraint is the constraint of a file's comments before its
// package clause: its //go:build line, or, lacking one, its // +build
// lines, each of which must hold; nil for none. As for go/build, a
// // +build line in the package's doc comment, which no blank line
// separates from the clause, is text, not a constraint. A line that does
// not parse is the go command's to report.
func commentConstraint(f *ast.File) constraint.Expr {
	var goBuild constraint.Expr
	var plusBuild []constraint.Expr
	for _, cg := range f.Comments {
		if cg.Pos() >= f.Package {
			break
		}
		for _, c := range cg.List {
			x, err := constraint.Parse(c.Text)
			switch {
			case err != nil:
			case constraint.IsGoBuild(c.Text):
				if goBuild == nil {
					goBuild = x
				}
			case cg == f.Doc:
			default:
				plusBuild = append(plusBuild, x)
			}
		}
	}
	if goBuild != nil {
		return goBuild
	}
	return and(nil, plusBuild...)
}

// sourceConstraint is the effective constraint of the file that declares
// t's interface, "" when it has none or is unknown.
func sourceConstraint(l *loaded, t target) string {
	pos := t.obj.Pos()
	tf := l.fset.File(pos)
	if tf == nil {
		return ""
	}
	filename := l.fset.Position(pos).Filename // as //line directives say
	var f *ast.File
	for _, s := range t.decl.Syntax {
		if l.fset.File(s.FileStart) == tf && tf.Name() == filename {
			f = s
		}
	}
	if f == nil {
		// Not parsed, or through cgo: the header of the file itself.
		var err error
		f, err = parser.ParseFile(token.NewFileSet(), filename, nil, parser.PackageClauseOnly|parser.ParseComments)
		if err != nil {
			return ""
		}
	}
	x := and(nil, commentConstraint(f), nameConstraint(filename))
	if x == nil {
		return ""
	}
	return x.String()
}

// andConstraints is have AND more, each a constraint as model.File keeps
// it, each of their operands once.
func andConstraints(have, more string) string {
	if x := and(parseConstraint(have), parseConstraint(more)); x != nil {
		return x.String()
	}
	return ""
}

// and is the conjunction of x and more, without nil operands and with
// each operand of an && once; nil when there is none.
func and(x constraint.Expr, more ...constraint.Expr) constraint.Expr {
	var terms []constraint.Expr
	seen := map[string]bool{}
	var add func(constraint.Expr)
	add = func(e constraint.Expr) {
		switch e := e.(type) {
		case nil:
		case *constraint.AndExpr:
			add(e.X)
			add(e.Y)
		default:
			if s := e.String(); !seen[s] {
				seen[s] = true
				terms = append(terms, e)
			}
		}
	}
	add(x)
	for _, m := range more {
		add(m)
	}
	var out constraint.Expr
	for _, t := range terms {
		if out == nil {
			out = t
		} else {
			out = &constraint.AndExpr{X: out, Y: t}
		}
	}
	return out
}

// generatedConstraint is the //go:build line of a generated file, nil if
// it has none.
func generatedConstraint(src []byte) constraint.Expr {
	for line := range bytes.Lines(src) {
		text := string(bytes.TrimRight(line, "\r\n"))
		if strings.HasPrefix(text, "package ") {
			break
		}
		if constraint.IsGoBuild(text) {
			if x, err := constraint.Parse(text); err == nil {
				return x
			}
		}
	}
	return nil
}

// otherConfiguration reports whether the generated file at path, which
// holds src, is left out of the build that a run with tags makes for, in
// the go command's configuration build: it then belongs to another GOOS,
// GOARCH or set of tags.
// A file constrained by !dispatchgen alone is never left out, nor one that
// a run emptied, whose ignore constraint says only that it is to go.
func otherConfiguration(build gobuild.Context, tags []string, path string, src []byte) bool {
	x := generatedConstraint(src)
	if x == nil || isEmptied(src) {
		return false
	}
	onlyOwnTag := true
	x.Eval(func(tag string) bool {
		onlyOwnTag = onlyOwnTag && tag == templates.BuildTag
		return false
	})
	if onlyOwnTag && nameConstraint(path) == nil {
		// No go env needed: no build sets the tag.
		return !x.Eval(func(string) bool { return false })
	}
	ctxt := build
	ctxt.BuildTags = slices.Concat(build.BuildTags, tags)
	ctxt.OpenFile = func(string) (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(src)), nil }
	match, err := ctxt.MatchFile(filepath.Dir(path), filepath.Base(path))
	return err == nil && !match
}

// otherRun reports whether g, made by another run than Check's, belongs to
// another configuration than that run's, under the tags it records.
func otherRun(build gobuild.Context, g generatedFile) bool {
	opts, _, err := recordedOptions(g.src)
	return err == nil && otherConfiguration(build, opts.Tags, g.path, g.src)
}

// goBuildContext is the configuration the go command builds for in dir:
// go/build's default, with the GOOS, GOARCH, CGO_ENABLED and the tags of
// GOFLAGS of go env, which also reads the go env file. It starts the go
// command: a run calls it once, in load.
func goBuildContext(dir string) gobuild.Context {
	ctxt := gobuild.Default
	v := goEnv(dir, "GOOS", "GOARCH", "CGO_ENABLED", "GOFLAGS")
	if v[0] == "" {
		return ctxt
	}
	if v[1] != ctxt.GOARCH {
		ctxt.ToolTags = nil // GOAMD64's and the like, for another GOARCH
	}
	ctxt.GOOS, ctxt.GOARCH, ctxt.CgoEnabled = v[0], v[1], v[2] == "1"
	ctxt.BuildTags = goflagsTags(v[3])
	return ctxt
}

// goEnv returns the values of the go env variables names has in dir, each
// "" if the go command cannot say.
func goEnv(dir string, names ...string) []string {
	values := make([]string, len(names))
	cmd := exec.Command("go", append([]string{"env"}, names...)...)
	cmd.Dir = dir
	out, err := cmd.Output()
	if err != nil {
		return values
	}
	if v := strings.Split(strings.TrimSuffix(string(out), "\n"), "\n"); len(v) == len(names) {
		copy(values, v)
	}
	return values
}

// goflagsTags returns the build tags that goflags, a value of GOFLAGS,
// sets: those of its last -tags flag, as the go command takes them.
func goflagsTags(goflags string) []string {
	var tags []string
	for _, f := range strings.Fields(goflags) {
		f = strings.TrimPrefix(strings.TrimPrefix(f, "-"), "-")
		if v, ok := strings.CutPrefix(f, "tags="); ok {
			tags = slices.DeleteFunc(strings.Split(v, ","), func(t string) bool { return t == "" })
		}
	}
	return tags
}

// covers reports whether the generated file src builds wherever the
// generated file old does (see implies).
func covers(src, old []byte) bool {
	return implies(generatedConstraint(old), generatedConstraint(src))
}

// implies reports whether y holds wherever x does, nil being a constraint
// that always holds, taking the tags as independent of one another: so it
// may say no where GOOS's values, which exclude one another, would say yes.
func implies(x, y constraint.Expr) bool {
	if y == nil {
		return true
	}
	if x == nil {
		return false
	}
	var tags []string
	seen := map[string]bool{}
	for _, e := range []constraint.Expr{x, y} {
		e.Eval(func(tag string) bool {
			if !seen[tag] {
				seen[tag] = true
				tags = append(tags, tag)
			}
			return false
		})
	}
	if len(tags) > 16 {
		return false
	}
	for set := 0; set < 1<<len(tags); set++ {
		on := func(tag string) bool {
			i := slices.Index(tags, tag)
			return i >= 0 && set&(1<<i) != 0
		}
		if x.Eval(on) && !y.Eval(on) {
			return false
		}
	}
	return true
}

// parseConstraint parses a constraint as sourceConstraint writes it, nil
// for "". sourceConstraint writes what parses.
func parseConstraint(c string) constraint.Expr {
	if c == "" {
		return nil
	}
	x, _ := constraint.Parse("//go:build " + c)
	return x
}

// sameConstraint reports whether the constraints a and b, as
// sourceConstraint writes them, hold in the same configurations.
func sameConstraint(a, b string) bool {
	if a == b {
		// Most often, and implies gives up past 16 tags.
		return true
	}
	x, y := parseConstraint(a), parseConstraint(b)
	return implies(x, y) && implies(y, x)
}

// describeConstraint names the constraint c, as sourceConstraint writes it,
// for a diagnostic.
func describeConstraint(c string) string {
	if c == "" {
		return "no constraint"
	}
	return "//go:build " + c
}

// widerOf names which of the interfaces a and b, declared under the
// constraints ca and cb, builds somewhere the other does not: the one a
// file that holds both would leave without its dispatcher there.
func widerOf(a, ca, b, cb string) string {
	x, y := parseConstraint(ca), parseConstraint(cb)
	switch {
	case implies(y, x):
		return a
	case implies(x, y):
		return b
	}
	return a + " and " + b
}
