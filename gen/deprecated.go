package gen

import (
	"go/ast"
	gobuild "go/build"
	"go/parser"
	"go/token"
	"go/types"
	"path/filepath"
	"strings"
)

// docReader reads the doc comments of declarations: from the syntax of the
// packages loaded from source, and, for those loaded from export data, from
// the source file the export data names. Generated code that names a
// deprecated declaration of another package must tell staticcheck
// (SA1019) that it does so on purpose.
type docReader struct {
	l *loaded
	// files are the files parsed for their comments, nil for those that
	// could not be read.
	files   map[string]*ast.File
	fset    *token.FileSet
	indexes map[*ast.File]map[docKey]*ast.CommentGroup
}

func newDocReader(l *loaded) *docReader {
	return &docReader{l: l, files: map[string]*ast.File{}, fset: token.NewFileSet(), indexes: map[*ast.File]map[docKey]*ast.CommentGroup{}}
}

// deprecated reports whether obj is deprecated, or may be: when its doc
// comment cannot be read, the generated code had better say it might name
// a deprecated declaration than fail staticcheck.
func (d *docReader) deprecated(obj types.Object) bool {
	doc, ok := d.doc(obj)
	return !ok || deprecation(doc) != ""
}

// notice returns the deprecation notice of obj's doc comment, or "".
func (d *docReader) notice(obj types.Object) string {
	doc, _ := d.doc(obj)
	return deprecation(doc)
}

// doc returns obj's doc comment, and whether it could be read at all.
func (d *docReader) doc(obj types.Object) (*ast.CommentGroup, bool) {
	if !obj.Pos().IsValid() {
		return nil, obj.Pkg() == nil // predeclared: never deprecated
	}
	if p := d.l.byPath[obj.Pkg().Path()]; p != nil && len(p.Syntax) > 0 {
		for _, f := range p.Syntax {
			if f.FileStart <= obj.Pos() && obj.Pos() <= f.FileEnd {
				return d.docAt(f, d.l.fset, d.l.fset.Position(obj.Pos()), obj.Name()), true
			}
		}
	}
	// Export data gives the file and line of each declaration.
	pos := d.l.fset.Position(obj.Pos())
	name := pos.Filename
	if rest, ok := strings.CutPrefix(name, "$GOROOT"+string(filepath.Separator)); ok {
		name = filepath.Join(gobuild.Default.GOROOT, rest)
	}
	f, seen := d.files[name]
	if !seen {
		f, _ = parser.ParseFile(d.fset, name, nil, parser.ParseComments|parser.SkipObjectResolution)
		d.files[name] = f
	}
	if f == nil {
		return nil, false
	}
	return d.docAt(f, d.fset, pos, obj.Name()), true
}

// docKey is where a declaration's name stands: its line, and the name.
type docKey struct {
	line int
	name string
}

// docAt returns the doc comment of the type or interface method named name
// that f declares at pos's line, indexing f's declarations the first time.
func (d *docReader) docAt(f *ast.File, fset *token.FileSet, pos token.Position, name string) *ast.CommentGroup {
	index, ok := d.indexes[f]
	if !ok {
		index = docIndex(f, fset)
		d.indexes[f] = index
	}
	if doc, ok := index[docKey{pos.Line, name}]; ok {
		return doc
	}
	return nil
}

// docIndex maps the types and interface methods f declares to their doc
// comments, an empty one for those without.
func docIndex(f *ast.File, fset *token.FileSet) map[docKey]*ast.CommentGroup {
	index := map[docKey]*ast.CommentGroup{}
	add := func(id *ast.Ident, doc *ast.CommentGroup) {
		if doc == nil {
			doc = &ast.CommentGroup{}
		}
		index[docKey{fset.Position(id.Pos()).Line, id.Name}] = doc
	}
	ast.Inspect(f, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.GenDecl:
			for _, s := range n.Specs {
				if ts, ok := s.(*ast.TypeSpec); ok {
					doc := ts.Doc
					if doc == nil && !n.Lparen.IsValid() {
						doc = n.Doc
					}
					add(ts.Name, doc)
				}
			}
		case *ast.InterfaceType:
			for _, field := range n.Methods.List {
				for _, id := range field.Names {
					add(id, field.Doc)
				}
			}
		case *ast.FuncDecl:
			return false // no interface types to find in bodies
		}
		return true
	})
	return index
}

// deprecation returns the paragraph of doc that starts "Deprecated: ", as
// the Go convention for deprecation notices has it, or "".
func deprecation(doc *ast.CommentGroup) string {
	if doc == nil {
		return ""
	}
	for _, para := range strings.Split(doc.Text(), "\n\n") {
		if strings.HasPrefix(para, "Deprecated: ") {
			return strings.Join(strings.Fields(para), " ")
		}
	}
	return ""
}
