package gen

import (
	"go/token"
	"go/types"
	"strconv"

	"github.com/dispatchgen/dispatchgen/model"
)

// wire models the wire side of a recipient annotated remote, and reports,
// each where it is written, what cannot cross a process: a parameter or a
// result that a codec cannot write and read back, or a key with no text
// form.
func (b *builder) wire(r *model.Recipient, methods []ifaceMethod) bool {
	ok := true
	if named, _ := types.Unalias(b.t.obj.Type()).(*types.Named); named != nil && named.TypeParams().Len() > 0 {
		b.errorf(b.t.pos, "%s has type parameters, which a remote interface cannot have: the generator cannot check that their type arguments cross a process", b.t.obj.Name())
		ok = false
	}
	ok = b.wireKey() && ok
	r.Wire = &model.Wire{Method: "wire"}
	for i, im := range methods {
		m := &r.Methods[i]
		m.Args = &model.WireArgs{Type: b.names.fresh(lowerFirst(r.Name) + upperFirst(im.fn.Name()) + "Args")}
		ok = b.wireMethod(m, im) && ok
	}
	return ok
}

// wireKey reports a key type with no text form, which a subject cannot
// carry.
func (b *builder) wireKey() bool {
	o := b.t.opts
	if o.key == "" {
		return true
	}
	tv, err := types.Eval(b.l.fset, b.t.decl.Types, o.keyPos, o.key)
	if err != nil || !tv.IsType() || hasTextForm(tv.Type) {
		return true // key has reported it
	}
	b.errorf(o.keyPos, "key=%s has no text form, which a remote key needs: use a string, an integer or a type that implements encoding.TextMarshaler", o.key)
	return false
}

// wireMethod reports the parameters and results of one method that cannot
// cross a process, and makes its results' fields ones a codec writes.
func (b *builder) wireMethod(m *model.Method, im ifaceMethod) bool {
	fn := im.fn
	sig := fn.Signature()
	name := b.t.obj.Name() + "." + fn.Name()
	ok := true
	check := func(what string, v *types.Var) {
		if why := wireProblem(v.Type(), b.qualifier()); why != "" {
			pos := v.Pos()
			if !b.l.inUserSource(pos) {
				pos = fn.Pos()
				if !b.l.inUserSource(pos) && im.via.IsValid() {
					pos = im.via
				}
			}
			b.errorf(pos, "%s of %s has type %s, which cannot cross a process: %s", what, name, types.TypeString(v.Type(), b.qualifier()), why)
			ok = false
		}
	}
	params := sig.Params()
	for i := range params.Len() {
		if i != m.Ctx {
			check(varName("parameter", params.At(i), i, params.Len()), params.At(i))
		}
	}
	results := sig.Results()
	n := results.Len()
	if m.HasError {
		n--
	}
	for i := range n {
		check(varName("result", results.At(i), i, n), results.At(i))
	}
	// A codec writes exported fields only.
	fields := newNamer()
	for i, f := range m.ResultFields {
		if !token.IsExported(f) {
			f = "X" + f
		}
		m.ResultFields[i] = fields.fresh(f)
	}
	return ok
}

// varName names a parameter or a result in a diagnostic: by its name, or
// by its place among n when it has none.
func varName(kind string, v *types.Var, i, n int) string {
	switch {
	case v.Name() != "" && v.Name() != "_":
		return kind + " " + v.Name()
	case n == 1:
		return "the " + kind
	}
	return kind + " " + strconv.Itoa(i+1)
}

// qualifier writes types as the generated package refers to them.
func (b *builder) qualifier() types.Qualifier {
	into := b.t.into.PkgPath
	return func(p *types.Package) string {
		if p.Path() == into {
			return ""
		}
		return p.Name()
	}
}

// nameWire names the generated code's wire side of r apart from the
// locals of the file's scope, and the fields of each method's arguments
// after the parameters they hold.
func nameWire(r *model.Recipient, locals *namer) {
	r.Wire.To, r.Wire.In = locals.fresh("to"), locals.fresh("in")
	for mi := range r.Methods {
		m := &r.Methods[mi]
		fields := newNamer()
		m.Args.Fields = make([]string, len(m.Params))
		m.Args.Tags = make([]string, len(m.Params))
		for i, p := range m.Params {
			if i == m.Ctx {
				continue
			}
			f := upperFirst(p.Name)
			if !token.IsExported(f) {
				f = "X" + f
			}
			m.Args.Fields[i] = fields.fresh(f)
			m.Args.Tags[i] = p.Name
		}
	}
}
