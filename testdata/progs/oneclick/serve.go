package main

// serve.go: the service's debug listener with heapwisehttp mounted, and a goroutine that ticks
// every millisecond and records the longest gap between ticks (the pause a snapshot causes).
// Self-contained (it names nothing of main.go but startServing), so scripts/bench-handler.sh
// builds it next to another program's main.go (testdata/progs/scale) too.
//
//	HEAPWISE_SERVE_ADDR         listen address (default 127.0.0.1:0: any free port)
//	HEAPWISE_SNAPSHOT_COMPRESS  auto (default), always or never: heapwisehttp.Options.Compression
//
// It prints "LISTEN <url of the page>" once listening. /debug/pause answers the longest gap
// since the last request to it (JSON: max_gap_us, ticks), and starts a new measurement.

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"sync/atomic"
	"time"

	"heapwise.dev/go/heapwisehttp"
)

var (
	maxGap atomic.Int64 // nanoseconds
	ticks  atomic.Int64
)

func tick() {
	tk := time.NewTicker(time.Millisecond)
	last := time.Now()
	for now := range tk.C {
		if gap := int64(now.Sub(last)); gap > maxGap.Load() {
			maxGap.Store(gap)
		}
		ticks.Add(1)
		last = now
	}
}

// startServing listens and serves in the background; it returns once the listener is open.
func startServing() {
	addr := os.Getenv("HEAPWISE_SERVE_ADDR")
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "serve:", err)
		os.Exit(2)
	}
	var opts heapwisehttp.Options
	switch c := os.Getenv("HEAPWISE_SNAPSHOT_COMPRESS"); c {
	case "", "auto":
	case "always":
		opts.Compression = heapwisehttp.CompressAlways
	case "never":
		opts.Compression = heapwisehttp.CompressNever
	default:
		fmt.Fprintln(os.Stderr, "serve: HEAPWISE_SNAPSHOT_COMPRESS must be auto, always or never, not", c)
		os.Exit(2)
	}
	mux := http.NewServeMux()
	mux.Handle("/debug/heapwise/", http.StripPrefix("/debug/heapwise", heapwisehttp.NewHandler(opts)))
	mux.HandleFunc("/debug/pause", func(w http.ResponseWriter, r *http.Request) {
		gap, n := maxGap.Swap(0), ticks.Swap(0)
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, "{\"max_gap_us\": %d, \"ticks\": %d}\n", gap/1000, n)
	})
	go tick()
	go http.Serve(ln, mux)
	fmt.Printf("LISTEN http://%s/debug/heapwise/\n", ln.Addr())
}
