package templates

import (
	"github.com/dave/jennifer/jen"

	"github.com/dispatchgen/dispatchgen/model"
)

// The wire side of a recipient annotated //dispatch:recipient remote: each
// message keeps its arguments in a struct of exported fields that a codec
// writes, which WireArgs hands to the transport, and the dispatcher's wire
// method tells the runtime how to decode and serve each method's calls
// from other processes.

// remoteConstructor emits NewXDispatcher for a remote recipient, whose
// Router needs the dispatcher's wire method.
func (g gen) remoteConstructor(f *jen.File, self jen.Code) {
	r, n, v := g.r, g.r.Names, g.r.Locals
	d := jen.Id(v.Dispatcher)
	f.Func().Add(g.declare(n.NewDispatcher)).Params(jen.Id(v.Opts).Op("...").Add(runtimeQual("Option"))).Add(self).Block(
		d.Clone().Op(":=").Op("&").Add(g.generic(n.Dispatcher)).Values(),
		d.Clone().Dot(n.Router).Op("=").Add(runtimeQual("NewRemoteRouter").Types(g.typ(r.Key))).Call(
			jen.Lit(g.routerName()), d.Clone().Dot(r.Wire.Method).Call(), jen.Id(v.Opts).Op("..."),
		),
		jen.Return(d.Clone()),
	)
}

// argsStruct emits the struct of a remote method's arguments.
func (g gen) argsStruct(f *jen.File, m *model.Method) {
	var fields []jen.Code
	for i, p := range m.Params {
		if i != m.Ctx {
			fields = append(fields, jen.Id(m.Args.Fields[i]).Add(g.typ(p.Type)).Tag(map[string]string{"json": m.Args.Tags[i]}))
		}
	}
	f.Line()
	f.Commentf("%s are the arguments of %s.%s as they cross processes.", m.Args.Type, g.ifaceName(), m.Name)
	f.Type().Id(m.Args.Type).Struct(fields...)
}

// argsValue is the struct of a remote method's arguments, made of the
// parameters of the Ref's method.
func argsValue(m *model.Method) *jen.Statement {
	d := jen.Dict{}
	for i, p := range m.Params {
		if i != m.Ctx {
			d[jen.Id(m.Args.Fields[i])] = jen.Id(p.Name)
		}
	}
	return jen.Id(m.Args.Type).Values(d)
}

// argRef is the message's argument of parameter i, as Run passes it.
func (g gen) argRef(m *model.Method, i int) *jen.Statement {
	msg := jen.Id(g.r.Locals.Message)
	if m.Args != nil {
		return msg.Dot(model.ArgsField).Dot(m.Args.Fields[i])
	}
	return msg.Dot(m.Params[i].Name)
}

// wireArgs emits the message's WireArgs method, which hands its arguments
// to the transport's codec. It returns a pointer, so that a codec calls the
// arguments' pointer methods too.
func (g gen) wireArgs(f *jen.File, m *model.Method, self jen.Code) {
	f.Line()
	f.Func().Params(jen.Id(g.r.Locals.Message).Add(self)).Id("WireArgs").Params().Any().Block(
		jen.Return(jen.Op("&").Id(g.r.Locals.Message).Dot(model.ArgsField)),
	)
}

// wire emits the dispatcher's method that returns how the recipient's
// methods cross processes: for each, a Serve function that decodes the
// arguments of a call another process sent and runs it here.
func (g gen) wire(f *jen.File) {
	r, v, w := g.r, g.r.Locals, g.r.Wire
	methods := make([]jen.Code, len(r.Methods))
	for i := range r.Methods {
		m := &r.Methods[i]
		msg, in := jen.Id(v.Message), jen.Id(w.In)
		decl := msg.Clone().Op(":=").Op("&").Id(m.Message).Values()
		serve := runtimeQual("ServeCall").Call(jen.Id(w.To), msg.Clone(), in.Clone())
		fields := jen.Dict{jen.Id("Name"): jen.Lit(m.Name)}
		if m.OneWay() {
			decl = jen.Var().Add(msg.Clone()).Id(m.Message)
			lane := jen.Op("&").Id(v.Dispatcher).Dot(m.Pool)
			serve = runtimeQual("ServeSend").Call(jen.Id(w.To), lane, msg.Clone(), in.Clone())
			fields[jen.Id("OneWay")] = jen.True()
		}
		fields[jen.Id("Serve")] = jen.Func().Params(jen.Id(w.To).Add(runtimeQual("Dest").Types(g.typ(r.Key))), in.Clone().Op("*").Add(runtimeQual("Inbound"))).Block(
			decl,
			jen.If(jen.Id(v.Err).Op(":=").Add(in.Clone().Dot("Decode").Call(jen.Op("&").Add(msg.Clone()).Dot(model.ArgsField))), jen.Id(v.Err).Op("!=").Nil()).Block(
				in.Clone().Dot("Reply").Call(jen.Nil(), jen.Id(v.Err)),
				jen.Return(),
			),
			serve,
		)
		methods[i] = jen.Values(fields)
	}
	wire := runtimeQual("Wire").Types(g.typ(r.Key))
	f.Line()
	f.Commentf("%s is how %s's methods cross processes, for runtime.WithTransport.", w.Method, g.ifaceName())
	f.Func().Params(jen.Id(v.Dispatcher).Op("*").Add(g.generic(r.Names.Dispatcher))).Id(w.Method).Params().Add(wire.Clone()).Block(
		jen.Return(wire.Clone().Values(jen.Dict{
			jen.Id("Interface"): jen.Lit(r.Iface.Name),
			jen.Id("Methods"):   jen.Index().Add(runtimeQual("WireMethod").Types(g.typ(r.Key))).Values(methods...),
		})),
	)
}
