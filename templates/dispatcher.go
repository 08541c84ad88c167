package templates

import (
	"github.com/dave/jennifer/jen"
)

// dispatcher emits XDispatcher, its constructor and its methods.
func (g gen) dispatcher(f *jen.File) {
	r, n, v := g.r, g.r.Names, g.r.Locals
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
	f.Func().Add(g.declare(n.NewDispatcher)).Params(jen.Id(v.Opts).Op("...").Add(runtimeQual("Option"))).Add(self).Block(
		jen.Return(jen.Op("&").Add(g.generic(n.Dispatcher)).Values(jen.Dict{
			jen.Id(n.Router): runtimeQual("NewRouter").Types(g.typ(r.Key)).Call(jen.Lit(g.routerName()), jen.Id(v.Opts).Op("...")),
		})),
	)

	recv := jen.Id(v.Dispatcher).Add(self)
	router := jen.Id(v.Dispatcher).Dot(n.Router)
	key := jen.Id(v.Key).Add(g.typ(r.Key))
	ctx := jen.Id(v.Ctx).Add(contextType())

	f.Line()
	f.Commentf("Register gives %s its own mailbox under %s. It fails with runtime.ErrDuplicateKey", v.Impl, v.Key)
	f.Commentf("if the key is taken, runtime.ErrNilRecipient if %s is nil, and runtime.ErrClosed", v.Impl)
	f.Comment("after Close.")
	f.Func().Params(recv.Clone()).Id("Register").Params(key.Clone(), jen.Id(v.Impl).Add(g.typ(r.Iface)), jen.Id(v.Opts).Op("...").Add(runtimeQual("RecipientOption"))).Error().Block(
		jen.If(jen.Id(v.Impl).Op("==").Nil()).Block(
			jen.Return(router.Clone().Dot("Register").Call(jen.Id(v.Key), jen.Nil(), jen.Id(v.Opts).Op("..."))),
		),
		jen.Return(router.Clone().Dot("Register").Call(jen.Id(v.Key), jen.Op("&").Id(v.Impl), jen.Id(v.Opts).Op("..."))),
	)

	f.Line()
	f.Commentf("Unregister removes the recipient under %s: new calls to it fail with", v.Key)
	f.Commentf("runtime.ErrNoRecipient, and what is queued is handled until %s ends, after which", v.Ctx)
	f.Comment("the rest fails with runtime.ErrClosed.")
	f.Func().Params(recv.Clone()).Id("Unregister").Params(ctx.Clone(), key.Clone()).Error().Block(
		jen.Return(router.Clone().Dot("Unregister").Call(jen.Id(v.Ctx), jen.Id(v.Key))),
	)

	f.Line()
	f.Comment("Close stops every recipient: new calls fail with runtime.ErrClosed, and what is")
	f.Commentf("queued is handled until %s ends, after which the rest fails with runtime.ErrClosed.", v.Ctx)
	f.Func().Params(recv.Clone()).Id("Close").Params(ctx.Clone()).Error().Block(
		jen.Return(router.Clone().Dot("Close").Call(jen.Id(v.Ctx))),
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
	f.Commentf("To returns a %s whose every call runs on the recipient registered under %s", r.Name, v.Key)
	f.Comment("when the call is made.")
	f.Func().Params(recv.Clone()).Id("To").Params(key.Clone()).Add(g.generic(n.Ref)).Block(
		jen.Return(g.generic(n.Ref).Values(jen.Dict{
			jen.Id(n.RefDispatcher): jen.Id(v.Dispatcher),
			jen.Id(n.RefDest):       router.Clone().Dot("Dest").Call(jen.Id(v.Key)),
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
