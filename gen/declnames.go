package gen

// The package-level names a recipient's file declares: those the design
// promises, which must be exactly so, and those generated for its methods,
// type parameters and errors, which give way to what the package declares.

import (
	"go/types"

	"github.com/dispatchgen/dispatchgen/model"
)

// fieldNames names the fields of the Ref, apart from its methods, and those
// of the dispatcher that keep each method's messages.
func (b *builder) fieldNames(r *model.Recipient, methodNames map[string]bool) {
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
		ok = b.claim(n) && ok
	}
	return ok
}

// claim takes a name that must be exactly n, reporting where the package
// already declares it.
func (b *builder) claim(n string) bool {
	if !b.names.isTaken(n) {
		b.names.take(n)
		return true
	}
	where := ""
	pos := b.names.testDecls[n]
	if obj := b.t.into.Types.Scope().Lookup(n); obj != nil {
		pos = obj.Pos()
	}
	if pos.IsValid() {
		where = " at " + relPos(b.l.fset.Position(pos), b.diags.Dir)
	}
	b.errorf(b.t.pos, "dispatchgen generates %s for %s, but it is already declared%s: rename that declaration or the interface", n, b.t.obj.Name(), where)
	return false
}

// resultName names the result struct of a method with several results
// besides the error, which the design promises: exactly so, so that every
// method's is named before any message type, whose name gives way.
func (b *builder) resultName(r *model.Recipient, m *model.Method, fn *types.Func) bool {
	results := fn.Signature().Results()
	n := results.Len()
	if n > 0 && isError(results.At(n-1).Type()) {
		n--
	}
	if n > 1 {
		m.Result = r.Name + upperFirst(fn.Name()) + "Result"
		return b.claim(m.Result)
	}
	return true
}

// messageName names the message type of a method, apart from what the
// package and the promised names have taken.
func (b *builder) messageName(r *model.Recipient, m *model.Method, fn *types.Func) {
	m.Message = b.names.fresh(lowerFirst(r.Name) + upperFirst(fn.Name()))
}

// errorType names the error type that the Ref's methods without a final
// error panic with, when there are any.
func (b *builder) errorType(r *model.Recipient) bool {
	for _, m := range r.Methods {
		if m.Panics {
			r.Names.CallError = r.Name + "CallError"
			b.conv.imports["fmt"] = "fmt"
			return b.claim(r.Names.CallError)
		}
	}
	return true
}

// typeParams names the recipient's type parameters in the generated
// declarations, which repeat them, and converts their constraints. A type
// parameter keeps its name unless it would hide something those
// declarations refer to: a predeclared identifier, the interface, a
// generated type or the key type.
func (b *builder) typeParams(r *model.Recipient, tps *types.TypeParamList) bool {
	hidden := newNamer(predeclaredUsed)
	hidden.take(r.Iface.Name)
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
	ok := true
	for i := range tps.Len() {
		tp := tps.At(i)
		name := b.conv.tparams[tp.Obj()]
		before := len(b.conv.problems)
		r.TypeParams = append(r.TypeParams, model.TypeParam{Name: name, Constraint: b.conv.constraint(tp.Constraint())})
		r.Iface.Args = append(r.Iface.Args, model.Type{Kind: model.TypeParamRef, Name: name})
		for _, p := range b.conv.takeProblems(before) {
			b.errorf(tp.Obj().Pos(), "type parameter %s of %s uses %s", tp.Obj().Name(), b.t.obj.Name(), p)
			ok = false
		}
	}
	return ok
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
