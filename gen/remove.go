package gen

import (
	"bufio"
	"bytes"
	"fmt"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strings"
)

// remove removes a file that the run no longer produces, unless go generate
// is running the run at gogen and may still read the file: go generate lists
// a package's files first, then reads each after the directives of the one
// before it have run, and stops at one that has gone. Such a file is emptied
// instead. In gogen's directory it gets a copy of the directive at gogen and
// the constraint generate, which every go generate of its package sets and
// no build does: go generate, whether it listed the file before it was
// emptied or after, reads it and runs the copy, and that run removes it
// (removeGoFile). An emptied file is never removed earlier under go
// generate, since another run of the same go generate may have emptied it:
// two renamed interfaces, or a //go:generate line in each file. In another
// directory, whose patterns the copy would misread, the file gets the
// constraint ignore, which no later go generate lists, and a run removes it
// then.
func remove(f File, gogen token.Position) error {
	kind := emptiedConstraint(f.Old)
	switch {
	case gogen.Filename == "" || readAlready(f.Path, gogen.Filename):
		return os.Remove(f.Path)
	case filepath.Dir(f.Path) == filepath.Dir(gogen.Filename):
	case kind == ignoreConstraint:
		return os.Remove(f.Path)
	case kind == generateConstraint:
		return nil // its own directive removes it
	}
	src, err := emptied(f, gogen)
	if err != nil || bytes.Equal(src, f.Old) {
		return err
	}
	return writeAtomic(f.Path, src)
}

// removeGoFile removes the file at gogen, the run's //go:generate line, if
// it is one that remove emptied, and reports whether it did: the run is the
// copy of the directive that remove left in it. Nothing else is done, for
// the run that emptied the file did the rest, and a copy left by a go
// generate that stopped early may hold flags the user has changed since.
func removeGoFile(gogen token.Position) (bool, error) {
	if gogen.Filename == "" {
		return false, nil
	}
	src, err := os.ReadFile(gogen.Filename)
	if err != nil || !isGenerated(src) || !isEmptied(src) {
		return false, nil
	}
	return true, os.Remove(gogen.Filename)
}

// The build constraints of an emptied file: generate in the directory of
// the directive it copies, ignore elsewhere.
const (
	generateConstraint = "//go:build generate"
	ignoreConstraint   = "//go:build ignore"
)

// isEmptied reports whether src is a file that remove emptied.
func isEmptied(src []byte) bool {
	return emptiedConstraint(src) != ""
}

// emptiedConstraint is the build constraint of src if remove emptied it,
// "" otherwise.
func emptiedConstraint(src []byte) string {
	lines := strings.SplitN(string(src), "\n", 4)
	for _, line := range lines[1:min(3, len(lines))] {
		if line == ignoreConstraint || line == generateConstraint {
			return line
		}
	}
	return ""
}

// readAlready reports whether go generate, running a directive of gofile,
// has read path already. It reads a package's files in the order go list
// gives them: the package's own sorted by name (a generated file is one of
// them), then its tests'. Another directory's files it may read later, if
// its patterns hold their package.
func readAlready(path, gofile string) bool {
	if filepath.Dir(path) != filepath.Dir(gofile) {
		return false
	}
	name, current := filepath.Base(path), filepath.Base(gofile)
	return name <= current || strings.HasSuffix(current, "_test.go")
}

// emptied is what remove leaves of f: the header and the line of flags that
// make it a file of the run, a package clause, and, in gogen's directory,
// gogen's directive with the -command aliases it may use.
func emptied(f File, gogen token.Position) ([]byte, error) {
	pkg, err := parser.ParseFile(token.NewFileSet(), f.Path, f.Old, parser.PackageClauseOnly)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", f.Path, err)
	}
	var b bytes.Buffer
	b.Write(header)
	if _, n, _ := recordedOptions(f.Old); n == 2 {
		line, _, _ := strings.Cut(string(f.Old[len(header):]), "\n")
		b.WriteString(line + "\n")
	}
	var directives []string
	if filepath.Dir(f.Path) == filepath.Dir(gogen.Filename) {
		if directives, err = directiveAt(gogen); err != nil {
			return nil, err
		}
	}
	if len(directives) > 0 {
		b.WriteString(generateConstraint + "\n\n")
	} else {
		b.WriteString(ignoreConstraint + "\n\n")
	}
	fmt.Fprintf(&b, "package %s\n\n", pkg.Name.Name)
	b.WriteString("// The run recorded above no longer generates this file. It emptied it\n")
	b.WriteString("// instead, since go generate, which ran it, could still read it; ")
	if len(directives) == 0 {
		b.WriteString("its\n// next run removes it.\n")
	} else {
		b.WriteString("the\n// line below runs it again, and it removes the file then.\n\n")
		b.WriteString(strings.Join(directives, "\n") + "\n")
	}
	return b.Bytes(), nil
}

// directiveAt returns the //go:generate line at pos, after the -command
// lines before it, which define the aliases it may use; none when pos holds
// no such line.
func directiveAt(pos token.Position) ([]string, error) {
	src, err := os.ReadFile(pos.Filename)
	if err != nil {
		return nil, err
	}
	const prefix = "//go:generate "
	var aliases []string
	sc := bufio.NewScanner(bytes.NewReader(src))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimRight(sc.Text(), "\r")
		switch {
		case !strings.HasPrefix(line, prefix):
		case n == pos.Line:
			return append(aliases, line), nil
		case strings.HasPrefix(line, prefix+"-command "):
			aliases = append(aliases, line)
		}
	}
	return nil, sc.Err()
}
