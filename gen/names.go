package gen

import (
	"go/token"
	"go/types"
	"sort"
	"strconv"
	"unicode"
	"unicode/utf8"

	"golang.org/x/tools/go/packages"

	"github.com/dispatchgen/dispatchgen/model"
)

// namer hands out identifiers that differ from every name it was told is
// taken, from every one it handed out before, and from those its parent's
// has.
type namer struct {
	taken  map[string]bool
	parent *namer
	// declared and imported, for a package's namer, are the names the
	// package declares and those its files import packages under.
	declared, imported map[string]bool
	// tests, for a package's namer, are the names its own test files
	// declare or import packages under, which only the package's namer
	// counts as taken, and testDecls where they declare theirs.
	tests     map[string]bool
	testDecls map[string]token.Pos
}

// child returns a namer whose names differ from n's and from more's, where
// names taken later do not touch n.
func (n *namer) child(more ...map[string]bool) *namer {
	c := newNamer(more...)
	c.parent = n
	return c
}

// isTaken reports whether name is taken.
func (n *namer) isTaken(name string) bool {
	for m := n; m != nil; m = m.parent {
		if m.taken[name] || m.tests[name] {
			return true
		}
	}
	return false
}

func newNamer(taken ...map[string]bool) *namer {
	n := &namer{taken: map[string]bool{}}
	for _, t := range taken {
		for k := range t {
			n.taken[k] = true
		}
	}
	return n
}

// take marks name as used.
func (n *namer) take(name string) { n.taken[name] = true }

// fresh returns want, or want followed by the smallest number from 2 up
// that makes it free, and marks the result used.
func (n *namer) fresh(want string) string {
	name := want
	for i := 2; n.isTaken(name); i++ {
		name = want + strconv.Itoa(i)
	}
	n.taken[name] = true
	return name
}

// upperFirst makes the first letter of s upper-case.
func upperFirst(s string) string {
	r, size := utf8.DecodeRuneInString(s)
	return string(unicode.ToUpper(r)) + s[size:]
}

// lowerFirst makes the leading capitals of s lower-case, keeping the last of
// a run that starts the next word: HTTPServer becomes httpServer.
func lowerFirst(s string) string {
	rs := []rune(s)
	i := 0
	for i < len(rs) && unicode.IsUpper(rs[i]) {
		i++
	}
	switch {
	case i == 0:
		return s
	case i == 1 || i == len(rs):
		// Tool, ID
	default:
		if unicode.IsLetter(rs[i]) {
			i-- // HTTPServer: keep the S of Server
		}
	}
	for j := range i {
		rs[j] = unicode.ToLower(rs[j])
	}
	return string(rs)
}

// exportAs makes name exported or not.
func exportAs(name string, exported bool) string {
	if exported {
		return upperFirst(name)
	}
	return lowerFirst(name)
}

// packageNamer hands out the names of new package-level declarations of p:
// they must differ from p's package-level names (but for those of the files
// dispatchgen generated, which the load left empty) and from the names its
// files import packages under, its own test files' included.
func packageNamer(fset *token.FileSet, p *packages.Package) *namer {
	n := newNamer()
	n.declared, n.imported = map[string]bool{}, map[string]bool{}
	n.tests, n.testDecls = map[string]bool{}, map[string]token.Pos{}
	for _, name := range p.Types.Scope().Names() {
		n.take(name)
		n.declared[name] = true
	}
	for _, f := range p.Syntax {
		for _, imp := range f.Imports {
			if pn := p.TypesInfo.PkgNameOf(imp); pn != nil {
				n.take(pn.Name())
				n.imported[pn.Name()] = true
			}
		}
	}
	takeTestNames(n, fset, p)
	return n
}

// resultFields names the fields of a result struct: the results' own names
// when they have them, R0, R1, … when not.
func resultFields(results []model.Var) []string {
	n := newNamer()
	out := make([]string, len(results))
	for i, v := range results {
		name := "R" + itoa(i)
		if v.Name != "" && v.Name != "_" {
			name = upperFirst(v.Name)
		}
		out[i] = n.fresh(name)
	}
	return out
}

func mergeImports(imps []model.Import, more map[string]string) []model.Import {
	have := map[string]bool{}
	for _, i := range imps {
		have[i.Path] = true
	}
	for path, name := range more {
		if !have[path] {
			imps = append(imps, model.Import{Path: path, Name: name})
		}
	}
	return imps
}

// assignImports chooses the name each import of f goes by: its own, unless
// that would collide with a name of the package, of the generated code, of a
// type parameter, of a predeclared identifier or of another import. Then it
// names each recipient's locals.
func assignImports(f *model.File, named map[*packages.Package]*namer) {
	f.Imports = mergeImports(f.Imports, map[string]string{model.ContextPath: "context", model.RuntimePath: "runtime"})
	sort.Slice(f.Imports, func(i, j int) bool { return f.Imports[i].Path < f.Imports[j].Path })
	var pkgNames *namer
	for p, n := range named {
		if p.PkgPath == f.PkgPath {
			pkgNames = n
		}
	}
	// Imports are file-scoped: they must differ from the package's
	// declarations and from the generated ones, not from other files'
	// imports.
	taken := newNamer(pkgNames.taken)
	for name := range pkgNames.imported {
		if !pkgNames.declared[name] {
			delete(taken.taken, name)
		}
	}
	for _, r := range f.Recipients {
		for _, tp := range r.TypeParams {
			taken.take(tp.Name)
		}
	}
	// An import named like a predeclared identifier (mockgen's test package
	// any, say) would hide it from the whole file.
	importNames := taken.child()
	for _, name := range types.Universe.Names() {
		importNames.take(name)
	}
	// The package block holds what its test files declare too.
	for name := range pkgNames.testDecls {
		importNames.take(name)
	}
	for i := range f.Imports {
		imp := &f.Imports[i]
		real := imp.Name
		imp.Name = importNames.fresh(real)
		imp.Alias = imp.Name != real
		taken.take(imp.Name)
	}
	for ri := range f.Recipients {
		allocateLocals(&f.Recipients[ri], taken)
	}
}

// predeclaredUsed are the predeclared identifiers that generated code
// refers to, which neither an import nor a type parameter of the generated
// declarations may hide.
var predeclaredUsed = map[string]bool{"any": true, "error": true, "string": true, "nil": true, "panic": true}

// messageMembers are the names a message type has besides the fields of its
// parameters: its methods and those of its embedded runtime.Request.
var messageMembers = map[string]bool{"Method": true, "Run": true, "Resolve": true, "Request": true, "OneWay": true}

// allocateLocals names r's receivers, parameters and variables apart from
// the names that the file's scope holds (taken: the package's, the imports'
// and the type parameters'), then renames the methods' parameters that
// would hide one of them or, being fields of a message, one of its members.
func allocateLocals(r *model.Recipient, taken *namer) {
	scope := taken.child(predeclaredUsed)
	for _, tp := range r.TypeParams {
		scope.take(tp.Name)
	}
	locals := scope.child()
	r.Locals = model.Locals{
		Dispatcher: locals.fresh("d"), Ref: locals.fresh("r"), Message: locals.fresh("m"),
		Ctx: locals.fresh("ctx"), Key: locals.fresh("key"), Impl: locals.fresh("impl"), Opts: locals.fresh("opts"),
		Res: locals.fresh("res"), Err: locals.fresh("err"),
	}
	// A method's parameters share its scope with the Ref's receiver and
	// variables, but not with the dispatcher's names, which they may reuse.
	reserved := scope.child(messageMembers)
	for _, n := range []string{r.Locals.Ref, r.Locals.Message, r.Locals.Res, r.Locals.Err, "_"} {
		reserved.take(n)
	}
	for mi := range r.Methods {
		m := &r.Methods[mi]
		params := reserved.child()
		for pi := range m.Params {
			p := &m.Params[pi]
			want := p.Name
			switch {
			case (want == "" || want == "_") && pi == m.Ctx:
				want = "ctx"
			case want == "" || want == "_":
				want = "p" + itoa(pi)
			}
			p.Name = params.fresh(want)
		}
		if m.Result != "" {
			// Run's variables: its receiver, parameters and results.
			vars := scope.child()
			for _, n := range []string{r.Locals.Message, r.Locals.Ctx, r.Locals.Impl, r.Locals.Err} {
				vars.take(n)
			}
			m.ResultVars = make([]string, len(m.Results))
			for i := range m.Results {
				m.ResultVars[i] = vars.fresh("r" + itoa(i))
			}
		}
	}
	if r.Wire != nil {
		nameWire(r, locals)
	}
}

func itoa(i int) string { return strconv.Itoa(i) }
