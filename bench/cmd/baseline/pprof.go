//go:build pprof

package main

import (
	"log"
	"net/http"
	_ "net/http/pprof" // profiles on BASELINE_PPROF_ADDR
	"os"
)

// With -tags pprof, BASELINE_PPROF_ADDR (e.g. 127.0.0.1:6061) serves
// /debug/pprof, to compare profiles with moviediary's.
func init() {
	if addr := os.Getenv("BASELINE_PPROF_ADDR"); addr != "" {
		go func() { log.Println(http.ListenAndServe(addr, nil)) }()
	}
}
