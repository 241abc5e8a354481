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
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
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
	HeapAlloc      uint64               `json:"heap_alloc"`
	Types          map[string]TypeCount `json:"types"`
	GarbageTypes   map[string]TypeCount `json:"garbage_types"`
	Objects        []Object             `json:"objects"`
	Paths          []Path               `json:"paths"`
	Retained       []Retained           `json:"retained"`
	GoroutineFuncs []string             `json:"goroutine_funcs"`

	// garbage is held only while Finish measures HeapAlloc, then dropped.
	garbage      any
	garbageBytes uint64
}

// HoldGarbage keeps v (a chain of objects the program will drop) alive while
// Finish measures the live heap; bytes is their exact total slot size, which
// Finish subtracts. Finish then drops v, so the objects are garbage in the core.
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

// retained keeps what Finish allocated before measuring HeapAlloc alive until
// the core is taken, so the runtime's figure and the core agree on it.
var retained []any

// Finish writes the truth to $HEAPWISE_TRUTH (if set), then crashes when
// HEAPWISE_CRASH=1, else prints READY and blocks forever. It never returns.
// With HEAPWISE_HEAPDUMP=PATH it also writes runtime/debug.WriteHeapDump to
// PATH after heap_alloc is measured (the file is opened before), then exits 0.
// It must be called from main.main so that main.main stays on the stack.
//
// heap_alloc is measured last, after two more collections: everything the
// truth itself allocated (its maps, the JSON, encoder pools) is either still
// live (and so counted by the runtime and by heapwise alike) or collected.
// Nothing is allocated between the measurement and the core.
func (t *Truth) Finish() {
	if path := os.Getenv("HEAPWISE_TRUTH"); path != "" {
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
		var dump *os.File
		if dp := os.Getenv("HEAPWISE_HEAPDUMP"); dp != "" {
			if dump, err = os.Create(dp); err != nil {
				fail(err)
			}
		}
		retained = append(make([]any, 0, 8), t, data, f, placeholder, digits, dump)
		warmUp(path)
		runtime.GC()
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		t.garbage = nil
		live := ms.HeapAlloc - t.garbageBytes
		digits = strconv.AppendUint(digits, live, 10)
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
		if dump != nil {
			debug.WriteHeapDump(dump.Fd())
			if err := dump.Close(); err != nil {
				fail(err)
			}
			os.Stdout.WriteString("DUMPED\n")
			os.Exit(0)
		}
	}
	if os.Getenv("HEAPWISE_CRASH") == "1" {
		debug.SetTraceback("crash")
		panic("heapwise: crashing on purpose for a kernel core")
	}
	os.Stdout.WriteString("READY\n")
	for {
		time.Sleep(time.Hour)
	}
}

// warmUp does, before HeapAlloc is measured, the kinds of work that follow it
// (file syscalls, sleeping), so that the runtime has already made the threads
// (each a runtime.m with its g0 and signal stacks, several KB of heap) and the
// timer those need: otherwise they may appear after the measurement, in the
// core but not in heap_alloc, and a small program's figure is off by ~1%.
func warmUp(path string) {
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
