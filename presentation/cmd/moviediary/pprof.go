//go:build pprof

package main

import (
	"log"
	"net/http"
	_ "net/http/pprof" // profiles on MOVIEDIARY_PPROF_ADDR
	"os"
)

// Built with -tags pprof, the binary serves /debug/pprof on
// MOVIEDIARY_PPROF_ADDR (e.g. 127.0.0.1:6060), to profile it under load
// (docs/bench/http.md). Release builds carry no profiler.
func init() {
	if addr := os.Getenv("MOVIEDIARY_PPROF_ADDR"); addr != "" {
		go func() { log.Println(http.ListenAndServe(addr, nil)) }()
	}
}
