// Package renamed generates two interfaces of one name under names of its
// own, and one named twice only once.
package renamed

//go:generate go tool dispatchgen -type io/fs.File=FSFile,net/http.File=HTTPFile,io.Reader,io.Reader
