//go:build go1.24

// The cases of Go 1.24+ APIs (runtime.AddCleanup, weak): cleanups and a weak pointer. On
// older releases cleanup_go123.go records none of them.

package main

import (
	"fmt"
	"os"
	"runtime"
	"strings"
	"weak"

	"heapwise/testdata/truth"
)

type CleanedUp struct { // 96, noscan
	id  int
	pad [11]int
}

type CleanupArg struct { // 112, noscan
	id  int
	pad [13]int
}

type WeakTarget struct { // 128, noscan
	id  int
	pad [15]int
}

const nCleaned = 5

var (
	cleaned    []*CleanedUp
	weakTarget *WeakTarget
	weakPtr    weak.Pointer[WeakTarget]
	cleanupRan int
)

func cleanupFn(a *CleanupArg) { cleanupRan++ }

// goMinor is the minor release of the running Go (25 for go1.25.5).
func goMinor() int {
	v := strings.TrimPrefix(runtime.Version(), "go1.")
	n := 0
	for _, c := range v {
		if c < '0' || c > '9' {
			break
		}
		n = n*10 + int(c-'0')
	}
	return n
}

// makeCleanups makes the cleaned-up objects and the weak pointer; the function it returns
// checks that no cleanup ran and records their truth (after Settle).
func makeCleanups() func(t *truth.Truth) {
	var firstCleanupArg uintptr
	for i := 0; i < nCleaned; i++ {
		c := &CleanedUp{id: i}
		arg := &CleanupArg{id: i}
		if i == 0 {
			firstCleanupArg = truth.Addr(arg)
		}
		runtime.AddCleanup(c, cleanupFn, arg)
		cleaned = append(cleaned, c)
	}
	// Weak pointer to an object that a global also holds.
	weakTarget = &WeakTarget{id: 1}
	weakPtr = weak.Make(weakTarget)
	return func(t *truth.Truth) {
		if cleanupRan != 0 {
			fmt.Fprintln(os.Stderr, "zoo: a cleanup ran; the truth would be wrong")
			os.Exit(3)
		}
		if weakPtr.Value() != weakTarget {
			fmt.Fprintln(os.Stderr, "zoo: weak pointer lost its target")
			os.Exit(3)
		}
		truth.Type[CleanedUp](t, "main.CleanedUp", nCleaned)
		truth.Type[CleanupArg](t, "main.CleanupArg", nCleaned)
		truth.Type[WeakTarget](t, "main.WeakTarget", 1)
		t.Obj("cleaned_up_0", truth.Addr(cleaned[0]), "main.CleanedUp")
		t.Obj("cleanup_arg_0", firstCleanupArg, "main.CleanupArg")
		t.Obj("weak_target", truth.Addr(weakTarget), "main.WeakTarget")
		t.Path("cleaned_up_0", truth.Addr(cleaned[0]), "global", "main.cleaned", 2)
		t.Path("weak_target", truth.Addr(weakTarget), "global", "main.weakTarget", 1)
		// Cleanup roots: Go >= 1.26 keeps a box holding the argument (one heap
		// object before it). Go <= 1.25 keeps the wrapper closure, which captures
		// arg by reference (AddCleanup takes &arg) through a second box: two heap
		// objects before the argument.
		cleanupLen := 2
		if goMinor() <= 25 {
			cleanupLen = 3
		}
		t.Path("cleanup_arg_0", firstCleanupArg, "cleanup", "main.cleanupFn", cleanupLen)
	}
}
