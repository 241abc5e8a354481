// The one-click service: its own module, so that it can import the Go package heapwisehttp
// (../../../go) through a replace directive while the other test programs' module
// (heapwise/testdata, whose go.mod is part of every core's cache stamp) stays as it is.
module heapwise/testdata/progs/oneclick

go 1.24

require (
	heapwise.dev/go v0.0.0
	heapwise/testdata v0.0.0
)

replace (
	heapwise.dev/go => ../../../go
	heapwise/testdata => ../..
)
