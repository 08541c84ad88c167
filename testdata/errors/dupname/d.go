package dupname

//go:generate go tool dispatchgen -type io/fs.File,net/http.File
