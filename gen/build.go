package gen

import (
	"go/token"
	"go/types"
	"path/filepath"
	"strings"

	"golang.org/x/tools/go/packages"

	"github.com/dispatchgen/dispatchgen/model"
)

// outFile is one file to write, with the model to render into it.
type outFile struct {
	path  string
	model model.File
	// pos is where a diagnostic about the file points: at its first
	// recipient.
	pos token.Pos
}

// build checks the targets and models the files to write, reporting every
// problem to diags.
func build(l *loaded, cfg Config, targets []target, diags *Diagnostics) []outFile {
	var files []outFile
	byPath := map[string]int{}
	named := map[*packages.Package]*namer{}
	for _, t := range targets {
		if named[t.into] == nil {
			named[t.into] = packageNamer(t.into)
		}
		b := &builder{l: l, t: t, diags: diags, names: named[t.into], conv: newConverter(t.into.PkgPath)}
		r, ok := b.recipient()
		if !ok {
			continue
		}
		path := filepath.Join(packageDir(t.into, cfg.Dir), strings.ToLower(t.obj.Name())+"_dispatch.go")
		if cfg.Output != "" {
			path = cfg.Output
			if !filepath.IsAbs(path) {
				path = filepath.Join(cfg.Dir, path)
			}
		}
		i, seen := byPath[path]
		if !seen {
			i = len(files)
			byPath[path] = i
			files = append(files, outFile{path: path, pos: t.pos, model: model.File{
				Name: filepath.Base(path), PkgName: t.into.Name, PkgPath: t.into.PkgPath,
			}})
		} else if files[i].model.PkgPath != t.into.PkgPath {
			diags.add(l.fset.Position(t.pos), "-output %s would hold dispatchers of two packages, %s and %s", cfg.Output, files[i].model.PkgPath, t.into.PkgPath)
			continue
		}
		files[i].model.Recipients = append(files[i].model.Recipients, r)
		files[i].model.Imports = mergeImports(files[i].model.Imports, b.conv.imports)
	}
	for i := range files {
		assignImports(&files[i].model, named)
	}
	return files
}

// builder models one recipient.
type builder struct {
	l     *loaded
	t     target
	diags *Diagnostics
	names *namer // the generated package's identifiers
	conv  *converter
}

func (b *builder) errorf(pos token.Pos, format string, args ...any) {
	b.diags.add(b.l.fset.Position(pos), format, args...)
}

func (b *builder) recipient() (model.Recipient, bool) {
	t, obj := b.t, b.t.obj
	named, _ := types.Unalias(obj.Type()).(*types.Named)
	iface, _ := obj.Type().Underlying().(*types.Interface)
	if named == nil || iface == nil {
		b.errorf(t.pos, "%s is not an interface type", obj.Name())
		return model.Recipient{}, false
	}
	if !iface.IsMethodSet() {
		b.errorf(t.pos, "%s is a constraint with a type set, not an interface a value can have", obj.Name())
		return model.Recipient{}, false
	}
	if iface.NumMethods() == 0 {
		b.errorf(t.pos, "%s has no methods: there is nothing to dispatch", obj.Name())
		return model.Recipient{}, false
	}
	exported := obj.Exported()
	r := model.Recipient{Name: obj.Name(), Exported: exported}
	r.Iface = model.Type{Kind: model.Named, Name: obj.Name()}
	if obj.Pkg().Path() != t.into.PkgPath {
		if !exported {
			b.errorf(t.pos, "%s is unexported in package %s: a dispatcher in another package cannot name it", obj.Name(), obj.Pkg().Path())
			return r, false
		}
		r.Iface.Path, r.Iface.PkgName = obj.Pkg().Path(), obj.Pkg().Name()
		b.conv.imports[obj.Pkg().Path()] = obj.Pkg().Name()
	}
	ok := b.key(&r)
	ok = b.contractNames(&r) && ok
	methods := orderedMethods(b.l, named, b.t.spec, b.t.decl)
	methodNames := map[string]bool{}
	for _, fn := range methods {
		methodNames[fn.Name()] = true
	}
	r.Methods = make([]model.Method, len(methods))
	for i, fn := range methods {
		ok = b.declNames(&r, &r.Methods[i], fn) && ok
	}
	b.typeParams(&r, named.TypeParams())
	for i, fn := range methods {
		ok = b.method(&r, &r.Methods[i], fn, methodNames) && ok
	}
	if len(b.conv.problems) > 0 {
		ok = false
	}
	refFields := newNamer(methodNames)
	for _, m := range r.Methods {
		if m.Async != "" {
			refFields.take(m.Async)
		}
	}
	r.Names.RefDispatcher = refFields.fresh("d")
	r.Names.RefDest = refFields.fresh("dest")
	r.Names.Router = "router"
	pools := newNamer(map[string]bool{"router": true})
	for i := range r.Methods {
		m := &r.Methods[i]
		suffix := "Pool"
		if m.OneWay() {
			suffix = "Lane"
		}
		m.Pool = pools.fresh(lowerFirst(m.Name) + suffix)
	}
	return r, ok
}

// key sets the recipient's key type from the key= option, or string.
func (b *builder) key(r *model.Recipient) bool {
	if b.t.key == "" {
		r.Key = model.Type{Kind: model.Basic, Name: "string"}
		return true
	}
	tv, err := types.Eval(b.l.fset, b.t.decl.Types, b.t.keyPos, b.t.key)
	switch {
	case err != nil:
		// types.Eval names its input "eval": the position is ours.
		msg := err.Error()
		if _, rest, ok := strings.Cut(msg, ": "); ok && strings.HasPrefix(msg, "eval:") {
			msg = rest
		}
		b.errorf(b.t.keyPos, "key=%s: %s", b.t.key, msg)
		return false
	case !tv.IsType():
		b.errorf(b.t.keyPos, "key=%s is not a type", b.t.key)
		return false
	case !types.Comparable(tv.Type):
		b.errorf(b.t.keyPos, "key=%s is not comparable: keys are map keys, so use a type == works on", b.t.key)
		return false
	}
	r.Key = b.conv.typ(tv.Type)
	return len(b.conv.problems) == 0
}

// contractNames names the exported declarations the design promises, and
// reports those the package has already declared.
func (b *builder) contractNames(r *model.Recipient) bool {
	base := r.Name
	r.Names.Dispatcher = base + "Dispatcher"
	r.Names.NewDispatcher = exportAs("New", r.Exported) + upperFirst(base) + "Dispatcher"
	r.Names.Ref = base + "Ref"
	ok := true
	for _, n := range []string{r.Names.Dispatcher, r.Names.NewDispatcher, r.Names.Ref} {
		ok = b.claim(n, r.Name) && ok
	}
	return ok
}

// claim takes a name that must be exactly n, reporting where the package
// already declares it.
func (b *builder) claim(n, iface string) bool {
	if !b.names.taken[n] {
		b.names.take(n)
		return true
	}
	where := ""
	if obj := b.t.into.Types.Scope().Lookup(n); obj != nil {
		where = " at " + relPos(b.l.fset.Position(obj.Pos()), b.diags.Dir)
	}
	b.errorf(b.t.pos, "dispatchgen generates %s for %s, but it is already declared%s: rename that declaration or the interface", n, iface, where)
	return false
}

// declNames names the package-level declarations generated for one method:
// its message type and, for a method with several results besides the
// error, its result struct.
func (b *builder) declNames(r *model.Recipient, m *model.Method, fn *types.Func) bool {
	m.Message = b.names.fresh(lowerFirst(r.Name) + upperFirst(fn.Name()))
	results := fn.Signature().Results()
	n := results.Len()
	if n > 0 && isError(results.At(n-1).Type()) {
		n--
	}
	if n > 1 {
		m.Result = r.Name + upperFirst(fn.Name()) + "Result"
		return b.claim(m.Result, r.Name)
	}
	return true
}

// typeParams names the recipient's type parameters in the generated
// declarations, which repeat them, and converts their constraints. A type
// parameter keeps its name unless it would hide something those
// declarations refer to: a predeclared identifier, the interface, a
// generated type or the key type.
func (b *builder) typeParams(r *model.Recipient, tps *types.TypeParamList) {
	hidden := newNamer(predeclaredUsed)
	hidden.take(r.Name)
	for _, n := range generatedNames(r) {
		hidden.take(n)
	}
	for _, n := range typeNames(r.Key) {
		hidden.take(n)
	}
	for i := range tps.Len() {
		tp := tps.At(i)
		b.conv.tparams[tp.Obj()] = hidden.fresh(tp.Obj().Name())
	}
	for i := range tps.Len() {
		tp := tps.At(i)
		name := b.conv.tparams[tp.Obj()]
		r.TypeParams = append(r.TypeParams, model.TypeParam{Name: name, Constraint: b.conv.typ(tp.Constraint())})
		r.Iface.Args = append(r.Iface.Args, model.Type{Kind: model.TypeParamRef, Name: name})
	}
}

// generatedNames are the package-level names generated for r.
func generatedNames(r *model.Recipient) []string {
	names := []string{r.Names.Dispatcher, r.Names.NewDispatcher, r.Names.Ref}
	for _, m := range r.Methods {
		names = append(names, m.Message)
		if m.Result != "" {
			names = append(names, m.Result)
		}
	}
	return names
}

// typeNames are the unqualified names that spelling t refers to.
func typeNames(t model.Type) []string {
	var out []string
	if t.Kind == model.Named && t.Path == "" || t.Kind == model.Basic {
		out = append(out, t.Name)
	}
	for _, e := range []*model.Type{t.Elem, t.Key} {
		if e != nil {
			out = append(out, typeNames(*e)...)
		}
	}
	for _, a := range t.Args {
		out = append(out, typeNames(a)...)
	}
	for _, f := range t.Fields {
		out = append(out, typeNames(f.Type)...)
	}
	return out
}

// method models one method and checks it.
func (b *builder) method(r *model.Recipient, m *model.Method, fn *types.Func, methodNames map[string]bool) bool {
	sig := fn.Signature()
	m.Name, m.Ctx, m.Variadic = fn.Name(), -1, sig.Variadic()
	ok := true
	if !fn.Exported() && fn.Pkg() != nil && fn.Pkg().Path() != b.t.into.PkgPath {
		b.errorf(fn.Pos(), "method %s of %s is unexported in package %s: a Ref in package %s cannot implement it", fn.Name(), r.Name, fn.Pkg().Path(), b.t.into.PkgPath)
		ok = false
	}
	before := len(b.conv.problems)
	params := sig.Params()
	for i := range params.Len() {
		p := params.At(i)
		if m.Ctx < 0 && isContext(p.Type()) {
			m.Ctx = i
		}
		m.Params = append(m.Params, model.Var{Name: p.Name(), Type: b.conv.typ(p.Type())})
	}
	results := sig.Results()
	n := results.Len()
	if n > 0 {
		if !isError(results.At(n - 1).Type()) {
			b.errorf(fn.Pos(), "method %s.%s returns %s without a final error: a dispatched call can fail (no recipient, closed, panic), so a method with results must return error last", r.Name, fn.Name(), types.TypeString(results, types.RelativeTo(fn.Pkg())))
			ok = false
		} else {
			m.HasError = true
			n--
		}
	}
	for i := range n {
		v := results.At(i)
		m.Results = append(m.Results, model.Var{Name: v.Name(), Type: b.conv.typ(v.Type())})
	}
	if len(b.conv.problems) > before {
		for _, p := range b.conv.problems[before:] {
			if p == invalidType {
				b.errorf(fn.Pos(), "method %s.%s does not type-check", r.Name, fn.Name())
				continue
			}
			b.errorf(fn.Pos(), "method %s.%s uses %s, which the generated code in package %s cannot name", r.Name, fn.Name(), p, b.t.into.PkgPath)
		}
		b.conv.problems = b.conv.problems[:before]
		b.typeErrors(fn.Pos())
		ok = false
	}
	if !m.OneWay() {
		m.Async = fn.Name() + "Async"
		if methodNames[m.Async] {
			b.errorf(fn.Pos(), "%s already has a method %s, which %s needs for the asynchronous variant of %s: rename one of them", r.Name, m.Async, r.Names.Ref, fn.Name())
			ok = false
		}
	}
	if m.Result != "" {
		m.ResultFields = resultFields(m.Results)
	}
	return ok
}

// typeErrors reports the package's type errors at pos's line, which explain
// a type that did not type-check there.
func (b *builder) typeErrors(pos token.Pos) {
	at := b.l.fset.Position(pos)
	for _, e := range b.t.decl.Errors {
		p := parsePos(e.Pos, b.t.decl)
		if p.Filename == at.Filename && p.Line == at.Line {
			b.diags.List = append(b.diags.List, Diagnostic{Pos: p, Msg: e.Msg})
		}
	}
}

func isContext(t types.Type) bool {
	n, ok := types.Unalias(t).(*types.Named)
	return ok && n.Obj().Pkg() != nil && n.Obj().Pkg().Path() == "context" && n.Obj().Name() == "Context"
}

func isError(t types.Type) bool {
	return types.Identical(t, types.Universe.Lookup("error").Type())
}

// packageDir is the directory of p's files.
func packageDir(p *packages.Package, fallback string) string {
	if len(p.GoFiles) > 0 {
		return filepath.Dir(p.GoFiles[0])
	}
	return fallback
}
