package model

// Wire is what a recipient annotated //dispatch:recipient remote has besides
// a local one: the names of the code that carries its calls across
// processes.
type Wire struct {
	// Method is the dispatcher's method that returns the runtime.Wire.
	Method string
	// To and In are the parameters of each method's Serve function: the
	// runtime.Dest of the recipient and the runtime.Inbound call.
	To, In string
}

// WireArgs is the struct that holds a remote method's arguments, which a
// codec writes and reads.
type WireArgs struct {
	// Type is the struct's name.
	Type string
	// Fields are the struct's exported fields, one for each parameter by
	// index, "" for the context; Tags are their names on the wire.
	Fields []string
	Tags   []string
}

// ArgsField is the message's field that holds a remote method's WireArgs.
const ArgsField = "args"
