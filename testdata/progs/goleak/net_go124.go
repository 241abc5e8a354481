//go:build !go1.25

package main

import "heapwise/testdata/truth"

// No network case before Go 1.25 (net.go says why).
func startNet() (group, bool) { return group{}, false }

func netTypes(*truth.Truth) {}
