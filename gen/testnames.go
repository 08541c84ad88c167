package gen

// The names the package's own test files declare. The load leaves test
// files out, but go test compiles them with the package, generated file and
// all: a generated name that one of them declares too breaks go test.

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/tools/go/packages"
)

// takeTestNames records, in n, the package-level names that the test files
// of p's own package declare, with where, and the names they import
// packages under. Generated package-level declarations must avoid both,
// the generated file's imports the former; locals may hide either, since
// generated code refers to neither. Files
// of the external test package (package p_test) see no unexported name of
// p, and export none into it: they cannot clash.
func takeTestNames(n *namer, fset *token.FileSet, p *packages.Package) {
	for _, f := range testFiles(fset, p) {
		if f.Name.Name != p.Name {
			continue
		}
		for _, id := range topLevelNames(f) {
			if id.Name == "_" || id.Name == "init" || n.declared[id.Name] {
				continue
			}
			n.tests[id.Name] = true
			n.testDecls[id.Name] = id.Pos()
		}
		for _, imp := range f.Imports {
			if name := importName(imp); name != "" {
				n.tests[name] = true
			}
		}
	}
}

// testFiles parses the test files of p's directory, those of p's own
// package and those of its external test package. A file that does not
// parse fails go test whatever is generated; what parsed of it counts.
func testFiles(fset *token.FileSet, p *packages.Package) []*ast.File {
	if len(p.GoFiles) == 0 {
		return nil
	}
	paths, _ := filepath.Glob(filepath.Join(filepath.Dir(p.GoFiles[0]), "*_test.go"))
	var files []*ast.File
	for _, file := range paths {
		f, _ := parser.ParseFile(fset, file, nil, parser.ParseComments|parser.SkipObjectResolution)
		if f != nil && (f.Name.Name == p.Name || f.Name.Name == p.Name+"_test") {
			files = append(files, f)
		}
	}
	return files
}

// testInterfaceProblem says why an interface that a test file declares
// cannot be generated.
const testInterfaceProblem = "which the generated code, in no test file, cannot refer to: move it to a file whose name does not end in _test.go"

// testAnnotations reports the interfaces of p's test files annotated with
// the directive, which the load, leaving test files out, did not see.
func testAnnotations(l *loaded, p *packages.Package, diags *Diagnostics) {
	for _, f := range testFiles(l.fset, p) {
		for _, d := range f.Decls {
			gd, ok := d.(*ast.GenDecl)
			if !ok || gd.Tok != token.TYPE {
				continue
			}
			for _, s := range gd.Specs {
				ts := s.(*ast.TypeSpec)
				if _, isIface := ts.Type.(*ast.InterfaceType); !isIface {
					continue
				}
				if findDirective(ts.Doc) != nil || findDirective(gd.Doc) != nil {
					diags.add(l.fset.Position(ts.Name.Pos()), "%s is declared in a test file, %s", ts.Name.Name, testInterfaceProblem)
				}
			}
		}
	}
}

// testDeclaration returns the test file of p that declares the type name,
// if one does.
func testDeclaration(l *loaded, p *packages.Package, name string) (string, bool) {
	for _, f := range testFiles(l.fset, p) {
		for _, id := range topLevelNames(f) {
			if id.Name == name {
				return l.fset.Position(id.Pos()).Filename, true
			}
		}
	}
	return "", false
}

// topLevelNames returns the identifiers that f declares in the package
// block: its types, variables, constants and functions, not its methods.
func topLevelNames(f *ast.File) []*ast.Ident {
	var ids []*ast.Ident
	for _, d := range f.Decls {
		switch d := d.(type) {
		case *ast.FuncDecl:
			if d.Recv == nil {
				ids = append(ids, d.Name)
			}
		case *ast.GenDecl:
			for _, s := range d.Specs {
				switch s := s.(type) {
				case *ast.TypeSpec:
					ids = append(ids, s.Name)
				case *ast.ValueSpec:
					ids = append(ids, s.Names...)
				}
			}
		}
	}
	return ids
}

// importName returns the name imp puts in its file's scope, or "" for none
// (a blank or dot import). Without loading the package, an unnamed import
// goes by its path's last element, or the one before a major version: a
// guess that, when wrong, only makes a generated name give way needlessly.
func importName(imp *ast.ImportSpec) string {
	if imp.Name != nil {
		if imp.Name.Name == "_" || imp.Name.Name == "." {
			return ""
		}
		return imp.Name.Name
	}
	p, err := strconv.Unquote(imp.Path.Value)
	if err != nil {
		return ""
	}
	base := path.Base(p)
	if isMajorVersion(base) && path.Dir(p) != "." {
		base = path.Base(path.Dir(p))
	}
	return strings.NewReplacer("-", "_", ".", "_").Replace(base)
}

// isMajorVersion reports whether s is a major version suffix, v2 or later.
func isMajorVersion(s string) bool {
	if len(s) < 2 || s[0] != 'v' {
		return false
	}
	for _, r := range s[1:] {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}
