package templates

import (
	"github.com/dave/jennifer/jen"
)

// dispatcher emits XDispatcher, its constructor and its methods.
func (g gen) dispatcher(f *jen.File) {
	r, n := g.r, g.r.Names
	fields := []jen.Code{jen.Id(n.Router).Add(g.routerType())}
	for _, m := range r.Methods {
		if m.Pool == "" {
			continue
		}
		keeper := "Pool"
		if m.OneWay() {
			keeper = "Lane"
		}
		fields = append(fields, jen.Id(m.Pool).Add(runtimeQual(keeper).Types(g.generic(m.Message))))
	}
	f.Line()
	f.Commentf("%s routes calls to the %s registered under each key. Each recipient", n.Dispatcher, r.Name)
	f.Comment("has its own mailbox, served by one goroutine at a time.")
	f.Type().Add(g.declare(n.Dispatcher)).Struct(fields...)

	self := jen.Op("*").Add(g.generic(n.Dispatcher))
	f.Line()
	f.Commentf("%s returns a dispatcher with no recipients.", n.NewDispatcher)
	f.Func().Add(g.declare(n.NewDispatcher)).Params(jen.Id("opts").Op("...").Add(runtimeQual("Option"))).Add(self).Block(
		jen.Return(jen.Op("&").Add(g.generic(n.Dispatcher)).Values(jen.Dict{
			jen.Id(n.Router): runtimeQual("NewRouter").Types(g.typ(r.Key)).Call(jen.Lit(g.routerName()), jen.Id("opts").Op("...")),
		})),
	)

	recv := jen.Id("d").Add(self)
	router := jen.Id("d").Dot(n.Router)
	key := jen.Id("key").Add(g.typ(r.Key))
	ctx := jen.Id("ctx").Add(contextType())

	f.Line()
	f.Comment("Register gives impl its own mailbox under key. It fails with runtime.ErrDuplicateKey")
	f.Comment("if the key is taken, runtime.ErrNilRecipient if impl is nil, and runtime.ErrClosed")
	f.Comment("after Close.")
	f.Func().Params(recv.Clone()).Id("Register").Params(key.Clone(), jen.Id("impl").Add(g.typ(r.Iface)), jen.Id("opts").Op("...").Add(runtimeQual("RecipientOption"))).Error().Block(
		jen.If(jen.Id("impl").Op("==").Nil()).Block(
			jen.Return(router.Clone().Dot("Register").Call(jen.Id("key"), jen.Nil(), jen.Id("opts").Op("..."))),
		),
		jen.Return(router.Clone().Dot("Register").Call(jen.Id("key"), jen.Op("&").Id("impl"), jen.Id("opts").Op("..."))),
	)

	f.Line()
	f.Comment("Unregister removes the recipient under key: new calls to it fail with")
	f.Comment("runtime.ErrNoRecipient, and what is queued is handled until ctx ends, after which")
	f.Comment("the rest fails with runtime.ErrClosed.")
	f.Func().Params(recv.Clone()).Id("Unregister").Params(ctx.Clone(), key.Clone()).Error().Block(
		jen.Return(router.Clone().Dot("Unregister").Call(jen.Id("ctx"), jen.Id("key"))),
	)

	f.Line()
	f.Comment("Close stops every recipient: new calls fail with runtime.ErrClosed, and what is")
	f.Comment("queued is handled until ctx ends, after which the rest fails with runtime.ErrClosed.")
	f.Func().Params(recv.Clone()).Id("Close").Params(ctx.Clone()).Error().Block(
		jen.Return(router.Clone().Dot("Close").Call(jen.Id("ctx"))),
	)

	f.Line()
	f.Comment("Flush waits until every message sent to key before it was called has ended,")
	f.Comment("handled, failed or given to the dead-letter handler, or until ctx ends.")
	f.Func().Params(recv.Clone()).Id("Flush").Params(ctx.Clone(), key.Clone()).Error().Block(
		jen.Return(router.Clone().Dot("Flush").Call(jen.Id("ctx"), jen.Id("key"))),
	)

	f.Line()
	f.Comment("Keys returns the keys registered now, in no particular order.")
	f.Func().Params(recv.Clone()).Id("Keys").Params().Index().Add(g.typ(r.Key)).Block(
		jen.Return(router.Clone().Dot("Keys").Call()),
	)

	f.Line()
	f.Comment("Stats returns the counters of every recipient registered now.")
	f.Func().Params(recv.Clone()).Id("Stats").Params().Map(g.typ(r.Key)).Add(runtimeQual("Stats")).Block(
		jen.Return(router.Clone().Dot("Stats").Call()),
	)

	f.Line()
	f.Commentf("To returns a %s whose every call runs on the recipient registered under key", r.Name)
	f.Comment("when the call is made.")
	f.Func().Params(recv.Clone()).Id("To").Params(key.Clone()).Add(g.generic(n.Ref)).Block(
		jen.Return(g.generic(n.Ref).Values(jen.Dict{
			jen.Id(n.RefDispatcher): jen.Id("d"),
			jen.Id(n.RefDest):       router.Clone().Dot("Dest").Call(jen.Id("key")),
		})),
	)
}

// routerName is the recipient's name in errors, logs and interceptors: the
// interface as the generated package writes it.
func (g gen) routerName() string {
	if i := g.r.Iface; i.Path != "" && i.Path != g.pkg {
		return i.PkgName + "." + g.r.Name
	}
	return g.r.Name
}
