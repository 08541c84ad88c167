package gen

import (
	"go/ast"
	"go/token"
	"go/types"
	"sort"
	"strconv"
	"strings"

	"golang.org/x/tools/go/packages"
)

// target is one interface to generate a dispatcher for.
type target struct {
	// decl is the package that declares the interface, into the one the
	// dispatcher is generated into.
	decl, into *packages.Package
	obj        *types.TypeName
	// spec is the interface's declaration, when decl was parsed.
	spec *ast.TypeSpec
	// name is what the generated names start with: the interface's own
	// name, or the one -type gave it.
	name string
	// flag is the -type name that asked for the interface, empty for an
	// annotated one.
	flag string
	opts annotationOptions
	// pos is the interface's declaration when it is in the user's source,
	// where diagnostics about the interface as a whole point; NoPos when
	// they point at the run's flags.
	pos token.Pos
}

// find returns the interfaces the run generates for: those named by
// cfg.Types, or else those annotated in the target packages.
func find(l *loaded, cfg Config, diags *Diagnostics) []target {
	for _, p := range l.targets {
		loadErrors(l, p, diags)
		misspellings(l, p, diags)
		testAnnotations(l, p, diags)
	}
	if diags.errors() {
		return nil
	}
	run := annotationOptions{noErrorPanic: cfg.NoError == NoErrorPanic, async: cfg.Async, remote: cfg.Remote}
	var ts []target
	if len(cfg.Types) > 0 {
		ts = findNamed(l, cfg, run, diags)
	} else {
		for _, p := range l.targets {
			ts = append(ts, findAnnotated(l, p, run, diags)...)
		}
	}
	return distinctNames(l, ts, diags)
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

// misspellings warns of the comments of p that look meant as the directive
// but are not read as one.
func misspellings(l *loaded, p *packages.Package, diags *Diagnostics) {
	for _, f := range p.Syntax {
		for _, cg := range f.Comments {
			for _, c := range cg.List {
				if msg := misspelledDirective(c.Text); msg != "" {
					diags.warn(l.fset.Position(c.Pos()), "%s", msg)
				}
			}
		}
	}
}

// findAnnotated returns the interfaces of p annotated with the directive,
// in the doc comment of their declaration or of the group of declarations
// they stand in, and reports the directives that stand anywhere else.
func findAnnotated(l *loaded, p *packages.Package, run annotationOptions, diags *Diagnostics) []target {
	var ts []target
	for _, f := range p.Syntax {
		used := map[*ast.Comment]bool{}
		for _, d := range f.Decls {
			gd, ok := d.(*ast.GenDecl)
			if !ok || gd.Tok != token.TYPE {
				continue
			}
			group := findDirective(gd.Doc)
			var groupOpts annotationOptions
			groupOK := true
			if group != nil {
				used[group] = true
				groupOpts, groupOK = parseOptions(group, run, l.fset, diags)
			}
			grouped := 0
			for _, s := range gd.Specs {
				spec := s.(*ast.TypeSpec)
				if c := findDirective(spec.Doc); c != nil {
					used[c] = true
					opts, ok := parseOptions(c, run, l.fset, diags)
					if t, tok := annotated(l, p, spec, opts, diags); tok && ok {
						ts = append(ts, t)
					}
					continue
				}
				// A group's annotation is for its interfaces; a single
				// declaration's is for it, whatever it is.
				if group == nil || gd.Lparen.IsValid() && !isMethodSet(p, spec) {
					continue
				}
				grouped++
				if t, tok := annotated(l, p, spec, groupOpts, diags); tok && groupOK {
					ts = append(ts, t)
				}
			}
			if group != nil && grouped == 0 {
				diags.add(l.fset.Position(group.Pos()), "%s is in the doc comment of a group of declarations without an interface to generate", directive)
			}
		}
		for _, cg := range f.Comments {
			for _, c := range cg.List {
				if isDirective(c.Text) && !used[c] {
					diags.add(l.fset.Position(c.Pos()), "%s must be in the doc comment of an interface type declaration, or of a group of them", directive)
				}
			}
		}
	}
	return ts
}

// isMethodSet reports whether spec declares an interface that a value can
// have: one with methods and no type set.
func isMethodSet(p *packages.Package, spec *ast.TypeSpec) bool {
	obj, _ := p.TypesInfo.Defs[spec.Name].(*types.TypeName)
	if obj == nil || spec.Assign.IsValid() {
		return false
	}
	iface, ok := obj.Type().Underlying().(*types.Interface)
	return ok && iface.IsMethodSet() && iface.NumMethods() > 0
}

// annotated checks one annotated type declaration.
func annotated(l *loaded, p *packages.Package, spec *ast.TypeSpec, opts annotationOptions, diags *Diagnostics) (target, bool) {
	t := target{decl: p, into: p, spec: spec, name: spec.Name.Name, opts: opts, pos: spec.Name.Pos()}
	at := l.fset.Position(spec.Name.Pos())
	obj, _ := p.TypesInfo.Defs[spec.Name].(*types.TypeName)
	if obj == nil {
		diags.add(at, "%s: declaration did not type-check", spec.Name.Name)
		return t, false
	}
	t.obj = obj
	if !typeChecks(l, p, spec, diags) {
		return t, false
	}
	if _, isIface := obj.Type().Underlying().(*types.Interface); !isIface {
		diags.add(at, "%s is %s, not an interface: %s applies to interface types only", spec.Name.Name, kindOf(obj.Type()), directive)
		return t, false
	}
	if spec.Assign.IsValid() {
		diags.add(at, "%s is an alias: annotate the interface it names instead", spec.Name.Name)
		return t, false
	}
	return t, true
}

// noType reports that the flag -type flag names a type, name, that the
// packages ps, described as in, do not declare: a test file of theirs may.
func noType(l *loaded, flag, name, in string, ps []*packages.Package, diags *Diagnostics) {
	for _, p := range ps {
		if file, ok := testDeclaration(l, p, name); ok {
			diags.add(l.flagsPos, "-type %s: %s is declared in %s, a test file, %s", flag, name, relPos(token.Position{Filename: file}, l.dir), testInterfaceProblem)
			return
		}
	}
	diags.add(l.flagsPos, "-type %s: no type %s in %s%s", flag, name, in, didYouMean(name, typeNamesOf(ps...), ""))
}

// findNamed returns the interfaces cfg.Types names, each once.
func findNamed(l *loaded, cfg Config, run annotationOptions, diags *Diagnostics) []target {
	var ts []target
	seen := map[string]bool{}
	for _, s := range cfg.Types {
		tn, err := parseTypeName(s)
		if err != nil {
			diags.add(l.flagsPos, "%v", err)
			continue
		}
		if seen[s] {
			continue
		}
		seen[s] = true
		if tn.path != "" {
			if t, ok := namedForeign(l, tn, s, run, diags); ok {
				ts = append(ts, t)
			}
			continue
		}
		found := false
		for _, p := range l.targets {
			obj, _ := p.Types.Scope().Lookup(tn.name).(*types.TypeName)
			if obj == nil {
				continue
			}
			found = true
			t := target{decl: p, into: p, obj: obj, spec: specOf(p, obj), name: tn.name, flag: s, opts: run, pos: obj.Pos()}
			if tn.as != "" {
				t.name = tn.as
			}
			if checkNamed(l, t, diags) {
				ts = append(ts, t)
			}
		}
		if !found {
			noType(l, s, tn.name, targetNames(l), l.targets, diags)
		}
	}
	return ts
}

func namedForeign(l *loaded, tn typeName, flag string, run annotationOptions, diags *Diagnostics) (target, bool) {
	p := l.byPath[tn.path]
	switch {
	case p == nil || p.Types == nil || len(p.GoFiles)+len(p.CompiledGoFiles) == 0 && len(p.Errors) > 0:
		diags.add(l.flagsPos, "-type %s: cannot find package %s: no module of the build provides it (go get its module, or correct the path)", flag, tn.path)
		return target{}, false
	case p.Name == "main":
		diags.add(l.flagsPos, "-type %s: %s is a program (package main), which no other package can import: declare %s in a package that is not main", flag, tn.path, tn.name)
		return target{}, false
	case l.here == nil:
		diags.add(l.flagsPos, "-type %s: no Go package in this directory to generate it into: add a .go file with a package clause", flag)
		return target{}, false
	}
	obj, _ := p.Types.Scope().Lookup(tn.name).(*types.TypeName)
	if obj == nil {
		noType(l, flag, tn.name, "package "+tn.path, []*packages.Package{p}, diags)
		return target{}, false
	}
	t := target{decl: p, into: l.here, obj: obj, spec: specOf(p, obj), name: tn.name, flag: flag, opts: run}
	if tn.as != "" {
		t.name = tn.as
	}
	if l.inUserSource(obj.Pos()) {
		t.pos = obj.Pos()
	}
	return t, checkNamed(l, t, diags)
}

// checkNamed reports a -type that names something other than an interface.
func checkNamed(l *loaded, t target, diags *Diagnostics) bool {
	if t.spec != nil && t.decl.TypesInfo != nil && l.inUserSource(t.spec.Pos()) && !typeChecks(l, t.decl, t.spec, diags) {
		return false
	}
	if _, ok := t.obj.Type().Underlying().(*types.Interface); !ok {
		diags.add(t.where(l), "-type %s: %s is %s, not an interface", t.flag, t.obj.Name(), kindOf(t.obj.Type()))
		return false
	}
	return true
}

// slot is where t is generated; dir is the run's directory.
func (t target) slot(dir string) slot {
	return slot{dir: packageDir(t.into, dir), name: t.name}
}

// where is the position of diagnostics about t as a whole: its declaration
// in the user's source, or the run's flags.
func (t target) where(l *loaded) token.Position {
	if t.pos.IsValid() {
		return l.fset.Position(t.pos)
	}
	return l.flagsPos
}

// distinctNames reports targets that would generate the same names into
// one package, and keeps the first of each.
func distinctNames(l *loaded, ts []target, diags *Diagnostics) []target {
	type slot struct {
		into *packages.Package
		name string
	}
	first := map[slot]target{}
	names := map[slot]bool{}
	for _, t := range ts {
		names[slot{t.into, t.name}] = true
	}
	var out []target
	for _, t := range ts {
		s := slot{t.into, t.name}
		prev, taken := first[s]
		if !taken {
			first[s] = t
			out = append(out, t)
			continue
		}
		if prev.flag == "" || t.flag == "" {
			out = append(out, t) // annotated: the names' own diagnostics say where
			continue
		}
		// The remedy renames the type the flag names: a flag that renames
		// already takes no second =.
		typ, _, _ := strings.Cut(t.flag, "=")
		suggested := suggestedName(t, func(name string) bool { return names[slot{t.into, name}] })
		names[slot{t.into, suggested}] = true
		diags.add(l.flagsPos, "-type %s and -type %s would both generate %sDispatcher, %sRef and %s_dispatch.go: generate one of them under another name, as in -type %s=%s",
			prev.flag, t.flag, t.name, t.name, strings.ToLower(t.name), typ, suggested)
	}
	return out
}

// suggestedName is a name to generate t under that says where it comes
// from, such as HTTPFile for net/http.File, and that no other target of
// the run takes, so that following the remedy does not make another clash.
func suggestedName(t target, taken func(string) bool) string {
	pkg := t.obj.Pkg().Name()
	base := upperFirst(pkg) + t.name
	if len(pkg) <= 4 {
		base = strings.ToUpper(pkg) + t.name
	}
	name := base
	for i := 2; taken(name); i++ {
		name = base + strconv.Itoa(i)
	}
	return name
}

// typeNamesOf lists the type names the packages declare, for suggestions.
func typeNamesOf(ps ...*packages.Package) []string {
	var names []string
	for _, p := range ps {
		if p == nil || p.Types == nil {
			continue
		}
		for _, name := range p.Types.Scope().Names() {
			if _, ok := p.Types.Scope().Lookup(name).(*types.TypeName); ok {
				names = append(names, name)
			}
		}
	}
	sort.Strings(names)
	return names
}

// specOf finds the declaration of obj in p's syntax, if p was parsed.
func specOf(p *packages.Package, obj *types.TypeName) *ast.TypeSpec {
	for _, f := range p.Syntax {
		if obj.Pos() < f.FileStart || obj.Pos() > f.FileEnd {
			continue
		}
		var spec *ast.TypeSpec
		ast.Inspect(f, func(n ast.Node) bool {
			if s, ok := n.(*ast.TypeSpec); ok && s.Name.Pos() == obj.Pos() {
				spec = s
			}
			return spec == nil
		})
		return spec
	}
	return nil
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
