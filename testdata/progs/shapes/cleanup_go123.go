//go:build !go1.24

package main

import "heapwise/testdata/truth"

// No runtime.AddCleanup before Go 1.24 (see cleanup.go).
func dropCleanBlocker() {}

func dropQueuedCleanups() func(t *truth.Truth) { return func(*truth.Truth) {} }
