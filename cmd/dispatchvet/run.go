package main

import (
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strings"
)

// underGoVet is set in the environment of the go vet that run starts, so
// that the command it runs as its vet tool answers go vet.
const underGoVet = "DISPATCHVET_UNDER_GO_VET"

// speaksVet reports whether args are go vet's to its vet tool: a query of
// its version or flags, or the configuration of one package. Asked for
// help, or given nothing, the command prints its usage the same way.
func speaksVet(args []string) bool {
	if len(args) == 0 || strings.HasSuffix(args[len(args)-1], ".cfg") {
		return true
	}
	return slices.ContainsFunc(args, func(a string) bool {
		a = strings.TrimLeft(a, "-")
		return a == "flags" || a == "V" || strings.HasPrefix(a, "V=") || a == "h" || a == "help"
	})
}

// run runs go vet with this command as its vet tool on args, go vet's
// flags and packages, its output and standard input the command's own.
//
// It does not analyze the packages itself, as singlechecker would through
// go/packages, because go/packages has every package compiled for its
// export data, the packages given included: on a package of 100 000 lines
// that took nine times as long as go vet.
func run(args []string) error {
	self, err := os.Executable()
	if err != nil {
		return fmt.Errorf("finding this command to give go vet: %w", err)
	}
	cmd := exec.Command("go", append([]string{"vet", "-vettool=" + self}, args...)...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	cmd.Env = append(os.Environ(), underGoVet+"=1")
	return cmd.Run()
}
