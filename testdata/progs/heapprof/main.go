// heapprof allocates from a few distinct call sites (an inlined constructor, a method, a
// generic function, a closure, a map, a recursion deeper than the profiler records), frees
// part of what some sites allocated, and right before it is cored writes its own heap
// profile (runtime/pprof.WriteHeapProfile, what /debug/pprof/heap serves) next to its
// truth: `truth-heap.pb.gz` beside `truth.json` (`truth-kernel-heap.pb.gz` for the kernel
// core). heapwise's profile of the core must be that profile.
//
// Built as `heapprof` with the default runtime.MemProfileRate (512 KiB) and as
// `heapprof-rate1` with `-ldflags=-X main.memProfileRate=1` (scripts/make-cores.sh): every
// allocation sampled.
//
// The profile is written after the last collection, so what writing it allocates is in the
// core but not in the bytes that collection marked: the heap-marked checks of the other
// programs do not apply to this one.
package main

import (
	"os"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"

	"heapwise/testdata/truth"
)

// memProfileRate, when set by the linker, is runtime.MemProfileRate for the whole run.
var memProfileRate string

// The rate is set in a package initializer, before main allocates anything.
var _ = setRate()

func setRate() bool {
	if memProfileRate != "" {
		n, err := strconv.Atoi(memProfileRate)
		if err != nil {
			panic(err)
		}
		runtime.MemProfileRate = n
	}
	return true
}

// Record is 64 bytes, a size class.
type Record struct {
	next *Record
	id   int
	pad  [48]byte
}

// newRecord is small enough to be inlined into buildList.
func newRecord(id int, next *Record) *Record {
	return &Record{next: next, id: id}
}

func buildList(n int) *Record {
	var head *Record
	for i := 0; i < n; i++ {
		head = newRecord(i, head)
	}
	return head
}

// Cache grows by large (256 KiB) blocks.
type Cache struct {
	blocks [][]byte
}

//go:noinline
func (c *Cache) grow(n int) {
	for i := 0; i < n; i++ {
		c.blocks = append(c.blocks, make([]byte, 256<<10))
	}
}

type Pair struct {
	a, b *int
}

//go:noinline
func makeSlices[T any](n, size int) [][]T {
	out := make([][]T, n)
	for i := range out {
		out[i] = make([]T, size)
	}
	return out
}

// deep recurses 200 frames, past the 128 the profiler records, then allocates.
func deep(n int) []byte {
	if n == 0 {
		return make([]byte, 4096)
	}
	b := deep(n - 1)
	b[n%len(b)]++
	return b
}

var (
	list     *Record
	cache    = &Cache{}
	ints     [][]int64
	pairs    [][]Pair
	buffers  [][]byte
	strs     map[int]string
	deepBufs [][]byte
	funcs    []func() int
)

func main() {
	t := truth.New("heapprof")

	list = buildList(40000)
	cache.grow(16)
	ints = makeSlices[int64](500, 256)
	pairs = makeSlices[Pair](300, 64)
	// 4000 buffers of 2 KiB; every other one is dropped: freed by the collections.
	all := make([][]byte, 4000)
	for i := range all {
		all[i] = make([]byte, 2048)
	}
	for i := 0; i < len(all); i += 2 {
		buffers = append(buffers, all[i])
	}
	all = nil
	strs = make(map[int]string)
	for i := 0; i < 10000; i++ {
		strs[i] = strings.Repeat("x", 40+i%30)
	}
	for i := 0; i < 64; i++ {
		deepBufs = append(deepBufs, deep(200))
	}
	for i := 0; i < 1000; i++ {
		x := i
		funcs = append(funcs, func() int { return x * 3 })
	}
	// Garbage the collections free: temporary lists from the same inlined site.
	for i := 0; i < 10; i++ {
		_ = buildList(20000)
	}
	t.Settle()

	truth.Type[Record](t, "main.Record", 40000)
	// At rate 1 every object is sampled: its profile special names this allocation site.
	t.Obj("list_head", truth.Addr(list), "main.Record")
	t.Funcs("main.main")

	out := strings.TrimSuffix(os.Getenv("HEAPWISE_TRUTH"), ".json") + "-heap.pb.gz"
	var f *os.File
	if os.Getenv("HEAPWISE_TRUTH") != "" {
		var err error
		if f, err = os.Create(out); err != nil {
			panic(err)
		}
	}
	t.AtReady(func() {
		if f == nil {
			return
		}
		if err := pprof.WriteHeapProfile(f); err != nil {
			panic(err)
		}
		if err := f.Close(); err != nil {
			panic(err)
		}
	})
	t.Finish()
}
