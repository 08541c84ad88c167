package sharedqueue

import (
	"go/ast"
	"go/token"
	"go/types"
	"slices"
	"strings"

	"golang.org/x/tools/go/ast/inspector"
)

// share is how a value varies among the goroutines of one start site.
type share int

const (
	unknown      share = iota
	same               // one value for every goroutine
	perGoroutine       // each goroutine has its own
)

// An origin is where a value that a function sees comes from: known
// already, or a parameter, receiver or captured variable of the function,
// which its sites bind.
type origin struct {
	share share
	v     *types.Var // if not nil, to be bound at the function's sites
	path  []string   // the fields of v that the function reads, from v out
	key   any        // for a value known already, what tells it from others, if anything does
}

// A route is one way goroutines come to run a worker loop: the site that
// starts them, and the origins of the loop's channel and identity in the
// function it starts.
type route struct {
	start  *site
	ch, id origin
}

// sharedQueue returns the start site of goroutines that all run the loop of
// s with one channel, each with an identity of its own, or nil if none is
// found: a start in a loop that binds the same channel and a different
// identity in each iteration, or several starts outside loops that bind
// the same channel and not all the same identity.
func (g *goroutines) sharedQueue(s *skip) *site {
	fn := s.recv.fn
	var found *site
	var once []route
	visits := maxVisits
	g.routes(fn, g.origin(fn, s.recv.ch, nil, maxDefinitions), g.origin(fn, s.id, nil, maxDefinitions), maxCalls, &visits, func(r route) bool {
		switch {
		case r.start.loop == nil:
			if found = g.calledInLoop(r, &visits); found == nil {
				once = append(once, r)
			}
		case g.inIterations(r.ch, r.start) == same && g.inIterations(r.id, r.start) == perGoroutine:
			found = r.start
		}
		return found == nil
	})
	if found == nil && len(once) > 1 && g.allSame(once, func(r route) origin { return r.ch }) && !g.allSame(once, func(r route) origin { return r.id }) && !allExclusive(once) {
		found = once[len(once)-1].start
	}
	return found
}

// calledInLoop returns the call in a loop of the function with r's start,
// a start outside loops, if each iteration binds the same channel and an
// identity of its own: the go statement is in a helper called once for
// each worker. It visits at most visits calls.
func (g *goroutines) calledInLoop(r route, visits *int) *site {
	ch, id := g.bind(r.ch, r.start), g.bind(r.id, r.start)
	for _, c := range g.calls[r.start.caller.Node()] {
		if *visits--; *visits < 0 {
			return nil
		}
		in := *c
		if in.loop = loopAround(c); in.loop == nil {
			continue
		}
		if g.inIterations(ch, &in) == same && g.inIterations(id, &in) == perGoroutine {
			return c
		}
	}
	return nil
}

// allExclusive reports whether at most one of routes' starts runs, each
// in a branch of its own of one statement.
func allExclusive(routes []route) bool {
	for i, a := range routes {
		for _, b := range routes[i+1:] {
			if !exclusive(a.start, b.start) {
				return false
			}
		}
	}
	return true
}

// routes calls yield with each route to fn, whose loop sees ch and id, until
// it returns false, following calls depth deep and visiting at most visits
// sites.
func (g *goroutines) routes(fn inspector.Cursor, ch, id origin, depth int, visits *int, yield func(route) bool) bool {
	for _, s := range g.starts[fn.Node()] {
		if *visits--; *visits < 0 || !yield(route{s, ch, id}) {
			return false
		}
	}
	if depth == 0 {
		return true
	}
	for _, s := range g.calls[fn.Node()] {
		if *visits--; *visits < 0 || !g.routes(s.caller, g.bind(ch, s), g.bind(id, s), depth-1, visits, yield) {
			return false
		}
	}
	return true
}

// origin returns the origin of e, an expression of fn, selected by path.
func (g *goroutines) origin(fn inspector.Cursor, e ast.Expr, path []string, depth int) origin {
	e, path = g.resolve(bodyOf(fn.Node()), ast.Unparen(e), path)
	e = ast.Unparen(e)
	if tv, ok := g.info.Types[e]; ok && (tv.Value != nil || tv.IsNil()) {
		return origin{share: same, key: keyOf(g.info, e, path)}
	}
	if len(path) == 0 && isConstantLit(g.info, e) {
		return origin{share: same}
	}
	if isFresh(g.info, e) {
		return origin{share: perGoroutine} // made by the goroutine itself
	}
	root, fields := chainPath(g.info, e)
	if root == nil {
		return origin{}
	}
	return g.originOfVar(fn, root, append(slices.Clip(fields), path...), depth)
}

// originOfVar returns the origin of a variable that fn uses, selected by
// path.
func (g *goroutines) originOfVar(fn inspector.Cursor, v *types.Var, path []string, depth int) origin {
	if v.Pkg() == nil || v.Parent() == v.Pkg().Scope() {
		return origin{share: same, key: v}
	}
	body := bodyOf(fn.Node())
	if body == nil || !within(v.Pos(), body) {
		return origin{v: v, path: path} // a parameter, a receiver or a captured variable
	}
	if depth == 0 {
		return origin{}
	}
	if def := definition(g.info, body, v); def != nil {
		return g.origin(fn, def, definedPath(g.info, body, v, path), depth-1)
	}
	return origin{}
}

// bind returns the origin, in the caller of s, of what o is in the callee.
func (g *goroutines) bind(o origin, s *site) origin {
	if o.v == nil {
		return o
	}
	if e, bound := g.bound(o.v, s); bound {
		if e == nil {
			return origin{}
		}
		return g.origin(s.caller, e, o.path, maxDefinitions)
	}
	return g.originOfVar(s.caller, o.v, o.path, maxDefinitions) // captured
}

// inIterations returns how o varies among the goroutines that s, a start in
// a loop, starts.
func (g *goroutines) inIterations(o origin, s *site) share {
	if o.v == nil {
		return o.share
	}
	e, bound := g.bound(o.v, s)
	switch {
	case !bound: // captured by the function literal s starts
		return g.varInLoop(o.v, o.path, s.loop, maxDefinitions)
	case e == nil:
		return unknown
	}
	return g.inLoop(e, o.path, s.loop, maxDefinitions) // what each iteration binds
}

// allSame reports whether the origins that of returns for routes, bound at
// their starts, are one value.
func (g *goroutines) allSame(routes []route, of func(route) origin) bool {
	var first any
	for i, r := range routes {
		key := g.keyAtStart(of(r), r.start)
		if key == nil || (i > 0 && key != first) {
			return false
		}
		first = key
	}
	return true
}

// keyAtStart returns what tells o, bound at the start s, from other values,
// or nil if nothing does.
func (g *goroutines) keyAtStart(o origin, s *site) any {
	if o.v == nil {
		return o.key
	}
	switch e, bound := g.bound(o.v, s); {
	case !bound:
		return varKey{o.v, strings.Join(append([]string{o.v.Name()}, o.path...), ".")} // captured
	case e != nil:
		e, path := g.resolve(bodyOf(s.caller.Node()), e, o.path)
		return keyOf(g.info, e, path)
	}
	return nil
}

// A varKey is a variable, or a chain of fields of one, as a key.
type varKey struct {
	v      *types.Var
	fields string
}

// keyOf returns what tells the value of e, selected by path, from others:
// its constant value, or the variable or chain of fields it reads; nil if
// nothing does.
func keyOf(info *types.Info, e ast.Expr, path []string) any {
	e = ast.Unparen(e)
	if tv, ok := info.Types[e]; ok && tv.Value != nil && len(path) == 0 {
		return tv.Value.ExactString()
	}
	root, _ := chainRoot(info, e)
	if root == nil {
		return nil
	}
	return varKey{root, strings.Join(append([]string{types.ExprString(e)}, path...), ".")}
}

// inLoop returns how e, an expression of a loop's body selected by path,
// varies among the loop's iterations.
func (g *goroutines) inLoop(e ast.Expr, path []string, loop ast.Node, depth int) share {
	e, path = g.resolve(bodyOf(loop), ast.Unparen(e), path)
	e = ast.Unparen(e)
	if tv, ok := g.info.Types[e]; ok && (tv.Value != nil || tv.IsNil()) {
		return same
	}
	if len(path) == 0 && isConstantLit(g.info, e) {
		return same
	}
	if isFresh(g.info, e) {
		return perGoroutine
	}
	if ix, ok := e.(*ast.IndexExpr); ok {
		if g.inLoop(ix.Index, nil, loop, depth) == perGoroutine {
			return perGoroutine // an element of each iteration's own
		}
		return g.inLoop(ix.X, nil, loop, depth)
	}
	if root, fields := chainPath(g.info, e); root != nil {
		return g.varInLoop(root, append(slices.Clip(fields), path...), loop, depth)
	}
	return unknown
}

// varInLoop returns how a variable varies among the iterations of a loop:
// each has its own if it is the loop's variable, or assigned in the loop;
// one declared in the loop's body is what it is defined with, when that
// can be told, and each iteration's own otherwise.
func (g *goroutines) varInLoop(v *types.Var, path []string, loop ast.Node, depth int) share {
	body := bodyOf(loop)
	switch {
	case within(v.Pos(), body):
		if def := definition(g.info, body, v); def != nil && depth > 0 {
			if sh := g.inLoop(def, definedPath(g.info, body, v, path), loop, depth-1); sh != unknown {
				return sh
			}
		}
		return perGoroutine // made anew in each iteration
	case within(v.Pos(), loop), assignedIn(g.info, loop, v):
		return perGoroutine
	}
	return same
}

// bound returns the expression that s binds to v, a parameter or the
// receiver of s's callee; nil if s binds none that can be told, as for a
// variadic parameter. It returns false if v is neither.
func (g *goroutines) bound(v *types.Var, s *site) (ast.Expr, bool) {
	var recv, params *ast.FieldList
	switch fn := s.callee.(type) {
	case *ast.FuncDecl:
		recv, params = fn.Recv, fn.Type.Params
	case *ast.FuncLit:
		params = fn.Type.Params
	}
	if recv != nil && within(v.Pos(), recv) {
		return s.recv, true
	}
	if params == nil || !within(v.Pos(), params) {
		return nil, false
	}
	i := 0
	for _, f := range params.List {
		if _, variadic := f.Type.(*ast.Ellipsis); variadic {
			return nil, true
		}
		for _, name := range f.Names {
			if g.info.Defs[name] == v {
				if i < len(s.args) {
					return s.args[i], true
				}
				return nil, true
			}
			i++
		}
	}
	return nil, true
}

// bodyOf returns the body of a function or a loop: a *ast.FuncDecl,
// *ast.FuncLit, *ast.ForStmt or *ast.RangeStmt.
func bodyOf(n ast.Node) *ast.BlockStmt {
	switch n := n.(type) {
	case *ast.FuncDecl:
		return n.Body
	case *ast.FuncLit:
		return n.Body
	case *ast.ForStmt:
		return n.Body
	case *ast.RangeStmt:
		return n.Body
	}
	return nil
}

// definition returns the value a local variable of body is defined with,
// if it is defined with one.
func definition(info *types.Info, body *ast.BlockStmt, v *types.Var) ast.Expr {
	var def ast.Expr
	ast.Inspect(body, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.AssignStmt:
			if n.Tok == token.DEFINE {
				for i, lhs := range n.Lhs {
					if id, ok := lhs.(*ast.Ident); ok && info.Defs[id] == v {
						def = rhs(n, i)
					}
				}
			}
		case *ast.ValueSpec:
			for i, id := range n.Names {
				if info.Defs[id] == v && len(n.Values) == len(n.Names) {
					def = n.Values[i]
				}
			}
		}
		return def == nil && (n == nil || n.Pos() <= v.Pos())
	})
	return def
}

// assignedIn reports whether v is assigned, or has its address taken, in n.
func assignedIn(info *types.Info, n ast.Node, v *types.Var) bool {
	assigned := false
	is := func(e ast.Expr) bool {
		id, ok := ast.Unparen(e).(*ast.Ident)
		return ok && info.Uses[id] == v
	}
	ast.Inspect(n, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.AssignStmt:
			for _, lhs := range n.Lhs {
				assigned = assigned || is(lhs)
			}
		case *ast.IncDecStmt:
			assigned = assigned || is(n.X)
		case *ast.UnaryExpr:
			assigned = assigned || (n.Op == token.AND && is(n.X))
		}
		return !assigned
	})
	return assigned
}

// isFresh reports whether e makes a new channel, map, slice or value.
func isFresh(info *types.Info, e ast.Expr) bool {
	switch e := e.(type) {
	case *ast.CallExpr:
		id, ok := ast.Unparen(e.Fun).(*ast.Ident)
		if !ok {
			return false
		}
		b, ok := info.Uses[id].(*types.Builtin)
		return ok && (b.Name() == "make" || b.Name() == "new")
	case *ast.UnaryExpr:
		_, lit := ast.Unparen(e.X).(*ast.CompositeLit)
		return e.Op == token.AND && lit
	case *ast.CompositeLit:
		return true
	}
	return false
}
