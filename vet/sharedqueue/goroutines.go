package sharedqueue

import (
	"go/ast"
	"go/token"
	"go/types"
	"slices"

	"golang.org/x/tools/go/analysis"
	"golang.org/x/tools/go/ast/inspector"
	"golang.org/x/tools/go/types/typeutil"
)

// How far the analyzer follows values: through calls from the function a
// goroutine starts with to the one with the worker loop, through the
// definitions of local variables, and how many call and start sites it
// visits for one worker loop, which bounds its time on a worker function
// called from everywhere.
const (
	maxCalls       = 3
	maxDefinitions = 3
	maxVisits      = 1000
)

// A site is where a function of the package is called, or started as a
// goroutine.
type site struct {
	at     ast.Node // the go statement, the Go call or the call
	caller inspector.Cursor
	callee ast.Node   // *ast.FuncDecl or *ast.FuncLit
	recv   ast.Expr   // the receiver the site binds, if the callee is a method
	args   []ast.Expr // the arguments the site binds to the callee's parameters
	start  bool       // a goroutine starts here
	loop   ast.Node   // the innermost loop around a start, in the caller, unless each iteration waits for its goroutines
}

// goroutines knows where each function of a package is called and started.
type goroutines struct {
	info   *types.Info
	pkg    *types.Package
	starts map[ast.Node][]*site
	calls  map[ast.Node][]*site
	decls  map[*types.Func]*ast.FuncDecl
}

// indexGoroutines finds the sites of the package's functions.
func indexGoroutines(pass *analysis.Pass, insp *inspector.Inspector) *goroutines {
	g := &goroutines{
		info:   pass.TypesInfo,
		pkg:    pass.Pkg,
		starts: map[ast.Node][]*site{},
		calls:  map[ast.Node][]*site{},
	}
	decls, lits := functions(g.info, insp)
	g.decls = decls
	started := map[*ast.CallExpr]bool{}
	for c := range insp.Root().Preorder((*ast.GoStmt)(nil), (*ast.CallExpr)(nil)) {
		var s *site
		switch n := c.Node().(type) {
		case *ast.GoStmt:
			started[n.Call] = true
			s = g.siteOf(n.Call.Fun, n.Call.Args, decls, lits)
		case *ast.CallExpr:
			switch {
			case started[n]:
			case isGoMethod(g.info, n) && len(n.Args) == 1:
				if s = g.siteOf(n.Args[0], nil, decls, lits); s != nil {
					started[n] = true
				}
			default:
				s = g.siteOf(n.Fun, n.Args, decls, lits)
			}
		}
		if s == nil {
			continue
		}
		s.at, s.start = c.Node(), started[callOf(c.Node())]
		for f := range c.Enclosing((*ast.FuncDecl)(nil), (*ast.FuncLit)(nil)) {
			s.caller = f
			break
		}
		if !s.caller.Valid() {
			continue // the initializer of a package variable: it runs once, in no loop
		}
		if s.start {
			if loop := loopAround(s); loop != nil && !waitsAfter(g.info, bodyOf(loop), c.Node()) {
				s.loop = loop
			}
			g.starts[s.callee] = append(g.starts[s.callee], s)
		} else {
			g.calls[s.callee] = append(g.calls[s.callee], s)
		}
	}
	return g
}

// functions returns the package's declared functions, and its local
// variables defined as a function literal or a method value.
func functions(info *types.Info, insp *inspector.Inspector) (map[*types.Func]*ast.FuncDecl, map[*types.Var]ast.Expr) {
	decls := map[*types.Func]*ast.FuncDecl{}
	lits := map[*types.Var]ast.Expr{}
	for c := range insp.Root().Preorder((*ast.FuncDecl)(nil), (*ast.AssignStmt)(nil)) {
		switch n := c.Node().(type) {
		case *ast.FuncDecl:
			if fn, ok := info.Defs[n.Name].(*types.Func); ok {
				decls[fn] = n
			}
		case *ast.AssignStmt:
			for i, lhs := range n.Lhs {
				id, isIdent := lhs.(*ast.Ident)
				v, isVar := info.Defs[id].(*types.Var)
				switch fn := rhs(n, i).(type) {
				case *ast.FuncLit:
					if isIdent && isVar {
						lits[v] = fn
					}
				case *ast.SelectorExpr:
					if sel := info.Selections[fn]; isIdent && isVar && sel != nil && sel.Kind() == types.MethodVal {
						lits[v] = fn
					}
				}
			}
		}
	}
	return decls, lits
}

// rhs returns the value assigned to the i-th variable of an assignment of
// as many values as variables.
func rhs(a *ast.AssignStmt, i int) ast.Expr {
	if len(a.Lhs) != len(a.Rhs) {
		return nil
	}
	return ast.Unparen(a.Rhs[i])
}

// callOf returns the call a site node makes.
func callOf(n ast.Node) *ast.CallExpr {
	switch n := n.(type) {
	case *ast.GoStmt:
		return n.Call
	case *ast.CallExpr:
		return n
	}
	return nil
}

// siteOf returns the site of a call of fun with args, if fun is a function
// of the package: a declared function or method, a function literal, or a
// local variable defined as one. A method value binds its receiver; args
// is nil for a function value.
func (g *goroutines) siteOf(fun ast.Expr, args []ast.Expr, decls map[*types.Func]*ast.FuncDecl, lits map[*types.Var]ast.Expr) *site {
	s := &site{args: args}
	fun = ast.Unparen(fun)
	switch f := fun.(type) {
	case *ast.IndexExpr: // an instantiation: worker[T]
		fun = f.X
	case *ast.IndexListExpr:
		fun = f.X
	}
	switch f := fun.(type) {
	case *ast.FuncLit:
		s.callee = f
	case *ast.Ident:
		switch obj := g.info.Uses[f].(type) {
		case *types.Func:
			s.callee = decls[obj.Origin()]
		case *types.Var:
			if lit := lits[obj]; lit != nil {
				return g.siteOf(lit, args, decls, lits) // neither is an identifier
			}
		}
	case *ast.SelectorExpr:
		obj, ok := g.info.Uses[f.Sel].(*types.Func)
		if !ok {
			return nil
		}
		if sel := g.info.Selections[f]; sel != nil {
			switch {
			case sel.Kind() == types.MethodVal && len(sel.Index()) == 1:
				s.recv = f.X
			case sel.Kind() == types.MethodExpr && len(args) > 0:
				s.recv, s.args = args[0], args[1:]
			default:
				return nil // a promoted method: its receiver is a field
			}
		}
		s.callee = decls[obj.Origin()]
	}
	if s.callee == nil {
		return nil
	}
	return s
}

// loopAround returns the innermost loop around s in its caller, or nil.
func loopAround(s *site) ast.Node {
	c, ok := s.caller.FindNode(s.at)
	if !ok {
		return nil
	}
	for l := range c.Enclosing((*ast.ForStmt)(nil), (*ast.RangeStmt)(nil), (*ast.FuncDecl)(nil), (*ast.FuncLit)(nil)) {
		switch l.Node().(type) {
		case *ast.ForStmt, *ast.RangeStmt:
			return l.Node()
		}
		break
	}
	return nil
}

// waitsAfter reports whether body, a loop's, waits after start for the
// goroutine it starts, so that the goroutines of one iteration end before
// the next starts its own: it calls the Wait method of the errgroup.Group
// or sync.WaitGroup whose Go method start is, or whose Done method the
// function literal a go statement starts defers.
func waitsAfter(info *types.Info, body *ast.BlockStmt, start ast.Node) bool {
	group := startedGroup(info, start)
	if group == nil {
		return false
	}
	waits := false
	ast.Inspect(body, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.FuncLit:
			return false
		case *ast.CallExpr:
			if sel, ok := ast.Unparen(n.Fun).(*ast.SelectorExpr); ok && n.Pos() > start.End() && isGroupMethod(info, n, "Wait") {
				waits = sameRef(info, sel.X, group)
			}
		}
		return !waits
	})
	return waits
}

// startedGroup returns the group that tells when the goroutine start
// starts has ended: the receiver of a Go method, or of the Done method
// that a function literal started by a go statement defers.
func startedGroup(info *types.Info, start ast.Node) ast.Expr {
	call := callOf(start)
	if g, ok := start.(*ast.GoStmt); ok {
		lit, ok := ast.Unparen(g.Call.Fun).(*ast.FuncLit)
		if !ok {
			return nil
		}
		call = nil
		for _, st := range lit.Body.List {
			if d, ok := st.(*ast.DeferStmt); ok && isGroupMethod(info, d.Call, "Done") {
				call = d.Call
			}
		}
	}
	if call == nil {
		return nil
	}
	if sel, ok := ast.Unparen(call.Fun).(*ast.SelectorExpr); ok {
		return sel.X
	}
	return nil
}

// exclusive reports whether a and b, two starts, are in branches of one
// statement of which at most one runs: an if and its else, or two clauses
// of a switch or a select without fallthrough.
func exclusive(a, b *site) bool {
	if a.caller.Node() != b.caller.Node() {
		return false
	}
	c, ok := a.caller.FindNode(a.at)
	for ok && c != a.caller {
		parent := c.Parent()
		switch p := parent.Node().(type) {
		case *ast.IfStmt:
			if (c.Node() == p.Body && p.Else != nil && within(b.at.Pos(), p.Else)) || (c.Node() == p.Else && within(b.at.Pos(), p.Body)) {
				return true
			}
		case *ast.BlockStmt:
			switch c.Node().(type) {
			case *ast.CaseClause, *ast.CommClause:
				if within(b.at.Pos(), p) && !within(b.at.Pos(), c.Node()) && !fallsThrough(p) {
					return true
				}
			}
		}
		c = parent
	}
	return false
}

// fallsThrough reports whether a clause of a switch's body, clauses, ends
// with a fallthrough.
func fallsThrough(clauses *ast.BlockStmt) bool {
	for _, c := range clauses.List {
		if c, ok := c.(*ast.CaseClause); ok && len(c.Body) > 0 {
			if br, ok := c.Body[len(c.Body)-1].(*ast.BranchStmt); ok && br.Tok == token.FALLTHROUGH {
				return true
			}
		}
	}
	return false
}

// isGoMethod reports whether call starts a goroutine through the Go method
// of an errgroup.Group or a sync.WaitGroup.
func isGoMethod(info *types.Info, call *ast.CallExpr) bool {
	return isGroupMethod(info, call, "Go", "TryGo")
}

// isGroupMethod reports whether call calls a method of an errgroup.Group
// or a sync.WaitGroup with one of names.
func isGroupMethod(info *types.Info, call *ast.CallExpr, names ...string) bool {
	fn := typeutil.StaticCallee(info, call)
	if fn == nil || !slices.Contains(names, fn.Name()) {
		return false
	}
	recv := fn.Signature().Recv()
	if recv == nil {
		return false
	}
	t := recv.Type()
	if p, ok := t.(*types.Pointer); ok {
		t = p.Elem()
	}
	named, ok := t.(*types.Named)
	if !ok || named.Obj().Pkg() == nil {
		return false
	}
	switch named.Obj().Pkg().Path() + "." + named.Obj().Name() {
	case "golang.org/x/sync/errgroup.Group", "sync.WaitGroup":
		return true
	}
	return false
}
