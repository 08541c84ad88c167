package corpus_test

import (
	"fmt"
	"go/token"
	"go/types"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"unicode"

	"golang.org/x/tools/go/packages"

	"github.com/dispatchgen/dispatchgen/gen"
	"github.com/dispatchgen/dispatchgen/internal/testmod"
	"github.com/dispatchgen/dispatchgen/internal/wirecheck"
)

// The corpus tests (TestStdlibInterfaces, TestModuleInterfaces) generate a
// dispatcher for every interface of real packages, local and remote, and
// build, vet and run what they generate: the interfaces users hand to -type
// are those of code they did not write.

// localRefusals are what dispatchgen may say of a real interface: that the
// generated code cannot implement or name it. Anything else is a bug.
var localRefusals = []string{
	"is unexported in package",                       // a method only its package may implement
	"uses unexported type",                           // a type only its package may name
	"which the generated code in",                    // the same, inside a composite type
	"an internal package that the generated code in", // a type it may not import
	"is a constraint with a type set",                // not an interface a value can have
}

// remoteRefusals are what dispatchgen may also say of a real interface
// generated with -remote: that a method's arguments or results cannot
// cross a process.
var remoteRefusals = append([]string{
	"which cannot cross a process",
	"has type parameters, which a remote interface cannot have", // a generic interface
}, localRefusals...)

// corpusRun is one package of a corpus module: the interfaces generated
// into it, with which options, and what may be refused.
type corpusRun struct {
	pkg      string
	opts     gen.Options
	refusals []string
}

// wireHelper is the test helper of a remote corpus package pkg:
// wirecheck.Helper, whose checkArgs sends non-zero arguments of every
// method through the dispatcher's wire and both of natsdispatch's codecs,
// and compares what comes out with what went in. A real type that marshals
// itself is sent at its zero value, since its own methods may refuse a
// value that it does not define (leaveMarshalers).
func wireHelper(pkg string) string {
	return wirecheck.Helper(pkg) +
		"\n// A package's tests need not use every helper.\nvar _, _, _ = checkArgs[string], checkResult[int], checkZero[int]\n" +
		"\nfunc init() { leaveMarshalers = true }\n"
}

// corpusRuns generate each interface twice, as a local dispatcher and as a
// remote one.
var corpusRuns = []corpusRun{
	{pkg: "local", opts: gen.Options{NoError: gen.NoErrorPanic}, refusals: localRefusals},
	{pkg: "remote", opts: gen.Options{NoError: gen.NoErrorPanic, Remote: true}, refusals: remoteRefusals},
}

// generateCorpus generates, for each of corpusRuns, a dispatcher of every
// interface of names into a package of the module at dir, with a test that
// makes and closes each dispatcher; then vets the module, runs staticcheck
// on it, and runs its tests, under the race detector if race is set. An
// interface may be refused only as its run's refusals say, and at least
// minShare of them must be generated locally.
func generateCorpus(t *testing.T, dir string, names []string, inst instances, minShare float64, race bool) {
	testmod.RequireNatsdispatch(t, dir)
	for _, run := range corpusRuns {
		generated := generateEvery(t, dir, run, names, inst)
		t.Logf("%s: %d of %d interfaces generated", run.pkg, len(generated), len(names))
		if run.pkg == "local" && float64(len(generated)) < minShare*float64(len(names)) {
			t.Errorf("only %d of %d interfaces generated", len(generated), len(names))
		}
	}
	if t.Failed() {
		return
	}
	testmod.Go(t, dir, "vet", "./...")
	testmod.Go(t, dir, "run", testmod.Staticcheck, "./...")
	test := []string{"test", "-count=1"}
	if race {
		test = append(test, "-race")
	}
	testmod.Go(t, dir, append(test, "./...")...)
}

// generateEvery generates the dispatchers of run into dir/run.pkg, with
// their test, and returns the names it generated. An interface refused only
// because a method's name is taken by the asynchronous variant of another
// is generated again with the other suffix that the refusal advises, unless
// that generation refuses it as the run's refusals allow.
func generateEvery(t *testing.T, dir string, run corpusRun, names []string, inst instances) []string {
	t.Helper()
	pkgDir := filepath.Join(dir, run.pkg)
	testmod.WriteFile(t, filepath.Join(pkgDir, "doc.go"), "// Package "+run.pkg+" holds dispatchers of real interfaces.\npackage "+run.pkg+"\n")
	refused := refusedBy(t, pkgDir, run, names)
	var generated, clashed []string
	for _, n := range names {
		switch refused[n] {
		case refusedNot:
			generated = append(generated, n)
		case refusedSuffix:
			clashed = append(clashed, n)
		}
	}
	runGen(t, pkgDir, run.opts, generated)
	if len(clashed) > 0 {
		// The retry is held to the run's refusals as the first generation
		// is: one of them gives way to no suffix, and a second clash is
		// not one of them.
		retry := run
		retry.opts.Async = "Future"
		again := refusedBy(t, pkgDir, retry, clashed)
		var ok []string
		for _, n := range clashed {
			switch again[n] {
			case refusedNot:
				ok = append(ok, n)
			case refusedSuffix:
				t.Errorf("%s: %s clashes with both suffixes", run.pkg, n)
			}
		}
		runGen(t, pkgDir, retry.opts, ok)
		generated = append(generated, ok...)
	}
	var smoke strings.Builder
	fmt.Fprintf(&smoke, "package %s\n\nimport (\n\t\"context\"\n\t\"testing\"\n)\n\nfunc TestDispatchers(t *testing.T) {\n\tctx := context.Background()\n", run.pkg)
	made, generic := 0, 0
	for _, n := range generated {
		_, as, _ := strings.Cut(n, "=")
		if why, ok := inst.skip[as]; ok {
			t.Logf("%s: %s is not made: %s", run.pkg, as, why)
			continue
		}
		made++
		if inst.args[as] != "" {
			generic++
		}
		fmt.Fprintf(&smoke, "\tif err := New%sDispatcher%s().Close(ctx); err != nil {\n\t\tt.Error(err)\n\t}\n", as, inst.args[as])
	}
	t.Logf("%s: %d of %d dispatchers made and closed, %d generic ones instantiated", run.pkg, made, len(generated), generic)
	smoke.WriteString("}\n")
	if run.opts.Remote {
		smoke.WriteString("\nfunc TestWire(t *testing.T) {\n")
		for _, n := range generated {
			_, as, _ := strings.Cut(n, "=")
			if _, ok := inst.skip[as]; ok {
				continue
			}
			fmt.Fprintf(&smoke, "\t{\n\t\td := New%sDispatcher%s()\n\t\tcheckArgs(t, d.wire(), d.router.Dest(\"k\"))\n\t}\n", as, inst.args[as])
		}
		smoke.WriteString("}\n")
		testmod.WriteFile(t, filepath.Join(pkgDir, "wire_test.go"), wireHelper(run.pkg))
	}
	testmod.WriteFile(t, filepath.Join(pkgDir, run.pkg+"_test.go"), smoke.String())
	return generated
}

// How an interface fared in a corpus run's first generation.
const (
	refusedNot    = iota // generated
	refusedSuffix        // refused for the asynchronous variants' suffix alone
	refusedOther         // refused as the run's refusals allow
)

// asyncClash is what a refusal for the asynchronous variants' suffix says.
const asyncClash = "needs for the asynchronous variant of"

// refusedBy generates names as run says, writing nothing, and returns how
// each was refused; it fails the test for any diagnostic but a warning, an
// asyncClash or one of run's refusals.
func refusedBy(t *testing.T, pkgDir string, run corpusRun, names []string) map[string]int {
	t.Helper()
	cfg := gen.Config{Dir: pkgDir, Options: run.opts}
	cfg.Types = names
	_, err := gen.Generate(cfg)
	refused := map[string]int{}
	diags, ok := err.(*gen.Diagnostics)
	if !ok {
		if err != nil {
			t.Fatal(err)
		}
		return refused
	}
	for _, d := range diags.List {
		name, msg, _ := strings.Cut(strings.TrimPrefix(d.Msg, "-type "), ": ")
		switch {
		case d.Warning:
			t.Logf("%s: warning: %s", run.pkg, d.Msg)
		case d.Pos.Filename == "" && strings.Contains(msg, asyncClash):
			refused[name] = max(refused[name], refusedSuffix)
		case d.Pos.Filename != "" || !anyIn(msg, run.refusals):
			t.Errorf("%s: unexpected diagnostic: %s", run.pkg, d.Msg)
		default:
			refused[name] = refusedOther
		}
	}
	return refused
}

// runGen generates and writes the dispatchers of names into pkgDir.
func runGen(t *testing.T, pkgDir string, opts gen.Options, names []string) {
	t.Helper()
	if len(names) == 0 {
		return
	}
	cfg := gen.Config{Dir: pkgDir, Options: opts}
	cfg.Types = names
	if _, err := gen.Run(cfg); err != nil {
		t.Fatalf("%s: %v", filepath.Base(pkgDir), err)
	}
}

func anyIn(msg string, subs []string) bool {
	for _, s := range subs {
		if strings.Contains(msg, s) {
			return true
		}
	}
	return false
}

// exportedInterfaces lists the exported interfaces of pkgs, loaded in the
// module at dir (with -mod=mod, which the corpus tests set for what follows
// too), that a value can have, each as path.Name=Alias with an
// alias unique among them, and the type arguments that instantiate the
// generic ones.
func exportedInterfaces(t *testing.T, dir string, pkgs []string) ([]string, instances) {
	t.Helper()
	t.Setenv("GOFLAGS", "-mod=mod")
	loaded, err := packages.Load(&packages.Config{Mode: packages.NeedName | packages.NeedTypes, Dir: dir}, pkgs...)
	if err != nil {
		t.Fatal(err)
	}
	if len(loaded) != len(pkgs) {
		t.Fatalf("loaded %d packages of %d", len(loaded), len(pkgs))
	}
	var names []string
	aliases := map[string]string{}
	inst := instances{args: map[string]string{}, skip: map[string]string{}}
	for _, p := range loaded {
		if len(p.Errors) > 0 {
			t.Fatalf("%s: %v", p.PkgPath, p.Errors)
		}
		scope := p.Types.Scope()
		for _, name := range scope.Names() {
			tn, ok := scope.Lookup(name).(*types.TypeName)
			if !ok || !token.IsExported(name) || tn.IsAlias() {
				continue
			}
			iface, ok := tn.Type().Underlying().(*types.Interface)
			if !ok || !iface.IsMethodSet() || iface.NumMethods() == 0 {
				continue
			}
			alias := identOf(p.PkgPath) + name
			if other, dup := aliases[alias]; dup {
				t.Fatalf("%s.%s and %s have one alias, %s", p.PkgPath, name, other, alias)
			}
			aliases[alias] = p.PkgPath + "." + name
			if tps := tn.Type().(*types.Named).TypeParams(); tps.Len() > 0 {
				if args, err := typeArgs(tps); err != nil {
					inst.skip[alias] = err.Error()
				} else {
					inst.args[alias] = args
				}
			}
			names = append(names, p.PkgPath+"."+name+"="+alias)
		}
	}
	sort.Strings(names)
	return names, inst
}

// instances are the type arguments of the generic interfaces of a corpus,
// by alias, with which its smoke test makes their dispatchers, whose
// constructors cannot infer them.
type instances struct {
	args map[string]string // as "[int, string]"
	skip map[string]string // why a generic interface has none
}

// typeArgCandidates are the types that typeArgs tries, in order, as a type
// parameter's argument: types that need no import.
var typeArgCandidates = []types.Type{
	types.Typ[types.Int], types.Typ[types.String], types.Typ[types.Int64], types.Typ[types.Float64],
	types.Typ[types.Uint64], types.Typ[types.Int32], types.Typ[types.Uint8], types.Typ[types.Float32],
	types.Typ[types.Bool], types.Universe.Lookup("any").Type(), types.Universe.Lookup("error").Type(),
}

// typeArgs picks, for each of tps, the first of typeArgCandidates that
// satisfies its constraint, spelled as a list of type arguments.
func typeArgs(tps *types.TypeParamList) (string, error) {
	var args []string
	for i := range tps.Len() {
		tp := tps.At(i)
		iface, _ := tp.Constraint().Underlying().(*types.Interface)
		found := false
		for _, c := range typeArgCandidates {
			if iface != nil && types.Satisfies(c, iface) {
				args = append(args, c.String())
				found = true
				break
			}
		}
		if !found {
			return "", fmt.Errorf("no type that needs no import satisfies the constraint %s of %s", tp.Constraint(), tp)
		}
	}
	return "[" + strings.Join(args, ", ") + "]", nil
}

// identOf spells an import path as an exported identifier: each run of
// letters and digits capitalized, the rest dropped.
func identOf(path string) string {
	var b strings.Builder
	upper := true
	for _, r := range path {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) {
			upper = true
			continue
		}
		if upper {
			r = unicode.ToUpper(r)
			upper = false
		}
		b.WriteRune(r)
	}
	return b.String()
}
