package gen

import (
	"bytes"
	"errors"
	"fmt"
	"go/ast"
	gobuild "go/build"
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"golang.org/x/tools/go/packages"

	"github.com/dispatchgen/dispatchgen/templates"
)

// loadMode is what the generator needs of each package. Not NeedDeps, and no
// Overlay: either would type-check every dependency from source.
const loadMode = packages.NeedName | packages.NeedFiles | packages.NeedSyntax | packages.NeedTypes | packages.NeedTypesInfo | packages.NeedModule

// loaded is the result of the run's one packages.Load.
type loaded struct {
	// dir is the run's directory.
	dir  string
	fset *token.FileSet
	// targets are the packages the patterns matched.
	targets []*packages.Package
	// byPath holds every loaded package, targets and those that Types
	// names, by import path.
	byPath map[string]*packages.Package
	// here is the package in the run's directory, where interfaces of
	// other packages are generated; nil when there is none.
	here *packages.Package
	// flagsPos is where the run's flags are written, if known.
	flagsPos token.Position
	// userFiles are the files of the main module's packages and of the
	// targets.
	userFiles map[*token.File]bool
	// build is the configuration the go command builds for: the run's go
	// env, read once.
	build gobuild.Context
}

// load loads the patterns' packages, those of the qualified names in Types,
// and the package in the run's directory, in one packages.Load.
func load(cfg Config) (*loaded, error) {
	patterns := append([]string(nil), cfg.Patterns...)
	// A package loaded only for a qualified name in Types is no target.
	typesOnly := map[string]bool{}
	for _, s := range cfg.Types {
		if t, err := parseTypeName(s); err == nil && t.path != "" {
			typesOnly[t.path] = true
			patterns = append(patterns, t.path)
		}
	}
	if len(typesOnly) > 0 {
		patterns = append(patterns, ".")
	}
	l := &loaded{dir: cfg.Dir, fset: token.NewFileSet(), byPath: map[string]*packages.Package{}, flagsPos: cfg.FlagsPos}
	pcfg := &packages.Config{
		Mode:      loadMode,
		Dir:       cfg.Dir,
		Fset:      l.fset,
		ParseFile: parseSkippingGenerated,
	}
	if cfg.build != nil {
		l.build = *cfg.build
	} else {
		l.build = goBuildContext(cfg.Dir)
	}
	// A -tags flag replaces the one GOFLAGS holds: the latter's tags go in
	// it too.
	tags := append([]string{templates.BuildTag}, l.build.BuildTags...)
	pcfg.BuildFlags = []string{"-tags=" + strings.Join(append(tags, cfg.Tags...), ",")}
	pkgs, err := packages.Load(pcfg, patterns...)
	if err != nil {
		return nil, fmt.Errorf("load %s: %w", strings.Join(patterns, " "), err)
	}
	if len(pkgs) == 0 {
		return nil, noPackages(cfg.Dir)
	}
	for _, p := range pkgs {
		// The directory the run generates another package's interface
		// into has no package: namedForeign says so.
		if len(typesOnly) > 0 && !typesOnly[p.PkgPath] && len(p.GoFiles) == 0 && len(p.Syntax) == 0 {
			continue
		}
		l.byPath[p.PkgPath] = p
		if len(p.GoFiles) > 0 && filepath.Dir(p.GoFiles[0]) == cfg.Dir {
			l.here = p
		}
		if !typesOnly[p.PkgPath] || p == l.here {
			l.targets = append(l.targets, p)
		}
	}
	l.findUserFiles()
	return l, nil
}

// ErrNoModule reports a run outside a module, where the go command finds no
// package.
var ErrNoModule = errors.New("no go.mod in this directory or above it: dispatchgen generates code of a module (go mod init makes one)")

// noPackages explains a load that found no package at all, which
// go/packages returns when the go command cannot run in dir: most often,
// when it is not in a module.
func noPackages(dir string) error {
	cmd := exec.Command("go", "env", "GOMOD")
	cmd.Dir = dir
	out, err := cmd.Output()
	if gomod := strings.TrimSpace(string(out)); err == nil && (gomod == "" || gomod == os.DevNull) {
		return ErrNoModule
	}
	return fmt.Errorf("the go command found no package in %s", dir)
}

// inUserSource reports whether pos lies in the source of a package of the
// main module or of the run's targets, where a user can act on a diagnostic;
// positions in the module cache, in GOROOT or in export data are not.
func (l *loaded) inUserSource(pos token.Pos) bool {
	if !pos.IsValid() {
		return false
	}
	return l.userFiles[l.fset.File(pos)]
}

// findUserFiles lists the files inUserSource accepts.
func (l *loaded) findUserFiles() {
	l.userFiles = map[*token.File]bool{}
	targets := map[*packages.Package]bool{}
	for _, p := range l.targets {
		targets[p] = true
	}
	for _, p := range l.byPath {
		if !targets[p] && (p.Module == nil || !p.Module.Main) {
			continue
		}
		for _, f := range p.Syntax {
			l.userFiles[l.fset.File(f.FileStart)] = true
		}
	}
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
