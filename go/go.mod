module heapwise.dev/go

go 1.24
