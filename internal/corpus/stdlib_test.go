package corpus_test

import (
	"testing"

	"github.com/dispatchgen/dispatchgen/internal/testmod"
)

// stdlibPackages are the packages of the standard library whose interfaces
// TestStdlibInterfaces generates dispatchers for.
var stdlibPackages = []string{
	"bufio", "container/heap", "context", "crypto", "crypto/cipher", "database/sql", "database/sql/driver",
	"encoding", "encoding/binary", "encoding/gob", "encoding/json", "encoding/xml", "expvar", "flag", "fmt",
	"go/ast", "go/types", "hash", "image", "image/color", "image/draw", "io", "io/fs", "log/slog",
	"math/rand", "math/rand/v2", "mime/multipart", "net", "net/http", "net/http/cookiejar", "net/rpc", "os",
	"reflect", "runtime", "sort", "sync", "testing", "text/template/parse",
}

// TestStdlibInterfaces generates, with -noerror=panic, a local and a
// remote dispatcher for every interface of stdlibPackages (see
// generateCorpus).
func TestStdlibInterfaces(t *testing.T) {
	if testing.Short() {
		t.Skip("loads and builds much of the standard library; skipped with -short")
	}
	dir := t.TempDir()
	testmod.Write(t, dir, "example.com/std", nil)
	names, inst := exportedInterfaces(t, dir, stdlibPackages)
	t.Logf("%d interfaces of %d packages", len(names), len(stdlibPackages))
	generateCorpus(t, dir, names, inst, 2.0/3, true)
}
