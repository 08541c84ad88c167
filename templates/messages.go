package templates

import (
	"github.com/dave/jennifer/jen"

	"github.com/dispatchgen/dispatchgen/model"
)

// messages emits, for each method, the message type that carries a call's
// arguments to the recipient and its results back, and the result struct of a
// method with several results.
func (g gen) messages(f *jen.File) {
	for i := range g.r.Methods {
		m := &g.r.Methods[i]
		if m.Result != "" {
			g.resultStruct(f, m)
		}
		if m.Args != nil {
			g.argsStruct(f, m)
		}
		g.message(f, m)
	}
}

func (g gen) resultStruct(f *jen.File, m *model.Method) {
	fields := make([]jen.Code, len(m.Results))
	for i, v := range m.Results {
		fields[i] = jen.Id(m.ResultFields[i]).Add(g.typ(v.Type))
	}
	f.Line()
	f.Commentf("%s holds the results of %s.%s, for its Future.", m.Result, g.ifaceName(), m.Name)
	f.Type().Add(g.declare(m.Result)).Struct(fields...)
}

func (g gen) message(f *jen.File, m *model.Method) {
	v := g.r.Locals
	var fields []jen.Code
	self := jen.Op("*").Add(g.generic(m.Message))
	if m.OneWay() {
		// Sent by value: see runtime.Lane.
		self = g.generic(m.Message)
	} else {
		fields = append(fields, runtimeQual("Request").Types(g.resultType(m)))
	}
	for i, p := range m.Params {
		if i != m.Ctx && m.Args == nil {
			fields = append(fields, jen.Id(p.Name).Add(g.typ(p.Type)))
		}
	}
	if m.Args != nil {
		fields = append(fields, jen.Id(model.ArgsField).Id(m.Args.Type))
	}
	f.Line()
	f.Type().Add(g.declare(m.Message)).Struct(fields...)

	f.Line()
	f.Func().Params(self.Clone()).Id("Method").Params().String().Block(jen.Return(jen.Lit(m.Name)))

	ctxName := v.Ctx
	if m.Ctx < 0 {
		ctxName = "_"
	}
	f.Line()
	f.Func().Params(jen.Id(v.Message).Add(self)).Id("Run").Params(jen.Id(ctxName).Add(contextType()), jen.Id(v.Impl).Any()).Block(g.runBody(m)...)
	if m.Args != nil {
		g.wireArgs(f, m, self.Clone())
	}
}

// runBody calls the method on the recipient with the message's arguments
// and resolves the message with what it returns.
func (g gen) runBody(m *model.Method) []jen.Code {
	v := g.r.Locals
	msg := jen.Id(v.Message)
	args := make([]jen.Code, len(m.Params))
	for i := range m.Params {
		switch {
		case i == m.Ctx:
			args[i] = jen.Id(v.Ctx)
		case m.Variadic && i == len(m.Params)-1:
			args[i] = g.argRef(m, i).Op("...")
		default:
			args[i] = g.argRef(m, i)
		}
	}
	call := g.impl().Dot(m.Name).Call(args...)
	resolve := msg.Clone().Dot("Resolve")
	// A method without a final error resolves its message with a nil one.
	errValue := jen.Id(v.Err)
	if m.Panics {
		errValue = jen.Nil()
	}
	switch {
	case m.OneWay():
		return []jen.Code{call}
	case m.Result != "":
		vars := make([]jen.Code, len(m.Results))
		vals := jen.Dict{}
		for i, name := range m.ResultVars {
			vars[i] = jen.Id(name)
			vals[jen.Id(m.ResultFields[i])] = jen.Id(name)
		}
		if !m.Panics {
			vars = append(vars, jen.Id(v.Err))
		}
		return []jen.Code{
			jen.List(vars...).Op(":=").Add(call),
			resolve.Call(g.generic(m.Result).Values(vals), errValue),
		}
	case m.Panics:
		return []jen.Code{resolve.Call(call, jen.Nil())}
	case len(m.Results) == 1:
		return []jen.Code{resolve.Call(call)}
	}
	return []jen.Code{resolve.Call(jen.Struct().Values(), call)}
}
