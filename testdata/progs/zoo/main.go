// zoo builds one heap structure of every kind the analyzer must handle, each
// with its own main.* type so that per-type counts are exact. See
// testdata/README.md for what is asserted and why.
package main

import (
	"fmt"
	"os"
	"runtime"
	"unsafe"

	"heapwise/testdata/truth"
)

// Sizes (amd64) are in the comments; the truth records unsafe.Sizeof.
// Noscan types are all >= 16 bytes so none goes through the tiny allocator.

type ListNode struct { // 16
	next *ListNode
	val  int
}

type MapVal struct { // 40
	id   int
	name string
	tag  [2]int
}

// MapInline values are stored inline in the map's groups: there is no heap
// object of this type (count 0).
type MapInline struct { // 24
	a, b int
	c    float64
}

type Elem struct { // 48, noscan
	id   int
	data [5]int
}

// Big is > 32 KiB: a large object with pointers, one per span.
type Big struct { // 40008
	id    int
	slots [5000]*BigChild
}

type BigChild struct { // 32, noscan
	id  int
	pad [3]int
}

// BigNoScan is a large object without pointers.
type BigNoScan struct { // 40000
	data [40000]byte
}

// WideMask's pointer words run from word 1 to word 200: its pointer mask is
// longer than 128 words. Slots 0, 127, 128, 199 are set (words 1, 128, 129, 200).
type WideMask struct { // 1624
	a    int
	ptrs [200]*WideTarget
	b, c int
}

type WideTarget struct { // 24, noscan
	id int
	x  [2]int
}

type IfaceImpl struct { // 24
	id   int
	name string
}

// Boxed is stored by value in an interface: each conversion allocates one
// heap object of type main.Boxed.
type Boxed struct { // 24, noscan
	a, b, c int
}

type StringerImpl struct { // 40, noscan
	id  int
	pad [4]int
}

func (s *StringerImpl) String() string { return fmt.Sprint("impl", s.id) }

// BoxedStringer is stored by value in a fmt.Stringer: boxed on the heap.
type BoxedStringer struct { // 32, noscan
	x, y int
	pad  [2]int
}

func (b BoxedStringer) String() string { return fmt.Sprint("boxed", b.x) }

// DirectIface is pointer-shaped: stored directly in the interface data word,
// so it has no heap objects (count 0); the word points at a DirectTarget.
type DirectIface struct {
	p *DirectTarget
}

type DirectTarget struct { // 56, noscan
	id  int
	pad [6]int
}

type ChanItem struct { // 16, noscan
	id  int
	pad int
}

type Captured struct { // 64, noscan
	id  int
	pad [7]int
}

type StackOnly struct { // 32
	next *StackOnly
	id   int
	pad  [2]int
}

type Finalized struct { // 80, noscan
	id  int
	pad [9]int
}

type CycleA struct { // 32
	b   *CycleB
	pad [3]int
}

type CycleB struct { // 48
	a   *CycleA
	pad [5]int
}

type WithString struct { // 24
	s string
	n int
}

// Garbage has a pointer and is > 512 bytes, so each object carries a malloc
// header naming its type: unreachable objects can still be typed exactly.
// 1016 bytes + the 8-byte header fill the 1024-byte size class exactly.
type Garbage struct { // 1016
	next *Garbage // the previous garbage object: one chain, dropped whole
	data [1008]byte
}

const (
	nList       = 1000
	nMapVals    = 500
	nMapInline  = 300
	nElems      = 100
	nBigs       = 3
	nBigNoScan  = 2
	nWides      = 5
	nIfaceImpl  = 10
	nBoxed      = 15
	nDirect     = 5
	nStringer   = 10
	nBoxedStr   = 5
	nChanItems  = 40
	chanCap     = 64
	nCaptured   = 10
	nHolders    = 3
	nStackOnly  = 10 // per holder goroutine
	nFinalized  = 5
	nStrings    = 50
	nGarbage    = 200
	bigChildIdx = 4999
)

var bigChildSlots = []int{0, 1, 2, 3, 4, 5, 6, 7, 8, bigChildIdx}
var wideSlots = []int{0, 127, 128, 199}

var (
	listHead   *ListNode
	mapVals    map[string]*MapVal
	mapInline  map[int]MapInline
	elems      []*Elem
	bigs       [nBigs]*Big
	bigNoScans [nBigNoScan]*BigNoScan
	wides      [nWides]*WideMask
	anys       []any
	stringers  []fmt.Stringer
	chanItems  chan *ChanItem
	funcs      []func()
	finalized  []*Finalized
	strs       []string
	withString *WithString

	block   chan struct{} // never closed: holder goroutines wait on it
	sinkInt int
	finRan  int
)

//go:noinline
func newStackOnly(next *StackOnly, id int) *StackOnly {
	return &StackOnly{next: next, id: id}
}

// stackHolder keeps a list of StackOnly nodes in a local variable only.
func stackHolder(id int, addrs chan<- [2]uintptr) {
	var head *StackOnly
	var tail uintptr
	for i := 0; i < nStackOnly; i++ {
		head = newStackOnly(head, id*1000+i)
		if i == 0 {
			tail = truth.Addr(head)
		}
	}
	addrs <- [2]uintptr{truth.Addr(head), tail}
	<-block
	runtime.KeepAlive(head)
}

func finalizeFinalized(f *Finalized) { finRan++ }
func finalizeCycle(a *CycleA)        { finRan++ }

// makeCycle makes an unreachable CycleA<->CycleB cycle; CycleA has a
// finalizer, so the cycle is never freed. Only the addresses come back.
//
//go:noinline
func makeCycle() (uintptr, uintptr) {
	a := &CycleA{}
	b := &CycleB{}
	a.b = b
	b.a = a
	runtime.SetFinalizer(a, finalizeCycle)
	return truth.Addr(a), truth.Addr(b)
}

// Owner and its buffers test retained sizes: two owners share one leaf, so
// neither retains it; the array holding both does. 16, 48 and 112 bytes are
// exact size classes, so every retained size is known to the byte.
type Owner struct { // 16
	leaf *SharedLeaf
	own  *OwnBuf
}

type SharedLeaf struct{ data [48]byte } // 48, noscan

type OwnBuf struct{ data [112]byte } // 112, noscan

var owners []*Owner

//go:noinline
func allocGarbage(i int, prev *Garbage) *Garbage {
	g := new(Garbage)
	g.data[0] = byte(i)
	g.next = prev
	return g
}

// ifaceData is the data word of an interface value.
func ifaceData(p unsafe.Pointer) uintptr {
	return uintptr((*[2]unsafe.Pointer)(p)[1])
}

func main() {
	t := truth.New("zoo")

	// Linked list, head in a global.
	var listTail uintptr
	for i := 0; i < nList; i++ {
		listHead = &ListNode{next: listHead, val: i}
		if i == 0 {
			listTail = truth.Addr(listHead)
		}
	}

	// Values reachable only through a map; inline map values.
	mapVals = make(map[string]*MapVal)
	for i := 0; i < nMapVals; i++ {
		k := fmt.Sprintf("key-%04d", i)
		mapVals[k] = &MapVal{id: i, name: k}
	}
	mapInline = make(map[int]MapInline)
	for i := 0; i < nMapInline; i++ {
		mapInline[i] = MapInline{a: i, b: 2 * i, c: float64(i)}
	}

	// 800-byte backing array of pointers (malloc header).
	elems = make([]*Elem, nElems)
	for i := range elems {
		elems[i] = &Elem{id: i}
	}

	// Large objects.
	for i := range bigs {
		b := &Big{id: i}
		for _, s := range bigChildSlots {
			b.slots[s] = &BigChild{id: i*10000 + s}
		}
		bigs[i] = b
	}
	for i := range bigNoScans {
		bigNoScans[i] = &BigNoScan{}
		bigNoScans[i].data[i] = 1
	}

	// Pointer mask longer than 128 words.
	for i := range wides {
		w := &WideMask{a: i}
		for _, s := range wideSlots {
			w.ptrs[s] = &WideTarget{id: i*1000 + s}
		}
		wides[i] = w
	}

	// Interfaces.
	anys = make([]any, 0, nIfaceImpl+nBoxed+nDirect)
	for i := 0; i < nIfaceImpl; i++ {
		anys = append(anys, &IfaceImpl{id: i})
	}
	for i := 0; i < nBoxed; i++ {
		anys = append(anys, Boxed{a: i + 1, b: 2*i + 1, c: 3*i + 1})
	}
	for i := 0; i < nDirect; i++ {
		anys = append(anys, DirectIface{p: &DirectTarget{id: i}})
	}
	stringers = make([]fmt.Stringer, 0, nStringer+nBoxedStr)
	for i := 0; i < nStringer; i++ {
		stringers = append(stringers, &StringerImpl{id: i})
	}
	for i := 0; i < nBoxedStr; i++ {
		stringers = append(stringers, BoxedStringer{x: i + 1, y: i + 7})
	}

	// Buffered channel holding items.
	chanItems = make(chan *ChanItem, chanCap)
	var firstItem, lastItem uintptr
	for i := 0; i < nChanItems; i++ {
		it := &ChanItem{id: i}
		if i == 0 {
			firstItem = truth.Addr(it)
		}
		lastItem = truth.Addr(it)
		chanItems <- it
	}

	// Closures capturing a pointer.
	funcs = make([]func(), 0, nCaptured)
	var firstCaptured uintptr
	for i := 0; i < nCaptured; i++ {
		c := &Captured{id: i}
		if i == 0 {
			firstCaptured = truth.Addr(c)
		}
		funcs = append(funcs, func() { sinkInt += c.id })
	}

	// Goroutine-only locals.
	block = make(chan struct{})
	addrs := make(chan [2]uintptr)
	for g := 0; g < nHolders; g++ {
		go stackHolder(g, addrs)
	}
	var stackLists [nHolders][2]uintptr
	for g := 0; g < nHolders; g++ {
		stackLists[g] = <-addrs
	}

	// Finalizers on reachable objects; cleanups.
	for i := 0; i < nFinalized; i++ {
		f := &Finalized{id: i}
		runtime.SetFinalizer(f, finalizeFinalized)
		finalized = append(finalized, f)
	}
	recordCleanups := makeCleanups() // Go 1.24+: cleanups and a weak pointer (cleanup.go)
	cycleA, cycleB := makeCycle()

	// Strings of known lengths (20+i bytes), all heap-allocated.
	strs = make([]string, nStrings)
	for i := range strs {
		b := make([]byte, 20+i)
		for j := range b {
			b[j] = byte('a' + (i+j)%26)
		}
		strs[i] = string(b)
	}
	withString = &WithString{s: strs[7], n: len(strs[7])}

	// Two owners sharing one leaf (retained sizes).
	leaf := &SharedLeaf{}
	owners = make([]*Owner, 2)
	for i := range owners {
		owners[i] = &Owner{leaf: leaf, own: &OwnBuf{}}
	}

	t.Settle()
	if finRan != 0 {
		fmt.Fprintln(os.Stderr, "zoo: a finalizer ran; the truth would be wrong")
		os.Exit(3)
	}

	// Garbage: allocated after Settle's collections as one chain, held
	// through Finish's last collection, then dropped.
	var garbage [2]uintptr
	var chain *Garbage
	for i := 0; i < nGarbage; i++ {
		chain = allocGarbage(i, chain)
		a := truth.Addr(chain)
		if i == 0 {
			garbage[0] = a
		}
		if i == nGarbage-1 {
			garbage[1] = a
		}
	}

	// Exact live counts.
	truth.Type[ListNode](t, "main.ListNode", nList)
	truth.Type[MapVal](t, "main.MapVal", nMapVals)
	truth.Type[MapInline](t, "main.MapInline", 0)
	truth.Type[Elem](t, "main.Elem", nElems)
	truth.Type[Big](t, "main.Big", nBigs)
	truth.Type[BigChild](t, "main.BigChild", nBigs*len(bigChildSlots))
	truth.Type[BigNoScan](t, "main.BigNoScan", nBigNoScan)
	truth.Type[WideMask](t, "main.WideMask", nWides)
	truth.Type[WideTarget](t, "main.WideTarget", nWides*len(wideSlots))
	truth.Type[IfaceImpl](t, "main.IfaceImpl", nIfaceImpl)
	truth.Type[Boxed](t, "main.Boxed", nBoxed)
	truth.Type[DirectIface](t, "main.DirectIface", 0)
	truth.Type[DirectTarget](t, "main.DirectTarget", nDirect)
	truth.Type[StringerImpl](t, "main.StringerImpl", nStringer)
	truth.Type[BoxedStringer](t, "main.BoxedStringer", nBoxedStr)
	truth.Type[ChanItem](t, "main.ChanItem", nChanItems)
	truth.Type[Captured](t, "main.Captured", nCaptured)
	truth.Type[StackOnly](t, "main.StackOnly", nHolders*nStackOnly)
	truth.Type[Finalized](t, "main.Finalized", nFinalized)
	truth.Type[CycleA](t, "main.CycleA", 1)
	truth.Type[CycleB](t, "main.CycleB", 1)
	truth.Type[WithString](t, "main.WithString", 1)
	truth.Garbage[Garbage](t, "main.Garbage", nGarbage)
	t.HoldGarbage(chain, nGarbage*1024)
	chain = nil

	// Chosen objects.
	big2 := bigs[nBigs-1]
	bigChild := truth.Addr(big2.slots[bigChildIdx])
	wide4 := wides[nWides-1]
	wideTarget := truth.Addr(wide4.ptrs[199])
	wideTarget127 := truth.Addr(wide4.ptrs[127])
	ifaceImpl := ifaceData(unsafe.Pointer(&anys[0]))
	boxed := ifaceData(unsafe.Pointer(&anys[nIfaceImpl]))
	direct := ifaceData(unsafe.Pointer(&anys[nIfaceImpl+nBoxed]))
	stringerImpl := ifaceData(unsafe.Pointer(&stringers[0]))
	boxedStringer := ifaceData(unsafe.Pointer(&stringers[nStringer]))

	t.Obj("list_head", truth.Addr(listHead), "main.ListNode")
	// ListNode is 16 bytes (a size class): the head alone keeps the whole list.
	t.Retain("list_head", truth.Addr(listHead), nList*16)
	t.Retain("owner_0", truth.Addr(owners[0]), 16+112)
	t.Retain("owner_1", truth.Addr(owners[1]), 16+112)
	// The owners' backing array ([2]*Owner, 16 bytes) retains both owners and the leaf.
	t.Retain("owners_array", truth.Addr(&owners[0]), 16+2*(16+112)+48)
	t.Obj("list_tail", listTail, "main.ListNode")
	t.Obj("map_val_0042", truth.Addr(mapVals["key-0042"]), "main.MapVal")
	t.Obj("elem_0", truth.Addr(elems[0]), "main.Elem")
	t.Obj("elem_99", truth.Addr(elems[nElems-1]), "main.Elem")
	t.Obj("big_0", truth.Addr(bigs[0]), "main.Big")
	t.Obj("big_2", truth.Addr(big2), "main.Big")
	t.Obj("big_child_2_4999", bigChild, "main.BigChild")
	t.Obj("big_noscan_0", truth.Addr(bigNoScans[0]), "main.BigNoScan")
	t.Obj("wide_4", truth.Addr(wide4), "main.WideMask")
	t.Obj("wide_target_4_127", wideTarget127, "main.WideTarget")
	t.Obj("wide_target_4_199", wideTarget, "main.WideTarget")
	t.Obj("iface_impl_0", ifaceImpl, "main.IfaceImpl")
	t.Obj("boxed_0", boxed, "main.Boxed")
	t.Obj("direct_target_0", direct, "main.DirectTarget")
	t.Obj("stringer_impl_0", stringerImpl, "main.StringerImpl")
	t.Obj("boxed_stringer_0", boxedStringer, "main.BoxedStringer")
	t.Obj("chan_item_0", firstItem, "main.ChanItem")
	t.Obj("chan_item_39", lastItem, "main.ChanItem")
	t.Obj("captured_0", firstCaptured, "main.Captured")
	for g := 0; g < nHolders; g++ {
		t.Obj(fmt.Sprintf("stack_only_head_%d", g), stackLists[g][0], "main.StackOnly")
		t.Obj(fmt.Sprintf("stack_only_tail_%d", g), stackLists[g][1], "main.StackOnly")
	}
	t.Obj("finalized_0", truth.Addr(finalized[0]), "main.Finalized")
	t.Obj("cycle_a", cycleA, "main.CycleA")
	t.Obj("cycle_b", cycleB, "main.CycleB")
	t.Obj("with_string", truth.Addr(withString), "main.WithString")
	t.Obj("garbage_0", garbage[0], "main.Garbage")
	t.Obj("garbage_199", garbage[1], "main.Garbage")

	// Shortest paths (length = heap objects on the path, target included).
	t.Path("list_head", truth.Addr(listHead), "global", "main.listHead", 1)
	t.Path("list_tail", listTail, "global", "main.listHead", nList)
	t.Path("elem_99", truth.Addr(elems[nElems-1]), "global", "main.elems", 2)
	t.Path("big_2", truth.Addr(big2), "global", "main.bigs", 1)
	t.Path("big_child_2_4999", bigChild, "global", "main.bigs", 2)
	t.Path("big_noscan_0", truth.Addr(bigNoScans[0]), "global", "main.bigNoScans", 1)
	t.Path("wide_4", truth.Addr(wide4), "global", "main.wides", 1)
	t.Path("wide_target_4_127", wideTarget127, "global", "main.wides", 2)
	t.Path("wide_target_4_199", wideTarget, "global", "main.wides", 2)
	t.Path("iface_impl_0", ifaceImpl, "global", "main.anys", 2)
	t.Path("boxed_0", boxed, "global", "main.anys", 2)
	t.Path("direct_target_0", direct, "global", "main.anys", 2)
	t.Path("stringer_impl_0", stringerImpl, "global", "main.stringers", 2)
	t.Path("boxed_stringer_0", boxedStringer, "global", "main.stringers", 2)
	t.Path("chan_item_39", lastItem, "global", "main.chanItems", 3) // hchan -> buf -> item
	t.Path("captured_0", firstCaptured, "global", "main.funcs", 3)  // backing array -> closure -> Captured
	t.Path("finalized_0", truth.Addr(finalized[0]), "global", "main.finalized", 2)
	t.Path("with_string", truth.Addr(withString), "global", "main.withString", 1)
	for g := 0; g < nHolders; g++ {
		t.Path(fmt.Sprintf("stack_only_head_%d", g), stackLists[g][0], "stack", "main.stackHolder", 1)
		t.Path(fmt.Sprintf("stack_only_tail_%d", g), stackLists[g][1], "stack", "main.stackHolder", nStackOnly)
	}
	// Finalizer roots: the runtime scans the object carrying the finalizer
	// without marking it, so its referents are at length 1.
	t.Path("cycle_b", cycleB, "finalizer", "main.finalizeCycle", 1)
	t.Path("cycle_a", cycleA, "finalizer", "main.finalizeCycle", 2)
	recordCleanups(t)

	t.Funcs("main.stackHolder", "main.main")
	t.Finish()
}
