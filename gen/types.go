package gen

import (
	"fmt"
	"go/token"
	"go/types"
	"slices"
	"strings"

	"github.com/dispatchgen/dispatchgen/model"
)

// converter turns go/types types into model types as the generated file,
// in package into, must spell them. It records the packages they need, the
// declarations of other packages they name, and the types that cannot be
// spelled there.
type converter struct {
	into string
	// imports maps the import path of every package the types refer to
	// to the name the package declares.
	imports map[string]string
	// objects are the declarations of other packages the types name.
	objects []types.Object
	// problems are the reasons some type cannot be spelled in into, each
	// a phrase that follows "uses".
	problems []string
	// tparams are the names the generated code gives the recipient's type
	// parameters.
	tparams map[*types.TypeName]string
	// inConstraint is set while converting a type parameter's constraint,
	// where an interface that cannot be named can be spelled out instead.
	inConstraint bool
}

// invalidType is the problem of a type that did not type-check; the type
// checker's own error says why.
const invalidType = "a type that does not type-check"

func newConverter(into string) *converter {
	return &converter{into: into, imports: map[string]string{}, tparams: map[*types.TypeName]string{}}
}

func (c *converter) problem(format string, args ...any) {
	c.problems = append(c.problems, fmt.Sprintf(format, args...))
}

// takeProblems removes the problems recorded since the first before and
// returns them, each once.
func (c *converter) takeProblems(before int) []string {
	var out []string
	for _, p := range c.problems[before:] {
		if !slices.Contains(out, p) {
			out = append(out, p)
		}
	}
	c.problems = c.problems[:before]
	return out
}

// constraint converts a type parameter's constraint. An interface of
// another package that the generated code cannot name, being unexported,
// is spelled out as its type set, which constrains the same types.
func (c *converter) constraint(t types.Type) model.Type {
	c.inConstraint = true
	defer func() { c.inConstraint = false }()
	return c.typ(t)
}

func (c *converter) typ(t types.Type) model.Type {
	switch t := t.(type) {
	case *types.Basic:
		if t.Kind() == types.Invalid {
			c.problem(invalidType)
			return model.Type{Kind: model.Basic, Name: "invalid"}
		}
		if t.Kind() == types.UnsafePointer {
			c.imports["unsafe"] = "unsafe"
			return model.Type{Kind: model.Named, Name: "Pointer", Path: "unsafe", PkgName: "unsafe"}
		}
		return model.Type{Kind: model.Basic, Name: t.Name()}
	case *types.Alias:
		obj := t.Obj()
		if obj.Pkg() == nil {
			return model.Type{Kind: model.Basic, Name: obj.Name()} // any
		}
		return c.named(obj, t.TypeArgs(), t)
	case *types.Named:
		obj := t.Obj()
		if obj.Pkg() == nil {
			return model.Type{Kind: model.Basic, Name: obj.Name()} // error, comparable
		}
		if obj.Parent() != nil && obj.Parent() != obj.Pkg().Scope() {
			c.problem("type %s, which is declared inside a function, where the generated code cannot name it", obj.Name())
		}
		return c.named(obj, t.TypeArgs(), t)
	case *types.TypeParam:
		name, ok := c.tparams[t.Obj()]
		if !ok {
			name = t.Obj().Name()
		}
		return model.Type{Kind: model.TypeParamRef, Name: name}
	case *types.Pointer:
		return c.wrap(model.Pointer, t.Elem())
	case *types.Slice:
		return c.wrap(model.Slice, t.Elem())
	case *types.Array:
		m := c.wrap(model.Array, t.Elem())
		m.Len = t.Len()
		return m
	case *types.Map:
		m := c.wrap(model.Map, t.Elem())
		key := c.typ(t.Key())
		m.Key = &key
		return m
	case *types.Chan:
		m := c.wrap(model.Chan, t.Elem())
		m.Dir = map[types.ChanDir]model.ChanDir{types.SendRecv: model.SendRecv, types.SendOnly: model.SendOnly, types.RecvOnly: model.RecvOnly}[t.Dir()]
		return m
	case *types.Signature:
		return model.Type{Kind: model.Func, Params: c.vars(t.Params()), Results: c.vars(t.Results()), Variadic: t.Variadic()}
	case *types.Struct:
		m := model.Type{Kind: model.Struct}
		for i := range t.NumFields() {
			f := t.Field(i)
			if !f.Exported() && f.Pkg() != nil && f.Pkg().Path() != c.into {
				c.problem("a struct type with unexported field %s of package %s, which the generated code in package %s cannot spell", f.Name(), f.Pkg().Path(), c.into)
			}
			m.Fields = append(m.Fields, model.Var{Name: f.Name(), Type: c.typ(f.Type()), Embedded: f.Embedded(), Tag: t.Tag(i)})
		}
		return m
	case *types.Interface:
		m := model.Type{Kind: model.Interface}
		for i := range t.NumEmbeddeds() {
			m.Embeds = append(m.Embeds, c.typ(t.EmbeddedType(i)))
		}
		for i := range t.NumExplicitMethods() {
			f := t.ExplicitMethod(i)
			if !f.Exported() && f.Pkg() != nil && f.Pkg().Path() != c.into {
				c.problem("an interface type with unexported method %s of package %s, which the generated code in package %s cannot spell", f.Name(), f.Pkg().Path(), c.into)
			}
			m.Methods = append(m.Methods, model.Var{Name: f.Name(), Type: c.typ(f.Signature())})
		}
		return m
	case *types.Union:
		m := model.Type{Kind: model.Union}
		for i := range t.Len() {
			term := t.Term(i)
			m.Terms = append(m.Terms, model.Term{Tilde: term.Tilde(), Type: c.typ(term.Type())})
		}
		return m
	}
	c.problem("type %s, which dispatchgen cannot spell", t)
	return model.Type{Kind: model.Basic, Name: "invalid"}
}

func (c *converter) wrap(k model.Kind, elem types.Type) model.Type {
	e := c.typ(elem)
	return model.Type{Kind: k, Elem: &e}
}

// named converts a named type or alias t, declared by obj with type
// arguments args.
func (c *converter) named(obj *types.TypeName, args *types.TypeList, t types.Type) model.Type {
	pkg := obj.Pkg()
	m := model.Type{Kind: model.Named, Name: obj.Name()}
	if pkg.Path() != c.into {
		switch {
		case !token.IsExported(obj.Name()) && c.inConstraint && types.IsInterface(t):
			return c.typ(t.Underlying())
		case !token.IsExported(obj.Name()):
			c.problem("unexported type %s.%s of another package, which the generated code in package %s cannot name", pkg.Name(), obj.Name(), c.into)
		case !mayImport(c.into, pkg.Path()):
			c.problem("%s.%s of %s, an internal package that the generated code in package %s may not import", pkg.Name(), obj.Name(), pkg.Path(), c.into)
		}
		m.Path, m.PkgName = pkg.Path(), pkg.Name()
		c.imports[pkg.Path()] = pkg.Name()
		c.objects = append(c.objects, obj)
	}
	for i := range args.Len() {
		m.Args = append(m.Args, c.typ(args.At(i)))
	}
	return m
}

// mayImport reports whether the package at path from may import the one at
// path imp: a package under an internal directory only from the tree rooted
// at the internal directory's parent.
func mayImport(from, imp string) bool {
	parent, ok := "", false
	switch {
	case strings.HasSuffix(imp, "/internal"):
		parent, ok = strings.TrimSuffix(imp, "/internal"), true
	case strings.Contains(imp, "/internal/"):
		parent, ok = imp[:strings.LastIndex(imp, "/internal/")], true
	case imp == "internal" || strings.HasPrefix(imp, "internal/"):
		// The standard library's: only for the standard library.
		first, _, _ := strings.Cut(from, "/")
		return !strings.Contains(first, ".")
	}
	return !ok || from == parent || strings.HasPrefix(from, parent+"/")
}

// vars converts the parameters or results of a func type, unnamed: their
// names mean nothing in a type and could only collide.
func (c *converter) vars(t *types.Tuple) []model.Var {
	out := make([]model.Var, t.Len())
	for i := range t.Len() {
		out[i] = model.Var{Type: c.typ(t.At(i).Type())}
	}
	return out
}
