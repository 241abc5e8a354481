// scale builds a ~1 GiB heap of ~10 million objects for benchmarks:
// 1000 main.Holder, each holding 6000 main.Small, 3000 main.Medium and
// 1000 []byte of 256 bytes. Each Small points at a Medium of its holder.
package main

import (
	"runtime/debug"

	"heapwise/testdata/truth"
)

type Small struct { // 32
	m    *Medium
	a, b int
	c    int
}

type Medium struct { // 128
	next *Medium
	data [15]int
}

type Holder struct { // 80
	id      int
	smalls  []*Small
	mediums []*Medium
	bufs    [][]byte
}

const (
	nHolders  = 1000
	perSmall  = 6000
	perMedium = 3000
	perBuf    = 1000
	bufSize   = 256
)

var holders []*Holder

func main() {
	debug.SetGCPercent(-1) // no collections while building: fast
	t := truth.New("scale")

	holders = make([]*Holder, nHolders)
	for h := range holders {
		ho := &Holder{
			id:      h,
			smalls:  make([]*Small, perSmall),
			mediums: make([]*Medium, perMedium),
			bufs:    make([][]byte, perBuf),
		}
		var prev *Medium
		for i := range ho.mediums {
			m := &Medium{next: prev}
			m.data[0] = i
			ho.mediums[i] = m
			prev = m
		}
		for i := range ho.smalls {
			ho.smalls[i] = &Small{m: ho.mediums[i/2], a: i}
		}
		for i := range ho.bufs {
			b := make([]byte, bufSize)
			b[0] = byte(i)
			ho.bufs[i] = b
		}
		holders[h] = ho
	}
	t.Settle()

	truth.Type[Holder](t, "main.Holder", nHolders)
	truth.Type[Small](t, "main.Small", nHolders*perSmall)
	truth.Type[Medium](t, "main.Medium", nHolders*perMedium)
	last := holders[nHolders-1]
	t.Obj("holder_0", truth.Addr(holders[0]), "main.Holder")
	t.Obj("small_last", truth.Addr(last.smalls[perSmall-1]), "main.Small")
	t.Obj("medium_0", truth.Addr(last.mediums[0]), "main.Medium")
	t.Path("holder_0", truth.Addr(holders[0]), "global", "main.holders", 2)
	// holders array -> Holder -> smalls array -> Small
	t.Path("small_last", truth.Addr(last.smalls[perSmall-1]), "global", "main.holders", 4)
	// holders array -> Holder -> mediums array -> Medium
	t.Path("medium_0", truth.Addr(last.mediums[0]), "global", "main.holders", 4)
	t.Funcs("main.main")
	t.Finish()
}
