// Package model is the plain description of what dispatchgen generates: the
// recipients found in one package, their methods and the types those methods
// use. The gen package builds it from go/types; the templates package turns
// it into code. It knows neither.
package model

// File is one generated file: the recipients declared in, or named for, one
// package.
type File struct {
	// Name is the output file's name, such as "toolserver_dispatch.go".
	Name string
	// PkgName and PkgPath are the package the file belongs to.
	PkgName string
	PkgPath string
	// Imports are the packages the file imports, each under the name chosen
	// for it, which no identifier of the generated code shadows.
	Imports []Import
	// Recipients are generated in this order.
	Recipients []Recipient
	// Command, when set, is the command line that generated the file, for
	// a line of its own under the header: dispatchgen with its flags.
	Command string
	// Deprecated are the deprecated declarations of other packages that
	// the file names, as it names them.
	Deprecated []string
	// Constraint, when set, is the build constraint of the source files
	// the recipients are declared in, as a //go:build line writes it
	// without the "//go:build ": the file builds only where they do.
	Constraint string
}

// Import is one imported package.
type Import struct {
	Path string
	// Name is the name the file refers to it by; Alias says whether that
	// differs from the name the package declares.
	Name  string
	Alias bool
}

// The import paths every generated file uses.
const (
	ContextPath = "context"
	RuntimePath = "github.com/dispatchgen/dispatchgen/runtime"
)

// Recipient is one interface to generate a dispatcher for.
type Recipient struct {
	// Name is the interface's name; Exported says whether generated names
	// start upper-case.
	Name     string
	Exported bool
	// Iface is the interface type as generated code names it: in its own
	// package or another, instantiated with TypeParams.
	Iface Type
	// TypeParams are the interface's type parameters, which the generated
	// types repeat.
	TypeParams []TypeParam
	// Key is the type of the keys recipients are registered under.
	Key Type
	// Methods are in the order the interface declares them, with embedded
	// interfaces' methods where the embedding stands.
	Methods []Method
	// Names are the identifiers the generated code declares for this
	// recipient, chosen so as not to collide with the package's.
	Names Names
	// Locals are the names of the generated code's own receivers,
	// parameters and variables.
	Locals Locals
	// Wire, set for an interface annotated //dispatch:recipient remote,
	// names the code that carries its calls across processes.
	Wire *Wire
}

// Locals are the names of the receivers, parameters and variables that the
// generated code declares for one recipient. They differ from the
// recipient's type parameters and from the file's imports, and no parameter
// of a method is named like one of them.
type Locals struct {
	// Dispatcher, Ref and Message are the receivers of the dispatcher's,
	// the Ref's and a message's methods; Message also names the message a
	// Ref's method sends.
	Dispatcher, Ref, Message string
	// Ctx, Key, Impl and Opts are the parameters of the dispatcher's
	// methods and of a message's Run.
	Ctx, Key, Impl, Opts string
	// Res and Err are the results a Ref's method receives.
	Res, Err string
}

// Names are the identifiers generated for one recipient.
type Names struct {
	Dispatcher    string // XDispatcher
	NewDispatcher string // NewXDispatcher
	Ref           string // XRef
	// Router is the dispatcher's field that holds the runtime Router.
	Router string
	// RefDispatcher and RefDest are the Ref's fields: its dispatcher and its
	// runtime.Dest. They differ from every method name of the interface.
	RefDispatcher string
	RefDest       string
	// CallError, when set, is the error type that the Ref's methods
	// without a final error panic with.
	CallError string
}

// TypeParam is one type parameter with its constraint.
type TypeParam struct {
	Name       string
	Constraint Type
}

// Method is one method of a recipient interface.
type Method struct {
	Name string
	// Params are the method's parameters; Variadic says whether the last is
	// ...T (its Type is then the slice []T).
	Params   []Var
	Variadic bool
	// Results are the method's results but the final error. HasError says
	// whether there is a final error. A method with results has one unless
	// Panics is set: its Ref panics with a Names.CallError when the call
	// fails. A one-way method has no results at all.
	Results  []Var
	HasError bool
	Panics   bool
	// Ctx is the index of the context.Context parameter that carries the
	// call's context, or -1 when the method takes none.
	Ctx int
	// Async is the name of the asynchronous variant on the Ref ("MAsync"),
	// empty for a one-way method.
	Async string
	// Message is the method's generated message type. Pool is the
	// dispatcher's field that keeps its messages: a runtime.Pool, or a
	// runtime.Lane for a one-way method. Result, when the method
	// has several results besides the error, is the struct type that holds
	// them, with ResultFields its fields in the results' order.
	Message      string
	Pool         string
	Result       string
	ResultFields []string
	// ResultVars are the variables a message's Run assigns the results to,
	// when there are several besides the error.
	ResultVars []string
	// Deprecated is the method's deprecation notice, which its Ref methods
	// repeat, or "".
	Deprecated string
	// Args, set for a method of a remote recipient, is the struct its
	// message keeps its arguments in.
	Args *WireArgs
}

// OneWay reports whether the method has no results and so is sent without
// waiting.
func (m *Method) OneWay() bool { return len(m.Results) == 0 && !m.HasError }

// Var is a parameter, a result or a struct field.
type Var struct {
	// Name is the name generated code uses for it: for a parameter, unique
	// in its method, never blank, and shadowing nothing the generated code
	// refers to.
	Name string
	Type Type
	// Embedded marks an embedded struct field.
	Embedded bool
	// Tag is a struct field's tag.
	Tag string
}

// Kind says which of Type's fields describe it.
type Kind int

// The kinds of Type.
const (
	Basic        Kind = iota // Name: a predeclared type, such as int, any or error
	Named                    // Name, Path, PkgName, Args
	TypeParamRef             // Name
	Pointer                  // Elem
	Slice                    // Elem
	Array                    // Len, Elem
	Map                      // Key, Elem
	Chan                     // Dir, Elem
	Func                     // Params, Results, Variadic
	Struct                   // Fields
	Interface                // Methods, Embeds
	Union                    // Terms
)

// ChanDir is the direction of a channel type.
type ChanDir int

// The directions of a channel type.
const (
	SendRecv ChanDir = iota
	SendOnly
	RecvOnly
)

// Type is a Go type as generated code must spell it.
type Type struct {
	Kind Kind
	// Name is the name of a basic, named or type parameter type.
	Name string
	// Path and PkgName are the import path and the declared name of the
	// package of a named type; both are empty for predeclared types.
	Path    string
	PkgName string
	// Args are the type arguments of an instantiated generic type.
	Args []Type
	Elem *Type
	Key  *Type
	Len  int64
	Dir  ChanDir
	// Fields are a struct's fields.
	Fields []Var
	// Params, Results and Variadic describe a func type.
	Params   []Var
	Results  []Var
	Variadic bool
	// Methods and Embeds describe an interface literal; Methods' types are
	// Func types.
	Methods []Var
	Embeds  []Type
	// Terms are the terms of a union in a constraint.
	Terms []Term
}

// Term is one term of a union: ~T when Tilde is set.
type Term struct {
	Tilde bool
	Type  Type
}
