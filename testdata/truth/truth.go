// Package truth is the shared harness of the heapwise test programs: it
// collects the ground truth that a program knows about its own heap, writes
// it as JSON to $HEAPWISE_TRUTH and then either blocks (for gcore) or
// crashes (HEAPWISE_CRASH=1, for a kernel core with GOTRACEBACK=crash).
//
// Its own types live in this package, not in package main, so that only
// the main.* types that a program asserts appear under "main." in a core.
package truth

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime"
	"runtime/debug"
	"strconv"
	"sync"
	"syscall"
	"time"
	"unsafe"
)

// TypeCount is the exact number of live heap objects of one type.
type TypeCount struct {
	Count int     `json:"count"`
	Size  uintptr `json:"size"`
}

// Object is one chosen heap object.
type Object struct {
	Label string `json:"label"`
	Addr  string `json:"addr"`
	Type  string `json:"type"`
}

// Path is the shortest path from a root to an object; Length counts the
// heap objects on it, the target included.
type Path struct {
	Label    string `json:"label"`
	Addr     string `json:"addr"`
	RootKind string `json:"root_kind"`
	RootName string `json:"root_name"`
	Length   int    `json:"length"`
}

// Truth is the JSON document; see testdata/README.md for the schema.
type Truth struct {
	Program        string               `json:"program"`
	GoVersion      string               `json:"go_version"`
	Pid            int                  `json:"pid"`
	HeapAlloc      uint64               `json:"heap_alloc"` // informational; see Finish
	GarbageBytes   uint64               `json:"garbage_bytes"`
	Types          map[string]TypeCount `json:"types"`
	GarbageTypes   map[string]TypeCount `json:"garbage_types"`
	Objects        []Object             `json:"objects"`
	Paths          []Path               `json:"paths"`
	Retained       []Retained           `json:"retained"`
	GoroutineFuncs []string             `json:"goroutine_funcs"`
	// GoroutineGroups: programs that know their goroutines (goleak) only.
	GoroutineGroups []GoroutineGroup `json:"goroutine_groups,omitempty"`

	// afterCore, when set, runs once the core has been taken (see AfterCore).
	afterCore func(w io.Writer) error

	// garbage is held through Finish's last collection, then dropped.
	garbage      any
	garbageBytes uint64
	// atReady runs after Finish's last collection, right before the program blocks or
	// crashes (AtReady).
	atReady func()
}

// AtReady makes Finish call f after its last collection, right before the program
// blocks to be cored (or crashes): the moment a core shows. What f allocates comes
// after that collection, so it is not in the bytes it marked: only a program whose
// tests do not compare those (heapprof) may use it.
func (t *Truth) AtReady(f func()) { t.atReady = f }

// HoldGarbage keeps v (a chain of objects the program will drop) alive through
// Finish's last collection; bytes is their exact total slot size (garbage_bytes).
// Finish then drops v, so the objects are garbage in the core, yet counted in
// the bytes that collection marked.
func (t *Truth) HoldGarbage(v any, bytes uint64) {
	t.garbage = v
	t.garbageBytes = bytes
}

// New starts the truth of program prog.
func New(prog string) *Truth {
	return &Truth{
		Program:        prog,
		GoVersion:      runtime.Version(),
		Pid:            os.Getpid(),
		Types:          map[string]TypeCount{},
		GarbageTypes:   map[string]TypeCount{},
		Objects:        []Object{},
		Paths:          []Path{},
		GoroutineFuncs: []string{},
	}
}

// Hex formats an address the way the JSON wants it.
func Hex(addr uintptr) string { return fmt.Sprintf("%#x", addr) }

// Addr is the address of p, as a plain integer (keeps nothing alive).
func Addr[T any](p *T) uintptr { return uintptr(unsafe.Pointer(p)) }

// Type records an exact live count of a type whose value is v.
func Type[T any](t *Truth, name string, count int) {
	var v T
	t.Types[name] = TypeCount{Count: count, Size: unsafe.Sizeof(v)}
}

// Garbage records an exact count of allocated but unreachable objects.
func Garbage[T any](t *Truth, name string, count int) {
	var v T
	t.GarbageTypes[name] = TypeCount{Count: count, Size: unsafe.Sizeof(v)}
}

// Obj records a chosen object.
func (t *Truth) Obj(label string, addr uintptr, typ string) {
	t.Objects = append(t.Objects, Object{Label: label, Addr: Hex(addr), Type: typ})
}

// Retained is the exact number of bytes that would be freed if the object at
// Addr became unreachable: its own slot plus every slot only it keeps alive.
type Retained struct {
	Label string `json:"label"`
	Addr  string `json:"addr"`
	Bytes uint64 `json:"bytes"`
}

// Retain records the retained size of the object at addr. Programs choose
// types whose sizes are exact size classes so that bytes is known exactly.
func (t *Truth) Retain(label string, addr uintptr, bytes uint64) {
	t.Retained = append(t.Retained, Retained{Label: label, Addr: Hex(addr), Bytes: bytes})
}

// GoroutineGroup is a set of goroutines that run one function, block at one
// place and hold what only they hold: heapwise groups them by stack.
type GoroutineGroup struct {
	Label string `json:"label"`
	// Function is the function the goroutines run (their outermost frame).
	Function string `json:"function"`
	// CreatedBy is the function whose go statement started them.
	CreatedBy string `json:"created_by"`
	// WaitReason is the runtime's waitReasonStrings entry they block with.
	WaitReason string `json:"wait_reason"`
	// Leaked: blocked on a channel, select, mutex or wait group that nothing
	// able to run can reach (Go 1.27's goroutineleak rule).
	Leaked bool `json:"leaked"`
	// Goids are the goroutine ids, as runtime.Stack prints them.
	Goids []int64 `json:"goids"`
	// Labels are the goroutines' pprof labels.
	Labels map[string]string `json:"labels,omitempty"`
	// Held counts, by main.* type, the heap objects only these goroutines keep
	// alive (the same types are in Types; nothing else holds them).
	Held map[string]int `json:"held"`
}

// Group records a goroutine group.
func (t *Truth) Group(g GoroutineGroup) { t.GoroutineGroups = append(t.GoroutineGroups, g) }

// AfterCore registers f to run after the core is taken: Finish prints
// AFTERCORE before READY, and on SIGUSR1 (which scripts/make-cores.sh sends
// once gcore is done) writes f's output to $HEAPWISE_AFTERCORE and exits 0.
// For what can only be asked of the process after the core (a profile that
// runs a collection, say). gcore runs only; ignored for kernel cores and dumps.
func (t *Truth) AfterCore(f func(w io.Writer) error) { t.afterCore = f }

// Path records a shortest path.
func (t *Truth) Path(label string, addr uintptr, kind, root string, length int) {
	t.Paths = append(t.Paths, Path{Label: label, Addr: Hex(addr), RootKind: kind, RootName: root, Length: length})
}

// Funcs records functions that must appear in some goroutine's frames.
func (t *Truth) Funcs(names ...string) { t.GoroutineFuncs = append(t.GoroutineFuncs, names...) }

// Settle runs the two collections every program runs once its heap is
// built, reads HeapAlloc, and then turns the collector off so that nothing
// allocated afterwards (garbage, JSON, the crash) is ever collected.
func (t *Truth) Settle() {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	t.HeapAlloc = ms.HeapAlloc
	debug.SetGCPercent(-1)
}

// heapAllocPlaceholder is patched in the marshalled JSON once HeapAlloc is
// known; JSON allows the leading spaces that pad the real figure to its width.
const heapAllocPlaceholder = 999999999999999999

// retained keeps everything Finish allocates alive until the core is taken:
// it was allocated before the last collection, so the runtime counted it as
// marked, and it must still be live for heapwise to count it too.
var retained []any

// Finish writes the truth to $HEAPWISE_TRUTH (if set), then crashes when
// HEAPWISE_CRASH=1, writes runtime/debug.WriteHeapDump to $HEAPWISE_HEAPDUMP
// and exits 0 when that is set, else prints READY and blocks forever. It never
// returns. It must be called from main.main so that main.main stays on the
// stack.
//
// Everything that allocates (the JSON, the truth and dump files, the work
// warmUp does) happens first; then two collections run and nothing allocates
// until the core or dump is taken. So the bytes the last collection marked
// (gcController.heapMarked in a core; MemStats.HeapAlloc in the dump's
// memstats record) are exactly the heap objects in the core: the live ones
// plus the garbage dropped right after that collection (garbage_bytes). The
// tests compare heapwise's live and garbage bytes with that figure exactly.
//
// heap_alloc (informational) is MemStats.HeapAlloc, less garbage_bytes,
// measured after collections once the JSON and files exist, patched into the
// JSON before it is written.
func (t *Truth) Finish() {
	crash := os.Getenv("HEAPWISE_CRASH") == "1"
	if crash {
		debug.SetTraceback("crash")
	}
	var dump *os.File
	var dumpFd uintptr
	if dp := os.Getenv("HEAPWISE_HEAPDUMP"); dp != "" {
		var err error
		if dump, err = os.Create(dp); err != nil {
			fail(err)
		}
		dumpFd = dump.Fd()
	}
	// The gcore run waits on a pipe that is never written, not on a timer: a
	// timer added to a P whose timer heap is full grows it, an allocation after
	// the last collection.
	var waitR, waitW *os.File
	waitBuf := make([]byte, 1)
	if !crash && dump == nil {
		var err error
		if waitR, waitW, err = os.Pipe(); err != nil {
			fail(err)
		}
	}
	retained = append(make([]any, 0, 12), dump, waitR, waitW, waitBuf)
	afterPath := os.Getenv("HEAPWISE_AFTERCORE")
	if t.afterCore != nil && afterPath != "" && !crash && dump == nil {
		sig := make(chan os.Signal, 1)
		signal.Notify(sig, syscall.SIGUSR1)
		retained = append(retained, sig)
		go runAfterCore(sig, t.afterCore, afterPath)
	}
	path := os.Getenv("HEAPWISE_TRUTH")
	warmUp(path)
	if path != "" {
		t.GarbageBytes = t.garbageBytes
		t.HeapAlloc = heapAllocPlaceholder
		data, err := json.MarshalIndent(t, "", "  ")
		if err != nil {
			fail(err)
		}
		data = append(data, '\n')
		placeholder := []byte(strconv.FormatUint(heapAllocPlaceholder, 10))
		at := bytes.Index(data, placeholder)
		tmp := path + ".tmp"
		f, err := os.Create(tmp)
		if err != nil {
			fail(err)
		}
		digits := make([]byte, 0, len(placeholder))
		retained = append(retained, t, data, f, placeholder, digits)
		runtime.GC()
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		digits = strconv.AppendUint(digits, ms.HeapAlloc-t.garbageBytes, 10)
		pad := len(placeholder) - len(digits)
		for i := range placeholder {
			if i < pad {
				data[at+i] = ' '
			} else {
				data[at+i] = digits[i-pad]
			}
		}
		if _, err := f.Write(data); err != nil {
			fail(err)
		}
		if err := f.Close(); err != nil {
			fail(err)
		}
		if err := os.Rename(tmp, path); err != nil {
			fail(err)
		}
	}
	runtime.GC()
	runtime.GC()
	// From here on nothing allocates: the garbage is dropped by clearing one
	// pointer (the collector is off, so there is no write barrier either).
	t.garbage = nil
	if t.atReady != nil && dump == nil {
		t.atReady()
	}
	if dump != nil {
		debug.WriteHeapDump(dumpFd)
		os.Stdout.WriteString("DUMPED\n")
		os.Exit(0)
	}
	if crash {
		panic("heapwise: crashing on purpose for a kernel core")
	}
	if t.afterCore != nil && afterPath != "" {
		os.Stdout.WriteString("AFTERCORE\n")
	}
	os.Stdout.WriteString("READY\n")
	waitR.Read(waitBuf)
	fail(fmt.Errorf("the pipe Finish waits on was read"))
}

// runAfterCore waits for the signal that the core has been taken, then writes
// f's output to path and exits.
func runAfterCore(sig <-chan os.Signal, f func(w io.Writer) error, path string) {
	<-sig
	out, err := os.Create(path + ".tmp")
	if err != nil {
		fail(err)
	}
	if err := f(out); err != nil {
		fail(err)
	}
	if err := out.Close(); err != nil {
		fail(err)
	}
	if err := os.Rename(path+".tmp", path); err != nil {
		fail(err)
	}
	os.Exit(0)
}

// warmUp does, before the collections that end Finish, the kinds of work that
// follow them (syscalls, sleeping, waking goroutines), so that the runtime has
// already made the threads (each a runtime.m with its g0 and signal stack,
// several KB of heap) and timers those need: one made after the last
// collection (restarting the world after it may start threads) would be in the
// core but not in the bytes that collection marked. Threads are never freed, so
// it makes more than the program needs at once: 2*GOMAXPROCS goroutines spin
// (every P busy), then block in a raw syscall (every P handed to a new thread).
func warmUp(path string) {
	n := 2 * runtime.GOMAXPROCS(0)
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for end := time.Now().Add(5 * time.Millisecond); time.Now().Before(end); {
			}
			ts := syscall.NsecToTimespec(int64(20 * time.Millisecond))
			syscall.Nanosleep(&ts, nil)
		}()
	}
	wg.Wait()
	if path == "" {
		return
	}
	dummy := path + ".warm"
	for i := 0; i < 4; i++ {
		if err := os.WriteFile(dummy, []byte("warm"), 0o644); err != nil {
			fail(err)
		}
		if err := os.Rename(dummy, dummy+"2"); err != nil {
			fail(err)
		}
		os.Remove(dummy + "2")
		time.Sleep(2 * time.Millisecond)
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "heapwise truth:", err)
	os.Exit(2)
}
