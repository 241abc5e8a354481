// snapshots: one process cored three times (heapwise diff, tests/diff.rs). Between the
// snapshots it grows and frees known sets of objects, one main.* type per role, and it
// reports what it knows of them: for each type the live count in each snapshot and, for
// each consecutive pair, how many objects survived (the same allocation, at the same
// address), how many are new and how many were freed, and the leak candidates by memlab's
// rule (new in the second snapshot and still alive in the third; with two snapshots, new in
// the second) grouped by the path that holds them.
//
// Every object carries the serial number of its allocation, so the program tells its
// objects apart by allocation, not by address: an object allocated where a freed one was is
// new, and the truth counts those (reused) apart. Objects are added before the ones they
// replace are dropped, so that no new object of these types can land in a slot freed in
// the same interval, except main.Token on purpose: all of its objects are freed, then new
// ones are allocated from another function, into the slots just freed. The program runs
// with runtime.MemProfileRate = 1, so each allocation carries a profile special naming
// its allocation site: that is what tells such a reused slot from a survivor.
//
// Protocol (scripts/make-cores.sh): with HEAPWISE_SNAPSHOT_DUMPS=DIR it writes
// runtime/debug.WriteHeapDump to DIR/heap-N.dump at each snapshot, writes its truth and
// exits 0 after printing DONE. Otherwise at each snapshot it prints `SNAPSHOT N` and waits
// for SIGUSR1 (sent once the core is taken); after the third it writes its truth to
// $HEAPWISE_TRUTH and exits 0 (printing DONE). With HEAPWISE_SNAPSHOTS=1 it stops after
// the first snapshot (a second process, for the different-process check).
//
// At each snapshot the collector has run twice and is off, and nothing allocates until the
// core or dump is taken.
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/signal"
	"runtime"
	"runtime/debug"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"unsafe"
)

// The roles, each an exact size class, each with a pointer field (so none goes through the
// tiny allocator) and the serial number of its allocation.
type (
	// Item: a cache that keeps some entries and replaces others (global main.cache).
	Item struct {
		id    int
		val   [6]int
		owner *Item
	}
	// Request: transient, all replaced between snapshots (global main.requests).
	Request struct {
		id   int
		body [14]int
		next *Request
	}
	// History, Entry: a history that only grows, trimmed a little (global main.history).
	History struct{ entries []*Entry }
	Entry   struct {
		id   int
		data [2]int
		prev *Entry
	}
	// Token: all freed, replaced by new ones from another site in the same slots.
	Token struct {
		id int
		n  [4]int
		h  *History
	}
	// ChunkList, Chunk: what a goroutine keeps in a local (main.worker's keep).
	ChunkList struct{ chunks []*Chunk }
	Chunk     struct {
		id int
		n  [8]int
		l  *ChunkList
	}
)

// Backing arrays sized to fill their size class exactly (a 1024-byte class with its
// 8-byte malloc header, 512 bytes without one), and never appended past.
const (
	itemCap    = 127
	requestCap = 64
	entryCap   = 127
	tokenCap   = 64
	chunkCap   = 64
)

var (
	cache    struct{ items []*Item }
	requests []*Request
	history  *History
	tokens   []*Token
	// commands to the worker: how many chunks to add (its reply on workerDone).
	workerCmd  = make(chan int)
	workerDone = make(chan []object)
	serial     int
	// escaped is written and cleared by onHeap, which makes what it is given escape.
	escaped any
)

//go:noinline
func onHeap[T any](p *T) *T {
	escaped = p
	escaped = nil
	return p
}

func next() int { serial++; return serial }

func addr[T any](p *T) uintptr { return uintptr(unsafe.Pointer(p)) }

// object is one live object of the program at a snapshot: its type, allocation serial,
// address and the path that holds it.
type object struct {
	typ    string
	size   int
	serial int
	addr   uintptr
	path   []string
}

// worker keeps chunks in a heap ChunkList only its local keep points to.
//
//go:noinline
func worker(goid chan<- int64) {
	goid <- currentGoid()
	keep := onHeap(&ChunkList{chunks: make([]*Chunk, 0, chunkCap)})
	for n := range workerCmd {
		for i := 0; i < n; i++ {
			keep.chunks = append(keep.chunks, &Chunk{id: next()})
		}
		workerDone <- keep.snapshot()
	}
	runtime.KeepAlive(keep)
}

var workerGoid int64

func (k *ChunkList) snapshot() []object {
	var out []object
	for _, c := range k.chunks {
		out = append(out, object{"main.Chunk", int(unsafe.Sizeof(*c)), c.id, addr(c), []string{
			fmt.Sprintf("goroutine %d main.worker keep", workerGoid),
			"main.ChunkList",
			fmt.Sprintf("chunks.array ([%d]*main.Chunk)", cap(k.chunks)),
			"[] (main.Chunk)",
		}})
	}
	return out
}

func currentGoid() int64 {
	buf := make([]byte, 64)
	buf = buf[:runtime.Stack(buf, false)]
	id, err := strconv.ParseInt(strings.Fields(string(buf))[1], 10, 64)
	if err != nil {
		panic(err)
	}
	return id
}

// live lists every live object of the program's roles, with the path that holds it (as
// heapwise names a path: the root, then each hop's field and type, indexes folded).
func live() []object {
	var out []object
	for _, it := range cache.items {
		out = append(out, object{"main.Item", int(unsafe.Sizeof(*it)), it.id, addr(it), []string{
			"global main.cache.items.array",
			fmt.Sprintf("[%d]*main.Item", cap(cache.items)),
			"[] (main.Item)",
		}})
	}
	for _, r := range requests {
		out = append(out, object{"main.Request", int(unsafe.Sizeof(*r)), r.id, addr(r), []string{
			"global main.requests.array",
			fmt.Sprintf("[%d]*main.Request", cap(requests)),
			"[] (main.Request)",
		}})
	}
	for _, e := range history.entries {
		out = append(out, object{"main.Entry", int(unsafe.Sizeof(*e)), e.id, addr(e), []string{
			"global main.history",
			"main.History",
			fmt.Sprintf("entries.array ([%d]*main.Entry)", cap(history.entries)),
			"[] (main.Entry)",
		}})
	}
	for _, t := range tokens {
		out = append(out, object{"main.Token", int(unsafe.Sizeof(*t)), t.id, addr(t), []string{
			"global main.tokens.array",
			fmt.Sprintf("[%d]*main.Token", cap(tokens)),
			"[] (main.Token)",
		}})
	}
	workerCmd <- 0
	return append(out, <-workerDone...)
}

//go:noinline
func newTokenA() *Token { return &Token{id: next()} }

//go:noinline
func newTokenB() *Token { return &Token{id: next()} }

// Truth is the JSON document (testdata/README.md, program snapshots).
type Truth struct {
	Program   string               `json:"program"`
	GoVersion string               `json:"go_version"`
	Pid       int                  `json:"pid"`
	Snapshots int                  `json:"snapshots"`
	Types     map[string]*TypeDiff `json:"types"`
	// Clusters: leak candidates of all three snapshots; Clusters2: of the first two.
	Clusters  []Cluster `json:"clusters"`
	Clusters2 []Cluster `json:"clusters_2"`
}

// TypeDiff: counts per snapshot; survived, new, freed and reused per consecutive pair.
type TypeDiff struct {
	Size     int   `json:"size"`
	Counts   []int `json:"counts"`
	Survived []int `json:"survived"`
	New      []int `json:"new"`
	Freed    []int `json:"freed"`
	// Reused: new objects at the address of an object of the same type freed in between
	// (counted in new and freed: they are other allocations).
	Reused []int `json:"reused"`
}

// Cluster: objects held by one path; bytes and retained are their slot sizes (each holds
// nothing else).
type Cluster struct {
	Path     []string `json:"path"`
	Count    int      `json:"count"`
	Bytes    int      `json:"bytes"`
	Retained int      `json:"retained"`
}

var snaps [][]object

// snapshot settles the heap, records what is live, and has the snapshot taken.
func snapshot(n int, dumps string, sig chan os.Signal) {
	objs := live()
	snaps = append(snaps, objs)
	var dump *os.File
	if dumps != "" {
		var err error
		if dump, err = os.Create(fmt.Sprintf("%s/heap-%d.dump", dumps, n)); err != nil {
			fail(err)
		}
	}
	line := []byte(fmt.Sprintf("SNAPSHOT %d\n", n))
	runtime.GC()
	runtime.GC()
	debug.SetGCPercent(-1)
	// Nothing allocates from here until the snapshot is taken.
	if dump != nil {
		debug.WriteHeapDump(dump.Fd())
		dump.Close()
	} else {
		os.Stdout.Write(line)
		<-sig
	}
	debug.SetGCPercent(100)
}

func main() {
	runtime.MemProfileRate = 1
	dumps := os.Getenv("HEAPWISE_SNAPSHOT_DUMPS")
	count := 3
	if os.Getenv("HEAPWISE_SNAPSHOTS") == "1" {
		count = 1
	}
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGUSR1)
	goid := make(chan int64)
	go worker(goid)
	workerGoid = <-goid

	// Snapshot 1 (base).
	cache.items = make([]*Item, 0, itemCap)
	for i := 0; i < 100; i++ {
		cache.items = append(cache.items, &Item{id: next()})
	}
	requests = make([]*Request, 0, requestCap)
	for i := 0; i < 50; i++ {
		requests = append(requests, &Request{id: next()})
	}
	history = &History{entries: make([]*Entry, 0, entryCap)}
	tokens = make([]*Token, 0, tokenCap)
	for i := 0; i < 20; i++ {
		tokens = append(tokens, newTokenA())
	}
	workerCmd <- 10
	<-workerDone
	snapshot(1, dumps, sig)
	if count == 1 {
		os.Stdout.WriteString("DONE\n")
		return
	}

	// Snapshot 2 (target): 40 items added, then 30 of the old dropped; every request
	// replaced (60 new); 80 entries; every token freed, then 20 new ones; 50 chunks.
	fresh := make([]*Item, 40)
	for i := range fresh {
		fresh[i] = &Item{id: next()}
	}
	cache.items = append(cache.items[:0], cache.items[30:]...)
	clear(cache.items[len(cache.items):cap(cache.items)])
	cache.items = append(cache.items, fresh...)
	fresh = nil
	reqs := make([]*Request, 0, requestCap)
	for i := 0; i < 60; i++ {
		reqs = append(reqs, &Request{id: next()})
	}
	requests = reqs
	for i := 0; i < 80; i++ {
		history.entries = append(history.entries, &Entry{id: next()})
	}
	clear(tokens)
	tokens = tokens[:0]
	runtime.GC()
	runtime.GC()
	for i := 0; i < 20; i++ {
		tokens = append(tokens, newTokenB())
	}
	workerCmd <- 50
	<-workerDone
	snapshot(2, dumps, sig)

	// Snapshot 3 (final): 5 items added, then 15 of the 40 new ones dropped; every request
	// replaced (10 new); 20 of the 80 entries dropped, then 30 added; no change to tokens
	// and chunks.
	fresh = make([]*Item, 5)
	for i := range fresh {
		fresh[i] = &Item{id: next()}
	}
	items := cache.items
	kept := items[:0:len(items)]
	for i, it := range items {
		// The 40 added for snapshot 2 are items[70:110]; drop the first 15 of them.
		if i >= 70 && i < 85 {
			continue
		}
		kept = append(kept, it)
	}
	clear(items[len(kept):])
	cache.items = append(items[:len(kept)], fresh...)
	fresh = nil
	reqs = make([]*Request, 0, requestCap)
	for i := 0; i < 10; i++ {
		reqs = append(reqs, &Request{id: next()})
	}
	requests = reqs
	added := make([]*Entry, 30)
	for i := range added {
		added[i] = &Entry{id: next()}
	}
	es := history.entries
	n := copy(es, es[20:])
	clear(es[n:])
	history.entries = append(es[:n], added...)
	added = nil
	snapshot(3, dumps, sig)
	writeTruth()
	os.Stdout.WriteString("DONE\n")
}

func writeTruth() {
	t := Truth{Program: "snapshots", GoVersion: runtime.Version(), Pid: os.Getpid(), Snapshots: len(snaps), Types: map[string]*TypeDiff{}}
	for i, objs := range snaps {
		for _, o := range objs {
			d := t.Types[o.typ]
			if d == nil {
				d = &TypeDiff{Size: o.size, Counts: make([]int, len(snaps)), Survived: make([]int, len(snaps)-1), New: make([]int, len(snaps)-1), Freed: make([]int, len(snaps)-1), Reused: make([]int, len(snaps)-1)}
				t.Types[o.typ] = d
			}
			d.Counts[i]++
		}
	}
	serials := func(objs []object) map[int]object {
		m := map[int]object{}
		for _, o := range objs {
			m[o.serial] = o
		}
		return m
	}
	for p := 0; p+1 < len(snaps); p++ {
		a, b := serials(snaps[p]), serials(snaps[p+1])
		freedAt := map[string]map[uintptr]bool{}
		for s, o := range a {
			if _, ok := b[s]; ok {
				t.Types[o.typ].Survived[p]++
			} else {
				t.Types[o.typ].Freed[p]++
				if freedAt[o.typ] == nil {
					freedAt[o.typ] = map[uintptr]bool{}
				}
				freedAt[o.typ][o.addr] = true
			}
		}
		for s, o := range b {
			if _, ok := a[s]; !ok {
				t.Types[o.typ].New[p]++
				if freedAt[o.typ][o.addr] {
					t.Types[o.typ].Reused[p]++
				}
			}
		}
	}
	t.Clusters = clusters(snaps[0], snaps[1], snaps[2])
	t.Clusters2 = clusters(snaps[0], snaps[1], nil)
	data, err := json.MarshalIndent(t, "", "  ")
	if err != nil {
		fail(err)
	}
	path := os.Getenv("HEAPWISE_TRUTH")
	if path == "" {
		return
	}
	if err := os.WriteFile(path+".tmp", append(data, '\n'), 0o644); err != nil {
		fail(err)
	}
	if err := os.Rename(path+".tmp", path); err != nil {
		fail(err)
	}
}

// clusters: objects new in target (not in base) and alive in final (or, without final, in
// target), grouped by their path in the last snapshot.
func clusters(base, target, final []object) []Cluster {
	inBase := map[int]bool{}
	for _, o := range base {
		inBase[o.serial] = true
	}
	newInTarget := map[int]bool{}
	for _, o := range target {
		if !inBase[o.serial] {
			newInTarget[o.serial] = true
		}
	}
	last := final
	if last == nil {
		last = target
	}
	by := map[string]*Cluster{}
	for _, o := range last {
		if !newInTarget[o.serial] {
			continue
		}
		k := strings.Join(o.path, "\x00")
		c := by[k]
		if c == nil {
			c = &Cluster{Path: o.path}
			by[k] = c
		}
		c.Count++
		c.Bytes += o.size
		c.Retained += o.size
	}
	out := []Cluster{}
	for _, c := range by {
		out = append(out, *c)
	}
	// Most retained first, then the most objects, then by path (element by element).
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Retained != b.Retained {
			return a.Retained > b.Retained
		}
		if a.Count != b.Count {
			return a.Count > b.Count
		}
		for k := 0; k < len(a.Path) && k < len(b.Path); k++ {
			if a.Path[k] != b.Path[k] {
				return a.Path[k] < b.Path[k]
			}
		}
		return len(a.Path) < len(b.Path)
	})
	return out
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "snapshots:", err)
	os.Exit(2)
}
