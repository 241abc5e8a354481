// goscale starts 100,000 goroutines for the goroutine benchmark (scripts/bench-goroutines.sh):
// half block forever on a channel only they hold (leaked by Go 1.27's rule),
// half wait on a channel a global holds; each recurses to a depth of its own
// (0-19) first, so that they form 40 groups of 2,500 goroutines, and holds one
// main.Payload. Benchmark only: made when asked (make-cores.sh --progs goscale).
package main

import (
	"runtime"
	"sync"

	"heapwise/testdata/truth"
)

type Payload struct{ b [128]byte }

const (
	nGoroutines = 100_000
	nDepths     = 20
)

var (
	shared  = make(chan int)
	started sync.WaitGroup
	escaped any
)

//go:noinline
func onHeap(p *Payload) *Payload {
	escaped = p
	escaped = nil
	return p
}

//go:noinline
func leakAt(depth int) {
	if depth > 0 {
		leakAt(depth - 1)
		return
	}
	held := onHeap(new(Payload))
	ch := make(chan int)
	started.Done()
	<-ch
	runtime.KeepAlive(held)
}

//go:noinline
func waitAt(depth int) {
	if depth > 0 {
		waitAt(depth - 1)
		return
	}
	held := onHeap(new(Payload))
	started.Done()
	<-shared
	runtime.KeepAlive(held)
}

func main() {
	t := truth.New("goscale")
	started.Add(nGoroutines)
	for i := 0; i < nGoroutines; i++ {
		if i%2 == 0 {
			go leakAt(i / 2 % nDepths)
		} else {
			go waitAt(i / 2 % nDepths)
		}
	}
	started.Wait()
	truth.Type[Payload](t, "main.Payload", nGoroutines)
	t.Funcs("main.main", "main.leakAt", "main.waitAt")
	t.Settle()
	t.Finish()
}
