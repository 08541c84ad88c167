package gen

import (
	"go/token"
	"go/types"
	"strconv"
	"strings"

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

// wireProblem says why a value of type t cannot cross a process through a
// codec (JSON or CBOR, which read exported struct fields, map keys with a
// text form and types that marshal themselves), or returns "".
func wireProblem(t types.Type, q types.Qualifier) string {
	path, why := typeProblem(t, q, false, map[types.Type]bool{})
	switch {
	case why == "":
		return ""
	case strings.HasPrefix(why, "has "):
		subject := strings.Join(path, ".")
		if subject == "" {
			subject = "it"
		}
		return subject + " " + why
	case len(path) > 0:
		return strings.Join(path, ".") + ": " + why
	}
	return why
}

// typeProblem finds what wireProblem reports, and the path of struct
// fields to it: the struct type's name first, when it has one and is not
// itself a field's. seen holds the named types being checked, so that a
// recursive type ends.
func typeProblem(t types.Type, q types.Qualifier, field bool, seen map[types.Type]bool) (path []string, why string) {
	t = types.Unalias(t)
	if types.Identical(t, errorType) {
		// A transport carries a method's final error with its sentinel,
		// not an error value among the arguments, whose type the codec
		// cannot know.
		return nil, "an error crosses a process only as a method's last result"
	}
	if n, ok := t.(*types.Named); ok {
		if seen[n] {
			return nil, ""
		}
		if writer, reader := writesOnly(n); writer != "" {
			return nil, types.TypeString(n, q) + " writes itself with " + writer + ", and has no " + reader + " to read itself back"
		}
		byItself := marshalsItself(n)
		if byItself[0] && byItself[1] {
			return nil, ""
		}
		seen[n] = true
		path, why := typeProblem(n.Underlying(), q, field, seen)
		if why != "" && byItself[0] != byItself[1] {
			// One codec would have crossed it; the other writes its fields.
			by, other := codecNames[0], codecNames[1]
			if byItself[1] {
				by, other = other, by
			}
			why += ": " + types.TypeString(n, q) + " marshals itself for " + by + " alone, and " + other + " writes its fields"
		}
		_, isStruct := n.Underlying().(*types.Struct)
		switch {
		case !isStruct || why == "":
			return path, why
		case len(path) == 0:
			return nil, types.TypeString(n, q) + " " + why
		case field:
			return path, why
		}
		return append([]string{types.TypeString(n, q)}, path...), why
	}
	switch t := t.(type) {
	case *types.Basic:
		switch {
		case t.Info()&types.IsComplex != 0:
			return nil, "a complex number has no codec form"
		case t.Kind() == types.UnsafePointer:
			return nil, "a pointer of package unsafe points into this process"
		}
	case *types.Chan:
		return nil, "a channel stays in its process"
	case *types.Signature:
		return nil, "a func stays in its process"
	case *types.TypeParam:
		return nil, "the type argument of " + t.Obj().Name() + " is not known here"
	case *types.Interface:
		if t.NumMethods() > 0 || !t.IsMethodSet() {
			return nil, "the codec cannot know which type to decode an interface with methods into; only any (interface{}) crosses"
		}
	case *types.Pointer:
		return typeProblem(t.Elem(), q, field, seen)
	case *types.Slice:
		return typeProblem(t.Elem(), q, field, seen)
	case *types.Array:
		return typeProblem(t.Elem(), q, field, seen)
	case *types.Map:
		if !isStringOrInteger(t.Key()) && !marshalsText(t.Key()) {
			return nil, "map keys of type " + types.TypeString(t.Key(), q) + " have no text form: use a string, an integer or an encoding.TextMarshaler"
		}
		return typeProblem(t.Elem(), q, field, seen)
	case *types.Struct:
		for i := range t.NumFields() {
			f := t.Field(i)
			if !f.Exported() {
				return nil, "has the unexported field " + f.Name() + ", which the codec cannot write"
			}
			if path, why := typeProblem(f.Type(), q, true, seen); why != "" {
				return append([]string{f.Name()}, path...), why
			}
		}
	}
	return nil, ""
}

// hasTextForm reports whether keys of type t have the text form the
// runtime writes them in: a string, an integer, or what the value's
// MarshalText writes.
func hasTextForm(t types.Type) bool {
	return isStringOrInteger(t) || hasMethod(t, "MarshalText", marshalSig)
}

func isStringOrInteger(t types.Type) bool {
	b, ok := t.Underlying().(*types.Basic)
	return ok && b.Info()&(types.IsString|types.IsInteger) != 0
}

// marshalsText reports whether *T reads the text that T writes, as a map
// key of type T needs.
func marshalsText(t types.Type) bool {
	return hasMethod(t, "MarshalText", marshalSig) && hasMethod(types.NewPointer(t), "UnmarshalText", unmarshalSig)
}

// marshalsItself reports, for each codec of codecMarshalers, whether it
// writes a value of type n, and reads it back, by a pair of n's own
// methods rather than by its fields, as time.Time has for both. The
// value's own method set must marshal it, since a codec does not call a
// pointer method on a value it cannot address, such as a map's.
func marshalsItself(n *types.Named) (byCodec [2]bool) {
	for i, pairs := range codecMarshalers {
		for _, pair := range pairs {
			if hasMethod(n, pair[0], marshalSig) && hasMethod(types.NewPointer(n), pair[1], unmarshalSig) {
				byCodec[i] = true
			}
		}
	}
	return byCodec
}

// codecMarshalers are, for each codec natsdispatch offers (codecNames),
// the pairs of methods by which a value writes itself and reads itself
// back, the pair the codec prefers first: JSON's, then text's; CBOR's,
// then binary's, then text's, as natsdispatch configures CBOR.
var codecMarshalers = [2][][2]string{
	{{"MarshalJSON", "UnmarshalJSON"}, {"MarshalText", "UnmarshalText"}},
	{{"MarshalCBOR", "UnmarshalCBOR"}, {"MarshalBinary", "UnmarshalBinary"}, {"MarshalText", "UnmarshalText"}},
}

var codecNames = [2]string{"JSON", "CBOR"}

// writesOnly returns the method by which a codec would have a value of
// type n write itself, and the name of the method, missing from *n, that
// would read it back, or "" and "" when there is no such method or it has
// its reverse. Such a value crosses as text nobody reads: OpenTelemetry's
// trace.TraceID writes hexadecimal with MarshalJSON, which JSON cannot
// decode into its [16]byte.
func writesOnly(n *types.Named) (writer, reader string) {
	ptr := types.NewPointer(n)
	for _, pairs := range codecMarshalers {
		for _, pair := range pairs {
			if !hasMethod(ptr, pair[0], marshalSig) {
				continue
			}
			if !hasMethod(ptr, pair[1], unmarshalSig) {
				return pair[0], pair[1]
			}
			break
		}
	}
	return "", ""
}

// The signatures of MarshalText and MarshalJSON, and of their reverses.
var (
	byteSlice    = types.NewSlice(types.Typ[types.Byte])
	errorType    = types.Universe.Lookup("error").Type()
	marshalSig   = types.NewSignatureType(nil, nil, nil, nil, types.NewTuple(types.NewParam(token.NoPos, nil, "", byteSlice), types.NewParam(token.NoPos, nil, "", errorType)), false)
	unmarshalSig = types.NewSignatureType(nil, nil, nil, types.NewTuple(types.NewParam(token.NoPos, nil, "", byteSlice)), types.NewTuple(types.NewParam(token.NoPos, nil, "", errorType)), false)
)

// hasMethod reports whether t's method set has the method name with the
// signature sig.
func hasMethod(t types.Type, name string, sig *types.Signature) bool {
	sel := types.NewMethodSet(t).Lookup(nil, name)
	if sel == nil {
		return false
	}
	fn, ok := sel.Obj().(*types.Func)
	if !ok {
		return false
	}
	got := fn.Signature()
	return types.Identical(types.NewSignatureType(nil, nil, nil, got.Params(), got.Results(), got.Variadic()), sig)
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
