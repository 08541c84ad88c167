package templates

import (
	"github.com/dave/jennifer/jen"

	"github.com/dispatchgen/dispatchgen/model"
)

// ref emits XRef, which implements the interface by sending each call to
// the recipient under its key, and the MAsync variants.
func (g gen) ref(f *jen.File) {
	r, n := g.r, g.r.Names
	f.Line()
	f.Commentf("%s implements %s: each call runs on the recipient registered under its key", n.Ref, g.ifaceName())
	f.Comment("when the call is made, and waits for its reply; a call to a method without")
	f.Comment("results does not wait. The zero value is not usable: get one from To.")
	f.Type().Add(g.declare(n.Ref)).Struct(
		jen.Id(n.RefDispatcher).Op("*").Add(g.generic(n.Dispatcher)),
		jen.Id(n.RefDest).Add(runtimeQual("Dest").Types(g.typ(r.Key))),
	)
	if len(r.TypeParams) == 0 {
		f.Line()
		f.Var().Id("_").Add(g.typ(r.Iface)).Op("=").Add(g.generic(n.Ref)).Values()
	}
	for i := range r.Methods {
		m := &r.Methods[i]
		g.refMethod(f, m)
		if m.Async != "" {
			g.asyncMethod(f, m)
		}
	}
}

// params declares the method's parameters under their generated names.
func (g gen) params(m *model.Method) []jen.Code {
	out := make([]jen.Code, len(m.Params))
	for i, p := range m.Params {
		if m.Variadic && i == len(m.Params)-1 {
			out[i] = jen.Id(p.Name).Op("...").Add(g.typ(*p.Type.Elem))
		} else {
			out[i] = jen.Id(p.Name).Add(g.typ(p.Type))
		}
	}
	return out
}

// callCtx is the context a call travels with: the method's own, or
// context.Background() for a method that takes none.
func callCtx(m *model.Method) jen.Code {
	if m.Ctx >= 0 {
		return jen.Id(m.Params[m.Ctx].Name)
	}
	return jen.Qual(model.ContextPath, "Background").Call()
}

// resultType is the type a call's Future holds.
func (g gen) resultType(m *model.Method) jen.Code {
	switch {
	case m.Result != "":
		return g.generic(m.Result)
	case len(m.Results) == 1:
		return g.typ(m.Results[0].Type)
	}
	return jen.Struct()
}

func (g gen) results(m *model.Method) jen.Code {
	ts := make([]jen.Code, 0, len(m.Results)+1)
	for _, v := range m.Results {
		ts = append(ts, g.typ(v.Type))
	}
	if m.HasError {
		ts = append(ts, jen.Error())
	}
	switch len(ts) {
	case 0:
		return jen.Null()
	case 1:
		return ts[0]
	}
	return jen.Params(ts...)
}

// fieldValues assigns the call's arguments to the message's fields.
func fieldValues(m *model.Method) jen.Dict {
	if m.Args != nil {
		return jen.Dict{jen.Id(model.ArgsField): argsValue(m)}
	}
	d := jen.Dict{}
	for i, p := range m.Params {
		if i != m.Ctx {
			d[jen.Id(p.Name)] = jen.Id(p.Name)
		}
	}
	return d
}

// receiver is the receiver of the Ref's methods.
func (g gen) receiver() *jen.Statement {
	return jen.Id(g.r.Locals.Ref).Add(g.generic(g.r.Names.Ref))
}

// dest is the Ref's runtime.Dest.
func (g gen) dest() *jen.Statement {
	return jen.Id(g.r.Locals.Ref).Dot(g.r.Names.RefDest)
}

func (g gen) refMethod(f *jen.File, m *model.Method) {
	if m.OneWay() {
		g.sendMethod(f, m)
		return
	}
	v := g.r.Locals
	msg := jen.Id(v.Message)
	pool := jen.Id(v.Ref).Dot(g.r.Names.RefDispatcher).Dot(m.Pool)
	body := []jen.Code{msg.Clone().Op(":=").Add(pool.Dot("Get").Call())}
	body = append(body, g.setFields(m)...)
	call := runtimeQual("Call").Call(callCtx(m), g.dest(), msg.Clone())
	var doc string
	switch {
	case m.Panics:
		doc = "%s calls %s on the recipient and waits for its result."
		body = append(body, g.panicking(m, call)...)
	case m.Result != "":
		doc = "%s calls %s on the recipient and waits for its results."
		body = append(body,
			jen.List(jen.Id(v.Res), jen.Id(v.Err)).Op(":=").Add(call),
			jen.Return(append(g.resultFields(m), jen.Id(v.Err))...))
	case len(m.Results) == 1:
		doc = "%s calls %s on the recipient and waits for its result."
		body = append(body, jen.Return(call))
	default:
		doc = "%s calls %s on the recipient and waits for it to return."
		body = append(body,
			jen.List(jen.Id("_"), jen.Id(v.Err)).Op(":=").Add(call),
			jen.Return(jen.Id(v.Err)))
	}
	f.Line()
	f.Commentf(doc, m.Name, m.Name)
	if m.Panics {
		f.Commentf("It panics with a *%s if the call fails; %s does not.", g.r.Names.CallError, m.Async)
	}
	g.deprecated(f, m)
	f.Func().Params(g.receiver()).Id(m.Name).Params(g.params(m)...).Add(g.results(m)).Block(body...)
}

// panicking is the end of a Ref method without a final error: it returns
// the results, or panics with the error type if the call failed.
func (g gen) panicking(m *model.Method, call jen.Code) []jen.Code {
	v := g.r.Locals
	rets := []jen.Code{jen.Id(v.Res)}
	if m.Result != "" {
		rets = g.resultFields(m)
	}
	return []jen.Code{
		jen.List(jen.Id(v.Res), jen.Id(v.Err)).Op(":=").Add(call),
		jen.If(jen.Id(v.Err).Op("!=").Nil()).Block(
			jen.Panic(jen.Op("&").Id(g.r.Names.CallError).Values(jen.Dict{
				jen.Id("Key"):    g.dest().Dot("Key").Call(),
				jen.Id("Method"): jen.Lit(m.Name),
				jen.Id("Err"):    jen.Id(v.Err),
			})),
		),
		jen.Return(rets...),
	}
}

// resultFields reads the fields of a method's result struct, in order.
func (g gen) resultFields(m *model.Method) []jen.Code {
	out := make([]jen.Code, len(m.ResultFields))
	for i, field := range m.ResultFields {
		out[i] = jen.Id(g.r.Locals.Res).Dot(field)
	}
	return out
}

// deprecated repeats a method's deprecation notice in the doc comment of
// the Ref's method, so that its callers hear of it too.
func (g gen) deprecated(f *jen.File, m *model.Method) {
	if m.Deprecated != "" {
		f.Comment("")
		f.Comment(m.Deprecated)
	}
}

// sendMethod emits the Ref method of a method without results, whose
// message travels by value.
func (g gen) sendMethod(f *jen.File, m *model.Method) {
	lane := jen.Op("&").Id(g.r.Locals.Ref).Dot(g.r.Names.RefDispatcher).Dot(m.Pool)
	msg := g.generic(m.Message).Values(fieldValues(m))
	f.Line()
	f.Commentf("%s sends %s to the recipient without waiting for it to be handled.", m.Name, m.Name)
	g.deprecated(f, m)
	f.Func().Params(g.receiver()).Id(m.Name).Params(g.params(m)...).Block(
		runtimeQual("Send").Call(callCtx(m), g.dest(), lane, msg),
	)
}

// setFields assigns the call's arguments to the fields of the message.
func (g gen) setFields(m *model.Method) []jen.Code {
	if m.Args != nil {
		return []jen.Code{jen.Id(g.r.Locals.Message).Dot(model.ArgsField).Op("=").Add(argsValue(m))}
	}
	var lhs, rhs []jen.Code
	for i, p := range m.Params {
		if i != m.Ctx {
			lhs = append(lhs, jen.Id(g.r.Locals.Message).Dot(p.Name))
			rhs = append(rhs, jen.Id(p.Name))
		}
	}
	if len(lhs) == 0 {
		return nil
	}
	return []jen.Code{jen.List(lhs...).Op("=").List(rhs...)}
}

func (g gen) asyncMethod(f *jen.File, m *model.Method) {
	msg := jen.Op("&").Add(g.generic(m.Message)).Values(fieldValues(m))
	f.Line()
	f.Commentf("%s calls %s on the recipient and returns at once a Future of its result.", m.Async, m.Name)
	g.deprecated(f, m)
	f.Func().Params(g.receiver()).Id(m.Async).Params(g.params(m)...).Op("*").Add(runtimeQual("Future").Types(g.resultType(m))).Block(
		jen.Return(runtimeQual("Async").Call(callCtx(m), g.dest(), msg)),
	)
}
