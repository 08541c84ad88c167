package gen

import (
	"strconv"
	"unicode"
	"unicode/utf8"
)

// namer hands out identifiers that differ from every name it was told is
// taken and from every one it handed out before.
type namer struct {
	taken map[string]bool
	// declared and imported, for a package's namer, are the names the
	// package declares and those its files import packages under.
	declared, imported map[string]bool
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
	for i := 2; n.taken[name]; i++ {
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
