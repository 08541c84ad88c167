package gen

import (
	"bytes"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strings"

	"golang.org/x/tools/go/packages"

	"github.com/dispatchgen/dispatchgen/templates"
)

// loadMode is what the generator needs of each package. Not NeedDeps, and no
// Overlay: either would type-check every dependency from source.
const loadMode = packages.NeedName | packages.NeedFiles | packages.NeedSyntax | packages.NeedTypes | packages.NeedTypesInfo

// loaded is the result of the run's one packages.Load.
type loaded struct {
	fset *token.FileSet
	// targets are the packages the patterns matched.
	targets []*packages.Package
	// byPath holds every loaded package, targets and those that Types
	// names, by import path.
	byPath map[string]*packages.Package
	// here is the package in the run's directory, where interfaces of
	// other packages are generated; nil when there is none.
	here *packages.Package
}

// load loads the patterns' packages, those of the qualified names in Types,
// and the package in the run's directory, in one packages.Load.
func load(cfg Config) (*loaded, error) {
	patterns := append([]string(nil), cfg.Patterns...)
	foreign := false
	for _, t := range cfg.Types {
		if path, _, ok := splitQualified(t); ok {
			patterns = append(patterns, path)
			foreign = true
		}
	}
	if foreign {
		patterns = append(patterns, ".")
	}
	l := &loaded{fset: token.NewFileSet(), byPath: map[string]*packages.Package{}}
	pcfg := &packages.Config{
		Mode:      loadMode,
		Dir:       cfg.Dir,
		Fset:      l.fset,
		ParseFile: parseSkippingGenerated,
	}
	pcfg.BuildFlags = []string{"-tags=" + strings.Join(append([]string{templates.BuildTag}, cfg.Tags...), ",")}
	pkgs, err := packages.Load(pcfg, patterns...)
	if err != nil {
		return nil, fmt.Errorf("load %s: %w", strings.Join(patterns, " "), err)
	}
	// A package loaded only for a qualified name in Types is no target.
	typesOnly := map[string]bool{}
	for _, t := range cfg.Types {
		if path, _, ok := splitQualified(t); ok {
			typesOnly[path] = true
		}
	}
	for _, p := range pkgs {
		l.byPath[p.PkgPath] = p
		if len(p.GoFiles) > 0 && filepath.Dir(p.GoFiles[0]) == cfg.Dir {
			l.here = p
		}
		if !typesOnly[p.PkgPath] || p == l.here {
			l.targets = append(l.targets, p)
		}
	}
	return l, nil
}

// parseSkippingGenerated parses a file, except that of a file dispatchgen
// generated it keeps only the package clause: a stale generated file must
// neither break the load nor make its own declarations collide with the ones
// about to replace them. The build tag keeps generated files out of the load
// already; this catches those that lack the constraint.
func parseSkippingGenerated(fset *token.FileSet, filename string, src []byte) (*ast.File, error) {
	mode := parser.AllErrors | parser.ParseComments
	if isGenerated(src) {
		mode = parser.PackageClauseOnly
	}
	return parser.ParseFile(fset, filename, src, mode)
}

var header = []byte("// " + templates.Header + "\n")

// isGenerated reports whether src is a file dispatchgen generated.
func isGenerated(src []byte) bool {
	return bytes.HasPrefix(src, header)
}
