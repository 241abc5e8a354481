// deeplist builds one singly linked list 1,000,000 nodes deep, head in a
// global: the path from main.deepHead to the tail has 1,000,000 objects.
package main

import (
	"heapwise/testdata/truth"
)

type DeepNode struct { // 16
	next *DeepNode
	id   int
}

const nNodes = 1_000_000

var deepHead *DeepNode

func main() {
	t := truth.New("deeplist")

	// Built tail first; node i (0-based from the head) has id nNodes-1-i.
	var tail, mid uintptr
	for i := 0; i < nNodes; i++ {
		deepHead = &DeepNode{next: deepHead, id: i}
		switch i {
		case 0:
			tail = truth.Addr(deepHead)
		case nNodes / 2:
			mid = truth.Addr(deepHead)
		}
	}
	t.Settle()

	truth.Type[DeepNode](t, "main.DeepNode", nNodes)
	t.Obj("deep_head", truth.Addr(deepHead), "main.DeepNode")
	t.Obj("deep_mid", mid, "main.DeepNode")
	t.Obj("deep_tail", tail, "main.DeepNode")
	t.Path("deep_head", truth.Addr(deepHead), "global", "main.deepHead", 1)
	// DeepNode is 16 bytes, exactly a size class: the head alone owns the list.
	t.Retain("deep_head", truth.Addr(deepHead), nNodes*16)
	t.Retain("deep_mid", mid, (nNodes/2+1)*16) // mid and every node after it
	// mid has id nNodes/2, so it is node nNodes-1-nNodes/2 from the head.
	t.Path("deep_mid", mid, "global", "main.deepHead", nNodes-nNodes/2)
	t.Path("deep_tail", tail, "global", "main.deepHead", nNodes)
	t.Funcs("main.main")
	t.Finish()
}
