package templates

import (
	"github.com/dave/jennifer/jen"
)

// callError emits XCallError, which the Ref's methods without a final error
// panic with when their call fails, when there are any.
func (g gen) callError(f *jen.File) {
	n := g.r.Names
	if n.CallError == "" {
		return
	}
	f.Line()
	f.Commentf("%s is what a %s method without a final error panics with when its", n.CallError, n.Ref)
	f.Comment("call fails: no recipient under the key, closed, a full mailbox, a deadlock, the")
	f.Comment("end of the call's context, or a panic of the recipient's (a *runtime.PanicError).")
	f.Comment("The method's asynchronous variant returns the same error from its Future instead.")
	f.Type().Id(n.CallError).Struct(
		jen.Comment("Key is the key the call was addressed to, and Method the method called."),
		jen.Id("Key").Add(g.typ(g.r.Key)),
		jen.Id("Method").String(),
		jen.Comment("Err is why the call failed; errors.Is and errors.As see through to it."),
		jen.Id("Err").Error(),
	)
	recv := jen.Id("e").Op("*").Id(n.CallError)
	f.Line()
	f.Comment("Error says which call failed, and why.")
	f.Func().Params(recv.Clone()).Id("Error").Params().String().Block(
		jen.Return(jen.Qual("fmt", "Sprintf").Call(jen.Lit(g.ifaceName()+"[%v].%s: %v"), jen.Id("e").Dot("Key"), jen.Id("e").Dot("Method"), jen.Id("e").Dot("Err"))),
	)
	f.Line()
	f.Comment("Unwrap returns Err.")
	f.Func().Params(recv).Id("Unwrap").Params().Error().Block(jen.Return(jen.Id("e").Dot("Err")))
}
