package sharedqueue

import (
	"go/ast"
	"go/types"
	"slices"

	"golang.org/x/tools/go/analysis"
	"golang.org/x/tools/go/types/typeutil"
)

// sendsBack reports whether call, to a function or method of the package
// or a function literal, puts r's value back: the callee sends a parameter
// that call binds to the value into the channel it came from, a parameter
// or a field of the receiver that call binds to it, a package variable, or
// a variable the literal captures.
func (r *receive) sendsBack(pass *analysis.Pass, call *ast.CallExpr) bool {
	info := pass.TypesInfo
	var body *ast.BlockStmt
	var sig *types.Signature
	if lit, ok := ast.Unparen(call.Fun).(*ast.FuncLit); ok {
		body, sig = lit.Body, info.TypeOf(lit).(*types.Signature)
	} else if fn := typeutil.StaticCallee(info, call); fn != nil && fn.Pkg() == pass.Pkg {
		if decl := funcDecl(pass, fn.Origin()); decl != nil {
			body, sig = decl.Body, fn.Origin().Signature()
		}
	}
	if body == nil {
		return false
	}
	bound := map[*types.Var]ast.Expr{}
	recv, args := callArgs(info, call)
	for i := range sig.Params().Len() {
		if i < len(args) && !(sig.Variadic() && i == sig.Params().Len()-1) {
			bound[sig.Params().At(i)] = args[i]
		}
	}
	if recv != nil && sig.Recv() != nil {
		bound[sig.Recv()] = recv
	}
	chRoot, chPath := chainPath(info, r.ch)
	if chRoot == nil {
		return false
	}
	// The channel the callee sends into, as the caller names it.
	inCaller := func(e ast.Expr) (*types.Var, []string) {
		root, path := chainPath(info, e)
		if root == nil {
			return nil, nil
		}
		if arg, ok := bound[root]; ok {
			argRoot, argPath := chainPath(info, arg)
			return argRoot, append(slices.Clip(argPath), path...)
		}
		if (root.Pkg() != nil && root.Parent() == root.Pkg().Scope()) || !within(root.Pos(), body) {
			return root, path // a package variable, or one a literal captures
		}
		return nil, nil
	}
	found := false
	ast.Inspect(body, func(n ast.Node) bool {
		if s, ok := n.(*ast.SendStmt); ok {
			v, isIdent := ast.Unparen(s.Value).(*ast.Ident)
			arg, isBound := bound[asVar(info.Uses[v])]
			if isIdent && isBound && r.isValue(info, arg) {
				root, path := inCaller(s.Chan)
				found = root == chRoot && slices.Equal(path, chPath)
			}
		}
		return !found
	})
	return found
}

// isValue reports whether e is r's value.
func (r *receive) isValue(info *types.Info, e ast.Expr) bool {
	id, ok := ast.Unparen(e).(*ast.Ident)
	return ok && r.msgs[asVar(info.Uses[id])]
}

// funcDecl returns the declaration of fn, a function of the package.
func funcDecl(pass *analysis.Pass, fn *types.Func) *ast.FuncDecl {
	for _, f := range pass.Files {
		if fn.Pos() < f.FileStart || fn.Pos() >= f.FileEnd {
			continue
		}
		for _, d := range f.Decls {
			if d, ok := d.(*ast.FuncDecl); ok && d.Name.Pos() == fn.Pos() {
				return d
			}
		}
	}
	return nil
}
