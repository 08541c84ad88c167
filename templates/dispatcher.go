package templates

import (
	"fmt"

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
	f.Commentf("%s routes calls to the %s registered under each key. Each recipient", n.Dispatcher, g.ifaceName())
	f.Comment("has its own mailbox, served by one goroutine at a time.")
	f.Type().Add(g.declare(n.Dispatcher)).Struct(fields...)

	self := jen.Op("*").Add(g.generic(n.Dispatcher))
	f.Line()
	f.Commentf("%s returns a dispatcher with no recipients.", n.NewDispatcher)
	if r.Wire != nil {
		g.remoteConstructor(f, self)
	} else {
		f.Func().Add(g.declare(n.NewDispatcher)).Params(jen.Id(v.Opts).Op("...").Add(runtimeQual("Option"))).Add(self).Block(
			jen.Return(jen.Op("&").Add(g.generic(n.Dispatcher)).Values(jen.Dict{
				jen.Id(n.Router): runtimeQual("NewRouter").Types(g.typ(r.Key)).Call(jen.Lit(g.routerName()), jen.Id(v.Opts).Op("...")),
			})),
		)
	}

	recv := jen.Id(v.Dispatcher).Add(self)
	router := jen.Id(v.Dispatcher).Dot(n.Router)
	f.Line()
	f.Commentf("Register gives %s its own mailbox under %s. It fails with runtime.ErrDuplicateKey", v.Impl, v.Key)
	f.Commentf("if the key is taken, runtime.ErrNilRecipient if %s is nil, and runtime.ErrClosed", v.Impl)
	f.Comment("after Close.")
	f.Func().Params(recv.Clone()).Id("Register").Params(jen.Id(v.Key).Add(g.typ(r.Key)), jen.Id(v.Impl).Add(g.typ(r.Iface)), jen.Id(v.Opts).Op("...").Add(runtimeQual("RecipientOption"))).Error().Block(
		jen.If(jen.Id(v.Impl).Op("==").Nil()).Block(
			jen.Return(router.Clone().Dot("Register").Call(jen.Id(v.Key), jen.Nil(), jen.Id(v.Opts).Op("..."))),
		),
		jen.Return(router.Clone().Dot("Register").Call(jen.Id(v.Key), jen.Op("&").Id(v.Impl), jen.Id(v.Opts).Op("..."))),
	)

	for _, fw := range g.forwarders() {
		f.Line()
		for _, line := range fw.doc {
			f.Comment(line)
		}
		params := make([]jen.Code, len(fw.params))
		args := make([]jen.Code, len(fw.params))
		for i, p := range fw.params {
			params[i] = jen.Id(p.name).Add(p.typ)
			args[i] = jen.Id(p.name)
		}
		f.Func().Params(recv.Clone()).Id(fw.name).Params(params...).Add(fw.result).Block(
			jen.Return(router.Clone().Dot(fw.name).Call(args...)),
		)
	}

	f.Line()
	f.Commentf("To returns the %s of %s: each of its calls runs on the recipient registered", n.Ref, v.Key)
	f.Commentf("under %s when the call is made.", v.Key)
	f.Func().Params(recv.Clone()).Id("To").Params(jen.Id(v.Key).Add(g.typ(r.Key))).Add(g.generic(n.Ref)).Block(
		jen.Return(g.generic(n.Ref).Values(jen.Dict{
			jen.Id(n.RefDispatcher): jen.Id(v.Dispatcher),
			jen.Id(n.RefDest):       router.Clone().Dot("Dest").Call(jen.Id(v.Key)),
		})),
	)
	if r.Wire != nil {
		g.wire(f)
	}
}

// forwarder is a method of the dispatcher that calls the Router's method
// of the same name with its own parameters and returns what it returns.
type forwarder struct {
	name   string
	doc    []string
	params []param
	result jen.Code
}

type param struct {
	name string
	typ  jen.Code
}

// forwarders are the dispatcher's methods that only call the Router's.
func (g gen) forwarders() []forwarder {
	v := g.r.Locals
	ctx := param{v.Ctx, contextType()}
	key := param{v.Key, g.typ(g.r.Key)}
	return []forwarder{{
		name: "Unregister",
		doc: []string{
			fmt.Sprintf("Unregister removes the recipient under %s: new calls to it fail with", v.Key),
			fmt.Sprintf("runtime.ErrNoRecipient, and what is queued is handled until %s ends, after which", v.Ctx),
			"the rest fails with runtime.ErrClosed.",
		},
		params: []param{ctx, key},
		result: jen.Error(),
	}, {
		name: "Close",
		doc: []string{
			"Close stops every recipient: new calls fail with runtime.ErrClosed, and what is",
			fmt.Sprintf("queued is handled until %s ends, after which the rest fails with runtime.ErrClosed.", v.Ctx),
		},
		params: []param{ctx},
		result: jen.Error(),
	}, {
		name: "Flush",
		doc: []string{
			fmt.Sprintf("Flush waits until every message sent to %s before it was called has ended,", v.Key),
			fmt.Sprintf("handled, failed or given to the dead-letter handler, or until %s ends.", v.Ctx),
		},
		params: []param{ctx, key},
		result: jen.Error(),
	}, {
		name:   "Keys",
		doc:    []string{"Keys returns the keys registered now, in no particular order."},
		result: jen.Index().Add(g.typ(g.r.Key)),
	}, {
		name:   "Stats",
		doc:    []string{"Stats returns the counters of every recipient registered now, and the last", "counters of the keys unregistered or closed since, until they are registered again."},
		result: jen.Map(g.typ(g.r.Key)).Add(runtimeQual("Stats")),
	}}
}

// routerName is the recipient's name in errors, logs and interceptors: the
// interface as the generated package writes it.
func (g gen) routerName() string { return g.ifaceName() }
