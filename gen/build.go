package gen

import (
	"cmp"
	"go/token"
	"go/types"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/tools/go/packages"

	"github.com/dispatchgen/dispatchgen/model"
)

// outFile is one file to write, with the model to render into it.
type outFile struct {
	path  string
	model model.File
	// pos is where a diagnostic about the file points: at its first
	// recipient, or at the run's flags.
	pos token.Position
	// first is the interface of the file's first recipient, and
	// constraint the build constraint of the file that declares it, which
	// every other recipient of the file must share.
	first, constraint string
}

// build checks the targets and models the files to write, reporting every
// problem to diags.
func build(l *loaded, cfg Config, targets []target, diags *Diagnostics) []outFile {
	var files []outFile
	byPath := map[string]int{}
	named := map[*packages.Package]*namer{}
	docs := newDocReader(l)
	for _, t := range targets {
		if named[t.into] == nil {
			named[t.into] = packageNamer(l.fset, t.into)
		}
		b := &builder{l: l, t: t, diags: diags, names: named[t.into], conv: newConverter(t.into.PkgPath), docs: docs}
		r, ok := b.recipient()
		if !ok {
			continue
		}
		path, recorded, ok := outputPath(l, cfg, t, diags)
		if !ok {
			continue
		}
		constraint := sourceConstraint(l, t)
		i, seen := byPath[path]
		if !seen {
			i = len(files)
			byPath[path] = i
			files = append(files, outFile{path: path, pos: t.where(l), first: t.name, constraint: constraint, model: model.File{
				Name: filepath.Base(path), PkgName: t.into.Name, PkgPath: t.into.PkgPath,
				Command: commandLine(recorded),
			}})
		} else if files[i].model.PkgPath != t.into.PkgPath {
			diags.add(t.where(l), "-output %s would hold dispatchers of two packages, %s and %s", cfg.Output, files[i].model.PkgPath, t.into.PkgPath)
			continue
		} else if o := &files[i]; !sameConstraint(o.constraint, constraint) {
			// The file would build only where both interfaces do: the
			// dispatcher of the one declared more widely would be missing
			// where only it builds.
			b.errorf(t.pos, "%s is declared under %s and %s, which %s also holds, under %s: the file would build only where both do, and leave %s without its dispatcher elsewhere; generate each into a file of its own with -output",
				t.name, describeConstraint(constraint), o.first, o.model.Name, describeConstraint(o.constraint), widerOf(o.first, o.constraint, t.name, constraint))
			continue
		}
		f := &files[i].model
		f.Recipients = append(f.Recipients, r)
		f.Imports = mergeImports(f.Imports, b.conv.imports)
		f.Deprecated = mergeDeprecated(f.Deprecated, b.deprecated)
		f.Constraint = andConstraints(f.Constraint, constraint)
	}
	for i := range files {
		assignImports(&files[i].model, named)
	}
	return files
}

// outputPath is the file t is generated into, and the options the file
// records: the run's, with -output relative to the package's directory.
func outputPath(l *loaded, cfg Config, t target, diags *Diagnostics) (string, Options, bool) {
	dir := packageDir(t.into, cfg.Dir)
	recorded := cfg.Options
	if cfg.Output == "" {
		name := strings.ToLower(t.name) + "_dispatch.go"
		if p := buildProblem(name); p != "" {
			b := &builder{l: l, t: t, diags: diags}
			b.errorf(t.pos, "%s would be generated, but %s: generate it under another name, or choose a file with -output", name, p)
			return "", recorded, false
		}
		return filepath.Join(dir, name), recorded, true
	}
	path := cfg.Output
	if !filepath.IsAbs(path) {
		path = filepath.Join(cfg.Dir, path)
	}
	if filepath.Dir(path) != dir {
		diags.add(l.flagsPos, "-output %s: the file must be in the directory of package %s, which it belongs to", cfg.Output, t.into.PkgPath)
		return "", recorded, false
	}
	recorded.Output = filepath.Base(path)
	return path, recorded, true
}

// packageDir is the directory of p's files.
func packageDir(p *packages.Package, fallback string) string {
	if len(p.GoFiles) > 0 {
		return filepath.Dir(p.GoFiles[0])
	}
	return fallback
}

// builder models one recipient.
type builder struct {
	l     *loaded
	t     target
	diags *Diagnostics
	names *namer // the generated package's identifiers
	conv  *converter
	docs  *docReader
	// deprecated are the deprecated declarations of other packages that
	// the generated code names.
	deprecated []string
}

// errorf reports a problem with the interface at pos when pos is in the
// user's source, and otherwise at the run's flags, naming the -type that
// asked for the interface.
func (b *builder) errorf(pos token.Pos, format string, args ...any) {
	if b.l.inUserSource(pos) {
		b.diags.add(b.l.fset.Position(pos), format, args...)
		return
	}
	if b.t.pos.IsValid() {
		b.diags.add(b.l.fset.Position(b.t.pos), format, args...)
		return
	}
	b.diags.add(b.l.flagsPos, "-type %s: "+format, append([]any{b.t.flag}, args...)...)
}

func (b *builder) recipient() (model.Recipient, bool) {
	t, obj := b.t, b.t.obj
	named, _ := types.Unalias(obj.Type()).(*types.Named)
	iface, _ := obj.Type().Underlying().(*types.Interface)
	switch {
	case named == nil || iface == nil:
		b.errorf(t.pos, "%s is not an interface type", obj.Name())
		return model.Recipient{}, false
	case !iface.IsMethodSet():
		b.errorf(t.pos, "%s is a constraint with a type set, not an interface a value can have", obj.Name())
		return model.Recipient{}, false
	case iface.NumMethods() == 0:
		b.errorf(t.pos, "%s has no methods: there is nothing to dispatch", obj.Name())
		return model.Recipient{}, false
	}
	r := model.Recipient{Name: t.name, Exported: token.IsExported(t.name)}
	r.Iface = model.Type{Kind: model.Named, Name: obj.Name()}
	if obj.Pkg().Path() != t.into.PkgPath {
		if !obj.Exported() {
			b.errorf(t.pos, "%s is unexported in package %s: a dispatcher in another package cannot name it", obj.Name(), obj.Pkg().Path())
			return r, false
		}
		r.Iface.Path, r.Iface.PkgName = obj.Pkg().Path(), obj.Pkg().Name()
		b.conv.imports[obj.Pkg().Path()] = obj.Pkg().Name()
		b.noteDeprecated(obj, qualifiedName(obj, t.into.PkgPath))
	}
	ok := b.key(&r)
	ok = b.contractNames(&r) && ok
	methods := orderedMethods(b.l, named, b.t.spec, b.t.decl)
	methodNames := map[string]bool{}
	for _, m := range methods {
		methodNames[m.fn.Name()] = true
	}
	r.Methods = make([]model.Method, len(methods))
	for i, m := range methods {
		ok = b.resultName(&r, &r.Methods[i], m.fn) && ok
	}
	for i, m := range methods {
		b.messageName(&r, &r.Methods[i], m.fn)
	}
	ok = b.typeParams(&r, named.TypeParams()) && ok
	for i, m := range methods {
		ok = b.method(&r, &r.Methods[i], m, methodNames) && ok
	}
	if t.opts.remote {
		ok = b.wire(&r, methods) && ok
	}
	ok = b.errorType(&r) && ok
	for _, o := range b.conv.objects {
		b.noteDeprecated(o, qualifiedName(o, t.into.PkgPath))
	}
	b.fieldNames(&r, methodNames)
	return r, ok
}

// key sets the recipient's key type from the key= option, or string.
func (b *builder) key(r *model.Recipient) bool {
	o := b.t.opts
	if o.key == "" {
		r.Key = model.Type{Kind: model.Basic, Name: "string"}
		return true
	}
	tv, err := types.Eval(b.l.fset, b.t.decl.Types, o.keyPos, o.key)
	switch {
	case err != nil:
		// types.Eval names its input "eval": the position is ours.
		msg := err.Error()
		if _, rest, ok := strings.Cut(msg, ": "); ok && strings.HasPrefix(msg, "eval:") {
			msg = rest
		}
		b.errorf(o.keyPos, "key=%s: %s", o.key, msg)
		return false
	case !tv.IsType():
		b.errorf(o.keyPos, "key=%s is not a type", o.key)
		return false
	case !types.Comparable(tv.Type):
		b.errorf(o.keyPos, "key=%s is not comparable: keys are map keys, so use a type == works on", o.key)
		return false
	}
	before := len(b.conv.problems)
	r.Key = b.conv.typ(tv.Type)
	if len(b.conv.problems) > before {
		for _, p := range b.conv.takeProblems(before) {
			b.errorf(o.keyPos, "key=%s uses %s", o.key, p)
		}
		return false
	}
	return true
}

// method models one method and checks it.
func (b *builder) method(r *model.Recipient, m *model.Method, im ifaceMethod, methodNames map[string]bool) bool {
	fn := im.fn
	sig := fn.Signature()
	m.Name, m.Ctx, m.Variadic = fn.Name(), -1, sig.Variadic()
	pos, embedded := fn.Pos(), ""
	if !b.l.inUserSource(pos) && im.via.IsValid() {
		pos, embedded = im.via, ", embedded here,"
	}
	name := b.t.obj.Name() + "." + fn.Name()
	if !fn.Exported() && fn.Pkg() != nil && fn.Pkg().Path() != b.t.into.PkgPath {
		// Whatever else is wrong with the method does not matter.
		b.errorf(pos, "method %s%s is unexported in package %s: a Ref in package %s cannot implement it", name, embedded, fn.Pkg().Path(), b.t.into.PkgPath)
		return false
	}
	ok := true
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
		if isError(results.At(n - 1).Type()) {
			m.HasError = true
			n--
		} else if b.t.opts.noErrorPanic {
			m.Panics = true
		} else {
			b.errorf(pos, "method %s%s returns %s without a final error: a dispatched call can fail (no recipient, closed, panic), so %s", name, embedded, b.resultsString(results), b.noErrorAdvice())
			ok = false
		}
	}
	for i := range n {
		v := results.At(i)
		m.Results = append(m.Results, model.Var{Name: v.Name(), Type: b.conv.typ(v.Type())})
	}
	if problems := b.conv.takeProblems(before); len(problems) > 0 {
		for _, p := range problems {
			if p == invalidType {
				b.errorf(pos, "method %s%s does not type-check", name, embedded)
				continue
			}
			b.errorf(pos, "method %s%s uses %s", name, embedded, p)
		}
		b.typeErrors(fn.Pos())
		ok = false
	}
	if !m.OneWay() {
		suffix := cmp.Or(b.t.opts.async, DefaultAsync)
		m.Async = fn.Name() + suffix
		if methodNames[m.Async] {
			b.errorf(pos, "%s already has a method %s, which %s needs for the asynchronous variant of %s: %s", b.t.obj.Name(), m.Async, r.Names.Ref, fn.Name(), b.asyncAdvice(methodNames))
			ok = false
		}
	}
	if m.Result != "" {
		m.ResultFields = resultFields(m.Results)
	}
	m.Deprecated = b.docs.notice(fn)
	if fn.Pkg() != nil && fn.Pkg().Path() != b.t.into.PkgPath {
		b.noteDeprecated(fn, qualifiedName(b.t.obj, b.t.into.PkgPath)+"."+fn.Name())
	}
	return ok
}

// noErrorAdvice says how to generate a method without a final error.
func (b *builder) noErrorAdvice() string {
	if b.t.flag != "" {
		return "generate it with -noerror=" + NoErrorPanic + ", under which the Ref panics instead"
	}
	return "return error last, or let the Ref panic instead with " + withOption(b.t.opts, "noerror", NoErrorPanic)
}

// asyncAdvice says how to choose another suffix for the asynchronous
// variants, one under which no variant collides with a method of
// methodNames, the interface's, so that following it does not meet the
// same refusal.
func (b *builder) asyncAdvice(methodNames map[string]bool) string {
	suffix := freeSuffix(methodNames)
	if b.t.flag != "" {
		return "choose another suffix, as in -async=" + suffix
	}
	return "choose another suffix, as in " + withOption(b.t.opts, "async", suffix)
}

// freeSuffix returns the first of Future, Later, Deferred, Future2, ...
// that names no method of methodNames when put after one of them.
func freeSuffix(methodNames map[string]bool) string {
	free := func(suffix string) bool {
		for name := range methodNames {
			if methodNames[name+suffix] {
				return false
			}
		}
		return true
	}
	for _, s := range []string{"Future", "Later", "Deferred"} {
		if free(s) {
			return s
		}
	}
	for i := 2; ; i++ {
		if s := "Future" + strconv.Itoa(i); free(s) {
			return s
		}
	}
}

// resultsString writes a method's results as the generated package's
// source would: one result bare, several in parentheses.
func (b *builder) resultsString(results *types.Tuple) string {
	into := b.t.into.PkgPath
	qualify := func(p *types.Package) string {
		if p.Path() == into {
			return ""
		}
		return p.Name()
	}
	if results.Len() == 1 {
		return types.TypeString(results.At(0).Type(), qualify)
	}
	parts := make([]string, results.Len())
	for i := range results.Len() {
		parts[i] = types.TypeString(results.At(i).Type(), qualify)
	}
	return "(" + strings.Join(parts, ", ") + ")"
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

// noteDeprecated records a declaration of another package that the
// generated code names, if it is deprecated.
func (b *builder) noteDeprecated(obj types.Object, name string) {
	if obj.Pkg() == nil || obj.Pkg().Path() == b.t.into.PkgPath {
		return
	}
	if b.docs.deprecated(obj) {
		b.deprecated = append(b.deprecated, name)
	}
}

// qualifiedName writes obj as code of package into refers to it.
func qualifiedName(obj types.Object, into string) string {
	if obj.Pkg() == nil || obj.Pkg().Path() == into {
		return obj.Name()
	}
	return obj.Pkg().Name() + "." + obj.Name()
}

func mergeDeprecated(have, more []string) []string {
	for _, m := range more {
		if !slices.Contains(have, m) {
			have = append(have, m)
		}
	}
	return have
}

func isContext(t types.Type) bool {
	n, ok := types.Unalias(t).(*types.Named)
	return ok && n.Obj().Pkg() != nil && n.Obj().Pkg().Path() == "context" && n.Obj().Name() == "Context"
}

func isError(t types.Type) bool {
	return types.Identical(t, types.Universe.Lookup("error").Type())
}
