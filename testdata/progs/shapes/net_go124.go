//go:build !go1.25

package main

import "heapwise/testdata/truth"

// startNet: no network cases before Go 1.25 (see net.go).
func startNet() func(t *truth.Truth) { return func(*truth.Truth) {} }
