// shapes builds the heap shapes that real programs showed heapwise typing
// wrongly (issue 16, item 3), one main.* type each, with exact counts:
// arrays of maps and channels, sync.Map contents, an object first reached
// through a pointer to its first field, closures and method values, queued
// finalizers and cleanups, goroutine-only trees, []byte stack locals, a
// loopback TCP listener and connection (goroutines parked in the netpoller;
// Go 1.25+, net.go), and timers.
// See testdata/README.md.
package main

import (
	"fmt"
	"os"
	"runtime"
	"strings"
	"sync"
	"time"

	"heapwise/testdata/truth"
)

// Arrays and slices of maps and channels: the element is one pointer word.
type MapLeaf struct { // 16, noscan
	id, pad int
}

type ChanLeaf struct { // 24, noscan
	id  int
	pad [2]int
}

type GridLeaf struct { // 32, noscan
	id  int
	pad [3]int
}

// MapGrid is 512 bytes: no malloc header, typed only by propagation.
type MapGrid struct {
	cells [64]map[int]*GridLeaf
}

// MapHolder has a map and a chan field and no padding.
type MapHolder struct { // 24
	m map[int]*MapLeaf
	c chan *ChanLeaf
	n int
}

// sync.Map contents: keys and values are `any`.
type SyncVal struct { // 48, noscan
	id  int
	pad [5]int
}

type SyncKey struct { // 16, noscan
	a, b int
}

type SyncBoxed struct { // 32, noscan
	x   int
	pad [3]int
}

// Outer is reached first through a pointer to its first field.
type Inner struct { // 16
	id   int
	leaf *InnerLeaf
}

type Outer struct { // 32
	in    Inner
	child *OuterChild
	n     int
}

type InnerLeaf struct { // 16, noscan
	id, pad int
}

type OuterChild struct { // 64, noscan
	id  int
	pad [7]int
}

// Closures and method values.
type ClosAcc struct { // 32, noscan: captured by reference (the closure writes it)
	sum int
	pad [3]int
}

type ClosPtr struct { // 48, noscan: captured by value as a pointer
	id  int
	pad [5]int
}

type MethRecv struct { // 16: receiver of a method value x.M
	id   int
	leaf *MethLeaf
}

type MethLeaf struct { // 80, noscan
	id  int
	pad [9]int
}

type ValRecv struct { // 16: value receiver, copied into the method value
	leaf *ValLeaf
	id   int
}

type ValLeaf struct { // 96, noscan
	id  int
	pad [11]int
}

func (m *MethRecv) Touch() { sink += m.id + m.leaf.id }
func (v ValRecv) Touch()   { sink += v.id + v.leaf.id }

// Goroutine-only trees.
type TreeNode struct { // 32
	left, right *TreeNode
	id          int
	pad         int
}

// Queued finalizers and cleanups: live until they run.
type FinBlocker struct { // 112, noscan
	id  int
	pad [13]int
}

type QueuedFin struct { // 16
	child *QueuedFinChild
	id    int
}

type QueuedFinChild struct { // 128, noscan
	id  int
	pad [15]int
}

type FinCapture struct { // 144, noscan: captured by a queued finalizer closure
	id  int
	pad [17]int
}

type QueuedFinClosure struct { // 160, noscan
	id  int
	pad [19]int
}

type Ballast struct{ data [4096]byte } // 4096, noscan

const (
	nMapSlice   = 1024
	nChanSlice  = 256
	nSyncVals   = 200
	nSyncBoxed  = 50
	nOuter      = 8
	nClos       = 6
	treeDepth   = 6 // 2^7-1 nodes
	nTreeGs     = 2
	nQueuedFin  = 20
	byteBufSize = 8192
)

var (
	mapSlice  []map[string]*MapLeaf
	chanSlice []chan *ChanLeaf
	grid      *MapGrid
	holder    *MapHolder

	syncCache sync.Map

	innerRefs [nOuter]*Inner
	outers    []*Outer

	closures []func()
	methods  []func()

	// ballast makes the heap ~1.5 MB, as in zoo: a thread the runtime starts
	// between measuring heap_alloc and the core (~5 KB) stays well under 1%.
	ballast []*Ballast

	timer  *time.Timer
	ticker *time.Ticker

	block   = make(chan struct{}) // never closed
	sink    int
	started = make(chan struct{}, 16)
)

func treeSize(depth int) int { return 1<<(depth+1) - 1 }

//go:noinline
func buildTree(depth, id int) *TreeNode {
	n := &TreeNode{id: id}
	if depth > 0 {
		n.left = buildTree(depth-1, 2*id)
		n.right = buildTree(depth-1, 2*id+1)
	}
	return n
}

// treeHolder keeps a tree in a local only.
func treeHolder(id int, roots chan<- uintptr) {
	root := buildTree(treeDepth, id)
	roots <- truth.Addr(root)
	<-block
	runtime.KeepAlive(root)
}

// byteBufLen is a variable so that the buffer is made on the heap.
var byteBufLen = byteBufSize

// byteHolder keeps a []byte in a local only, and passes it to an inlined
// function whose parameter shares its stack slots.
func byteHolder(addrs chan<- uintptr) {
	buf := make([]byte, byteBufLen)
	buf[0] = 1
	addrs <- truth.Addr(&buf[0])
	holdBytes(buf)
}

func holdBytes(held []byte) {
	<-block
	runtime.KeepAlive(held)
}

func finalizeBlocker(b *FinBlocker) {
	started <- struct{}{}
	<-block
}

func finalizeQueued(q *QueuedFin) { sink += q.id }

//go:noinline
func dropFinBlocker() {
	b := &FinBlocker{id: 1}
	runtime.SetFinalizer(b, finalizeBlocker)
}

// dropQueued makes objects whose finalizers will be queued but never run (the
// finalizer goroutine is blocked); returns the addresses of one QueuedFin and its
// child.
//
//go:noinline
func dropQueued() (uintptr, uintptr) {
	var fin, child uintptr
	for i := 0; i < nQueuedFin; i++ {
		q := &QueuedFin{child: &QueuedFinChild{id: i}, id: i}
		if i == 0 {
			fin, child = truth.Addr(q), truth.Addr(q.child)
		}
		runtime.SetFinalizer(q, finalizeQueued)
	}
	capture := &FinCapture{id: 1}
	qc := &QueuedFinClosure{id: 1}
	runtime.SetFinalizer(qc, func(q *QueuedFinClosure) { sink += q.id + capture.id })
	return fin, child
}

// goMinor is the minor release of the running Go (25 for go1.25.5).
func goMinor() int {
	v := strings.TrimPrefix(runtime.Version(), "go1.")
	n := 0
	for _, c := range v {
		if c < '0' || c > '9' {
			break
		}
		n = n*10 + int(c-'0')
	}
	return n
}

func waitStarted(what string) {
	select {
	case <-started:
	case <-time.After(10 * time.Second):
		fmt.Fprintln(os.Stderr, "shapes:", what, "did not start")
		os.Exit(3)
	}
}

func main() {
	// One cleanup goroutine (max(GOMAXPROCS/4, 1)) on every machine.
	runtime.GOMAXPROCS(2)
	t := truth.New("shapes")

	// Arrays of maps and channels.
	mapSlice = make([]map[string]*MapLeaf, nMapSlice)
	for i := range mapSlice {
		mapSlice[i] = map[string]*MapLeaf{"k": {id: i}}
	}
	chanSlice = make([]chan *ChanLeaf, nChanSlice)
	for i := range chanSlice {
		chanSlice[i] = make(chan *ChanLeaf, 1)
		chanSlice[i] <- &ChanLeaf{id: i}
	}
	grid = &MapGrid{}
	for i := range grid.cells {
		grid.cells[i] = map[int]*GridLeaf{i: {id: i}}
	}
	holder = &MapHolder{m: map[int]*MapLeaf{1: {id: -1}}, c: make(chan *ChanLeaf, 1), n: 1}
	holder.c <- &ChanLeaf{id: -1}

	// sync.Map.
	for i := 0; i < nSyncVals; i++ {
		syncCache.Store(fmt.Sprintf("key-%04d", i), &SyncVal{id: i})
	}
	for i := 0; i < nSyncBoxed; i++ {
		syncCache.Store(SyncKey{a: i, b: -i}, SyncBoxed{x: i + 1})
	}

	// Objects first reached through their first field.
	outers = make([]*Outer, nOuter)
	for i := range outers {
		o := &Outer{in: Inner{id: i, leaf: &InnerLeaf{id: i}}, child: &OuterChild{id: i}, n: i}
		outers[i] = o
		innerRefs[i] = &o.in
	}

	// Closures: by reference, by value, method values on pointer and value receivers.
	for i := 0; i < nClos; i++ {
		acc := ClosAcc{sum: i}
		p := &ClosPtr{id: i}
		closures = append(closures, func() { acc.sum += p.id })
		m := &MethRecv{id: i, leaf: &MethLeaf{id: i}}
		methods = append(methods, m.Touch)
		v := ValRecv{leaf: &ValLeaf{id: i}, id: i}
		methods = append(methods, v.Touch)
	}

	// Goroutine-only locals: trees and a []byte.
	roots := make(chan uintptr)
	for g := 0; g < nTreeGs; g++ {
		go treeHolder(g, roots)
	}
	var treeRoots [nTreeGs]uintptr
	for g := range treeRoots {
		treeRoots[g] = <-roots
	}
	go byteHolder(roots)
	byteLocal := <-roots

	recordNet := startNet()

	// Timers held by globals. (No time.AfterFunc: its timer sits in a P's timer
	// heap, which the runtime may grow after the last collection.)
	timer = time.NewTimer(time.Hour)
	ticker = time.NewTicker(time.Hour)

	// Block the finalizer goroutine, then (Go 1.25+) the cleanup goroutine,
	// so that the next finalizers and cleanups stay queued (cleanups: Go 1.24+,
	// cleanup.go).
	dropFinBlocker()
	runtime.GC()
	waitStarted("the blocking finalizer")
	dropCleanBlocker()
	runtime.GC()
	if goMinor() >= 25 {
		waitStarted("the blocking cleanup")
	}
	queuedFin, queuedChild := dropQueued()
	recordCleanups := dropQueuedCleanups()

	ballast = make([]*Ballast, 256)
	for i := range ballast {
		ballast[i] = &Ballast{}
	}

	t.Settle()

	truth.Type[MapLeaf](t, "main.MapLeaf", nMapSlice+1)
	truth.Type[ChanLeaf](t, "main.ChanLeaf", nChanSlice+1)
	truth.Type[GridLeaf](t, "main.GridLeaf", len(grid.cells))
	truth.Type[MapGrid](t, "main.MapGrid", 1)
	truth.Type[MapHolder](t, "main.MapHolder", 1)
	truth.Type[SyncVal](t, "main.SyncVal", nSyncVals)
	truth.Type[SyncKey](t, "main.SyncKey", nSyncBoxed)
	truth.Type[SyncBoxed](t, "main.SyncBoxed", nSyncBoxed)
	truth.Type[Inner](t, "main.Inner", 0)
	truth.Type[Outer](t, "main.Outer", nOuter)
	truth.Type[InnerLeaf](t, "main.InnerLeaf", nOuter)
	truth.Type[OuterChild](t, "main.OuterChild", nOuter)
	truth.Type[ClosAcc](t, "main.ClosAcc", nClos)
	truth.Type[ClosPtr](t, "main.ClosPtr", nClos)
	truth.Type[MethRecv](t, "main.MethRecv", nClos)
	truth.Type[MethLeaf](t, "main.MethLeaf", nClos)
	truth.Type[ValLeaf](t, "main.ValLeaf", nClos)
	truth.Type[TreeNode](t, "main.TreeNode", nTreeGs*treeSize(treeDepth))
	truth.Type[FinBlocker](t, "main.FinBlocker", 1)
	truth.Type[QueuedFin](t, "main.QueuedFin", nQueuedFin)
	truth.Type[QueuedFinChild](t, "main.QueuedFinChild", nQueuedFin)
	truth.Type[FinCapture](t, "main.FinCapture", 1)
	truth.Type[QueuedFinClosure](t, "main.QueuedFinClosure", 1)
	truth.Type[Ballast](t, "main.Ballast", len(ballast))

	t.Obj("map_slice", truth.Addr(&mapSlice[0]), fmt.Sprintf("[%d]map[string]*main.MapLeaf", nMapSlice))
	t.Obj("chan_slice", truth.Addr(&chanSlice[0]), fmt.Sprintf("[%d]chan *main.ChanLeaf", nChanSlice))
	t.Obj("grid", truth.Addr(grid), "main.MapGrid")
	t.Obj("map_holder", truth.Addr(holder), "main.MapHolder")
	t.Obj("outer_0", truth.Addr(outers[0]), "main.Outer")
	t.Obj("queued_fin_0", queuedFin, "main.QueuedFin")
	t.Obj("queued_fin_child_0", queuedChild, "main.QueuedFinChild")
	t.Obj("byte_local", byteLocal, "[8192]uint8")
	recordNet(t)
	t.Obj("timer", truth.Addr(timer), "time.Timer")
	t.Obj("ticker", truth.Addr(ticker), "time.Ticker")

	t.Path("outer_0", truth.Addr(outers[0]), "global", "main.innerRefs", 1)
	t.Path("outer_child_0", truth.Addr(outers[0].child), "global", "main.innerRefs", 2)
	for g := range treeRoots {
		t.Path(fmt.Sprintf("tree_root_%d", g), treeRoots[g], "stack", "main.treeHolder", 1)
	}
	t.Path("byte_local", byteLocal, "stack", "main.byteHolder", 1)
	// Queued finalizers: the runtime scans the queue's arg word, so the object
	// itself is marked (unlike a finalizer special, which marks its referents).
	t.Path("queued_fin_0", queuedFin, "finalizer", "main.finalizeQueued", 1)
	t.Path("queued_fin_child_0", queuedChild, "finalizer", "main.finalizeQueued", 2)
	recordCleanups(t)

	t.Funcs("main.treeHolder", "main.byteHolder", "main.finalizeBlocker", "main.main")
	t.Finish()
}
