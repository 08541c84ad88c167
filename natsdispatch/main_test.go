package natsdispatch

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/dispatchgen/dispatchgen/natsdispatch/embedded"
	"go.uber.org/goleak"
)

// serverProcessEnv, set, makes the test binary a server process: it runs an
// embedded server, prints its URL, and stops when its standard input
// closes. Measurements of a node's own memory need the server in a process
// of its own.
const serverProcessEnv = "NATSDISPATCH_TEST_SERVER_PROCESS"

func TestMain(m *testing.M) {
	if os.Getenv(serverProcessEnv) != "" {
		os.Exit(serveProcess())
	}
	if url := os.Getenv(hostProcessEnv); url != "" {
		os.Exit(hostProcess(url))
	}
	goleak.VerifyTestMain(m)
}

func serveProcess() int {
	srv, err := embedded.Start(embedded.Config{})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer srv.Shutdown()
	fmt.Println(srv.ClientURL())
	_, _ = bufio.NewReader(os.Stdin).ReadString('\n')
	return 0
}

// startServerProcess runs a server in a child process and returns its URL.
func startServerProcess(t testing.TB) string {
	t.Helper()
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), serverProcessEnv+"=1")
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		stdin.Close()
		_ = cmd.Wait()
	})
	url, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		t.Fatalf("server process: %v", err)
	}
	return strings.TrimSpace(url)
}
