package misplaced

//go:generate go tool dispatchgen

// Run is a function, which cannot be a recipient.
//
//dispatch:recipient
func Run() {}

//dispatch:recipient key=int extra
type Iface interface {
	M() error
}
