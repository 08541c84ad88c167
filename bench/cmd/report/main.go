// Report writes docs/benchmarks.md and its chart from the raw output of the
// bench module's benchmarks; bench/run runs it.
//
//	go run ./cmd/report -raw results.txt -benchstat stat.txt -md benchmarks.md -svg benchmarks.svg
package main

import (
	"log"
	"os"
)

func main() {
	log.SetFlags(0)
	log.SetPrefix("report: ")
	if err := run(os.Args[1:]); err != nil {
		log.Fatal(err)
	}
}
