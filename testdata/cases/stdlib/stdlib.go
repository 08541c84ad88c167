// Package stdlib generates dispatchers for interfaces of the standard
// library whose methods all return an error.
package stdlib

//go:generate go tool dispatchgen -type io.ReadWriteCloser,net/http.RoundTripper,database/sql/driver.Conn,io/fs.FS,io/fs.ReadDirFile,io.WriterTo,encoding.TextMarshaler
