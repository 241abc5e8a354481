//go:build go1.24

// Queued cleanups (runtime.AddCleanup, Go 1.24+); on older releases cleanup_go123.go
// makes none.

package main

import (
	"runtime"

	"heapwise/testdata/truth"
)

type CleanBlocker struct { // 176, noscan
	id  int
	pad [21]int
}

type QueuedClean struct { // 192, noscan
	id  int
	pad [23]int
}

type QCleanArg struct { // 208, noscan
	id  int
	pad [25]int
}

const nQueuedCln = 20

func cleanupBlocker(id int) {
	started <- struct{}{}
	<-block
}

func cleanupQueued(a *QCleanArg) { sink += a.id }

//go:noinline
func dropCleanBlocker() {
	c := &CleanBlocker{id: 1}
	runtime.AddCleanup(c, cleanupBlocker, 7)
}

// dropQueuedCleanups makes objects whose cleanups will be queued but never run (the
// cleanup goroutine is blocked); the function it returns records their truth.
//
//go:noinline
func dropQueuedCleanups() func(t *truth.Truth) {
	var arg uintptr
	for i := 0; i < nQueuedCln; i++ {
		c := &QueuedClean{id: i}
		a := &QCleanArg{id: i}
		if i == 0 {
			arg = truth.Addr(a)
		}
		runtime.AddCleanup(c, cleanupQueued, a)
	}
	return func(t *truth.Truth) {
		truth.Type[QCleanArg](t, "main.QCleanArg", nQueuedCln)
		t.Obj("queued_cleanup_arg_0", arg, "main.QCleanArg")
		// Queued cleanups keep what the special kept: Go >= 1.26 the box holding
		// arg, Go <= 1.25 the wrapper closure and the box it captures.
		cleanupLen := 2
		if goMinor() <= 25 {
			cleanupLen = 3
		}
		t.Path("queued_cleanup_arg_0", arg, "cleanup", "main.cleanupQueued", cleanupLen)
	}
}
