module heapwise/testdata

go 1.24
