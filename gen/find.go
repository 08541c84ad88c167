package gen

import (
	"go/ast"
	"go/token"
	"go/types"
	"strconv"
	"strings"

	"golang.org/x/tools/go/packages"
)

// directive marks an interface to generate a dispatcher for.
const directive = "//dispatch:recipient"

// target is one interface to generate a dispatcher for.
type target struct {
	// decl is the package that declares the interface, into the one the
	// dispatcher is generated into.
	decl, into *packages.Package
	obj        *types.TypeName
	// spec is the interface's declaration, when decl was parsed.
	spec *ast.TypeSpec
	// key is the key= option's type expression, empty for the default,
	// and keyPos where it was written.
	key    string
	keyPos token.Pos
	// pos is where diagnostics about the interface as a whole point.
	pos token.Pos
}

// find returns the interfaces the run generates for: those named by
// cfg.Types, or else those annotated in the target packages.
func find(l *loaded, cfg Config, diags *Diagnostics) []target {
	for _, p := range l.targets {
		loadErrors(l, p, diags)
	}
	if len(diags.List) > 0 {
		return nil
	}
	if len(cfg.Types) > 0 {
		return findNamed(l, cfg, diags)
	}
	var ts []target
	for _, p := range l.targets {
		ts = append(ts, findAnnotated(l, p, diags)...)
	}
	return ts
}

// loadErrors reports the errors that stop a package from being read at
// all: parse errors, or any error of a package that did not load. Type
// errors do not, nor the compile errors go list reports for a package that
// was type-checked all the same: the recipients may not touch them (stale
// generated code, say), and build reports those that do.
func loadErrors(l *loaded, p *packages.Package, diags *Diagnostics) {
	kind := packages.ListError
	for _, e := range p.Errors {
		if e.Kind == packages.ParseError {
			kind = packages.ParseError // go list repeats them, less precisely
		}
	}
	if kind == packages.ListError && p.Types != nil && len(p.Syntax) > 0 {
		return
	}
	for _, e := range p.Errors {
		if e.Kind == kind || p.Types == nil {
			diags.List = append(diags.List, Diagnostic{Pos: parsePos(e.Pos, p), Msg: e.Msg})
		}
	}
}

// parsePos reads a packages.Error position, "file:line:col", "file:line" or
// empty, in which case it points at the package's first file.
func parsePos(s string, p *packages.Package) token.Position {
	var pos token.Position
	parts := strings.Split(s, ":")
	for len(parts) > 1 {
		n, err := strconv.Atoi(parts[len(parts)-1])
		if err != nil {
			break
		}
		pos.Column, pos.Line = pos.Line, n
		parts = parts[:len(parts)-1]
	}
	if pos.Column == 0 {
		pos.Column = 1
	}
	pos.Filename = strings.Join(parts, ":")
	if pos.Filename == "" && len(p.GoFiles) > 0 {
		pos.Filename = p.GoFiles[0]
	}
	if pos.Filename == "" {
		pos.Filename = p.PkgPath
	}
	return pos
}

// findAnnotated returns the interfaces of p annotated with the directive,
// and reports the directives that stand anywhere else.
func findAnnotated(l *loaded, p *packages.Package, diags *Diagnostics) []target {
	var ts []target
	for _, f := range p.Syntax {
		used := map[*ast.Comment]bool{}
		for _, d := range f.Decls {
			gd, ok := d.(*ast.GenDecl)
			if !ok || gd.Tok != token.TYPE {
				continue
			}
			for _, s := range gd.Specs {
				spec := s.(*ast.TypeSpec)
				doc := spec.Doc
				if doc == nil && len(gd.Specs) == 1 {
					doc = gd.Doc
				}
				c, opts := findDirective(doc)
				if c == nil {
					continue
				}
				used[c] = true
				t, ok := annotated(l, p, spec, c, opts, diags)
				if ok {
					ts = append(ts, t)
				}
			}
		}
		for _, cg := range f.Comments {
			for _, c := range cg.List {
				if isDirective(c.Text) && !used[c] {
					diags.add(l.fset.Position(c.Pos()), "%s must be in the doc comment of an interface type declaration", directive)
				}
			}
		}
	}
	return ts
}

// annotated checks one annotated type declaration and its options.
func annotated(l *loaded, p *packages.Package, spec *ast.TypeSpec, c *ast.Comment, opts []string, diags *Diagnostics) (target, bool) {
	t := target{decl: p, into: p, spec: spec, pos: spec.Name.Pos()}
	ok := true
	for _, o := range opts {
		name, value, _ := strings.Cut(o, "=")
		switch {
		case name == "key" && value != "":
			t.key = value
			t.keyPos = c.Pos() + token.Pos(strings.Index(c.Text, o)+len("key="))
		default:
			diags.add(l.fset.Position(c.Pos()), "unknown option %q in %s: the only option is key=Type", o, directive)
			ok = false
		}
	}
	obj, _ := p.TypesInfo.Defs[spec.Name].(*types.TypeName)
	if obj == nil {
		diags.add(l.fset.Position(spec.Name.Pos()), "%s: declaration did not type-check", spec.Name.Name)
		return t, false
	}
	t.obj = obj
	if _, isIface := obj.Type().Underlying().(*types.Interface); !isIface {
		diags.add(l.fset.Position(spec.Name.Pos()), "%s is %s, not an interface: %s applies to interface types only", spec.Name.Name, kindOf(obj.Type()), directive)
		return t, false
	}
	if spec.Assign.IsValid() {
		diags.add(l.fset.Position(spec.Name.Pos()), "%s is an alias: annotate the interface it names instead", spec.Name.Name)
		return t, false
	}
	return t, ok
}

// findDirective returns the directive comment in doc and its options.
func findDirective(doc *ast.CommentGroup) (*ast.Comment, []string) {
	if doc == nil {
		return nil, nil
	}
	// CommentGroup.Text drops directive lines, so read the raw list.
	for _, c := range doc.List {
		if isDirective(c.Text) {
			return c, strings.Fields(strings.TrimPrefix(c.Text, directive))
		}
	}
	return nil, nil
}

func isDirective(text string) bool {
	rest, ok := strings.CutPrefix(text, directive)
	return ok && (rest == "" || rest[0] == ' ' || rest[0] == '\t')
}

// findNamed returns the interfaces cfg.Types names.
func findNamed(l *loaded, cfg Config, diags *Diagnostics) []target {
	var ts []target
	for _, name := range cfg.Types {
		if path, short, ok := splitQualified(name); ok {
			t, ok := namedForeign(l, path, short, name, diags)
			if ok {
				ts = append(ts, t)
			}
			continue
		}
		found := false
		for _, p := range l.targets {
			obj, _ := p.Types.Scope().Lookup(name).(*types.TypeName)
			if obj == nil {
				continue
			}
			found = true
			t := target{decl: p, into: p, obj: obj, spec: specOf(p, obj), pos: obj.Pos()}
			if checkNamed(l, t, name, diags) {
				ts = append(ts, t)
			}
		}
		if !found {
			diags.add(l.fset.Position(packagePos(l, l.here)), "-type %s: no type %s in %s", name, name, targetNames(l))
		}
	}
	return ts
}

func namedForeign(l *loaded, path, short, name string, diags *Diagnostics) (target, bool) {
	p := l.byPath[path]
	if p == nil || p.Types == nil {
		diags.add(l.fset.Position(packagePos(l, l.here)), "-type %s: package %s did not load", name, path)
		return target{}, false
	}
	obj, _ := p.Types.Scope().Lookup(short).(*types.TypeName)
	if obj == nil {
		diags.add(l.fset.Position(packagePos(l, l.here)), "-type %s: no type %s in package %s", name, short, path)
		return target{}, false
	}
	if l.here == nil {
		diags.add(l.fset.Position(packagePos(l, nil)), "-type %s: no Go package in this directory to generate it into", name)
		return target{}, false
	}
	t := target{decl: p, into: l.here, obj: obj, spec: specOf(p, obj), pos: packagePos(l, l.here)}
	return t, checkNamed(l, t, name, diags)
}

// checkNamed reports a -type that names something other than an interface.
func checkNamed(l *loaded, t target, name string, diags *Diagnostics) bool {
	if _, ok := t.obj.Type().Underlying().(*types.Interface); !ok {
		diags.add(l.fset.Position(t.obj.Pos()), "-type %s: %s is %s, not an interface", name, t.obj.Name(), kindOf(t.obj.Type()))
		return false
	}
	return true
}

// specOf finds the declaration of obj in p's syntax, if p was parsed.
func specOf(p *packages.Package, obj *types.TypeName) *ast.TypeSpec {
	for id, def := range p.TypesInfo.Defs {
		if def == obj {
			for _, f := range p.Syntax {
				if f.Pos() <= id.Pos() && id.Pos() < f.End() {
					var spec *ast.TypeSpec
					ast.Inspect(f, func(n ast.Node) bool {
						if s, ok := n.(*ast.TypeSpec); ok && s.Name == id {
							spec = s
						}
						return spec == nil
					})
					return spec
				}
			}
		}
	}
	return nil
}

// packagePos points at the package clause of p's first file, or of the first
// target's, where a diagnostic about the run as a whole is shown.
func packagePos(l *loaded, p *packages.Package) token.Pos {
	if p != nil && len(p.Syntax) > 0 {
		return p.Syntax[0].Package
	}
	if len(l.targets) > 0 && len(l.targets[0].Syntax) > 0 {
		return l.targets[0].Syntax[0].Package
	}
	return token.NoPos
}

func targetNames(l *loaded) string {
	names := make([]string, len(l.targets))
	for i, p := range l.targets {
		names[i] = p.PkgPath
	}
	if len(names) == 0 {
		return "the loaded packages"
	}
	return "package " + strings.Join(names, ", ")
}

func kindOf(t types.Type) string {
	switch t.Underlying().(type) {
	case *types.Struct:
		return "a struct type"
	case *types.Signature:
		return "a func type"
	case *types.Basic:
		return "a basic type"
	case *types.Pointer:
		return "a pointer type"
	case *types.Slice, *types.Array:
		return "a slice or array type"
	case *types.Map:
		return "a map type"
	case *types.Chan:
		return "a channel type"
	}
	return "not an interface type"
}
