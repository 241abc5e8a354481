//go:build !go1.24

package main

import "heapwise/testdata/truth"

// makeCleanups: no runtime.AddCleanup nor weak before Go 1.24 (see cleanup.go).
func makeCleanups() func(t *truth.Truth) { return func(*truth.Truth) {} }
