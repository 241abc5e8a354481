// goleak: goroutines that leak by Go 1.27's goroutineleak rule (blocked on a
// channel, select, mutex or wait group that nothing able to run can reach) and
// goroutines that block without leaking (on a channel a global holds, on a
// timer, in the netpoller, asleep, a worker pool fed by a global, on a cond a
// global holds). Each group
// runs its own function and holds objects of its own main.* type that only it
// keeps alive; the truth lists each group's goroutine ids, whether it leaks
// and what it holds. Once cored, on Go 1.27, the program writes the runtime's
// own goroutineleak profile (debug=2) for the tests to compare with.
package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"time"

	"heapwise/testdata/truth"
)

// Payloads: one type per group, each an exact size class (noscan), so that a
// group's held bytes are known exactly.
type (
	RecvHeld      struct{ b [2048]byte }
	SendHeld      struct{ b [3072]byte }
	SelectHeld    struct{ b [1536]byte }
	NilChanHeld   struct{ b [1024]byte }
	HolderHeld    struct{ b [768]byte }
	WaiterHeld    struct{ b [896]byte }
	WaitGroupHeld struct{ b [640]byte }
	GlobalHeld    struct{ b [512]byte }
	TimerHeld     struct{ b [384]byte }
	SleepHeld     struct{ b [256]byte }
	WorkerHeld    struct{ b [288]byte }
	CondHeld      struct{ b [448]byte }
	CondShareHeld struct{ b [320]byte }
)

// LonelyCond is the sync.Cond (and its lock) only the goroutine waiting on it
// has; SharedCond, the one a global holds.
type (
	LonelyCond struct {
		mu sync.Mutex
		c  sync.Cond
	}
	SharedCond struct {
		mu sync.Mutex
		c  sync.Cond
	}
)

// Guarded is the mutex a leaked goroutine holds while two others wait for it.
type Guarded struct {
	mu sync.Mutex
	n  int
}

const (
	nRecv    = 3
	nSend    = 2
	nSelect  = 2
	nNilChan = 1
	nWaiters = 2
	nWG      = 1
	nGlobal  = 2
	nTimer   = 1
	nSleep   = 1
	// Each labelled worker holds 6 objects before Go 1.24 (its g, sudog, payload, and a pprof
	// label map: the labelMap word, hmap and bucket): 3 keep the group's objects under the
	// 20 goroutines --group lists, which tests/goroutines.rs needs all of.
	nWorkers = 3
	nCond    = 2
	nShared  = 2
)

var (
	// globalCh is held by a global: the goroutines waiting on it can be woken.
	globalCh = make(chan int)
	// pool's jobs channel is held by a global: its workers are not leaked.
	pool struct{ jobs chan int }
	// timers a global holds, so that nothing the program does later adds one.
	timers []*time.Timer
	// sharedCond is held by a global: the goroutines waiting on it can be woken.
	sharedCond *SharedCond
	// started receives each goroutine's id before it blocks; lockWaiter's go
	// to waiterStarted (they run beside their lockHolder).
	started       = make(chan int64)
	waiterStarted = make(chan int64)
)

// escaped is written and cleared by onHeap, which makes what it is given escape.
var escaped any

// onHeap makes p escape to the heap (a payload only its goroutine holds must be a
// heap object, not a stack one) and returns it; nothing keeps it but the caller.
//
//go:noinline
func onHeap[T any](p *T) *T {
	escaped = p
	escaped = nil
	return p
}

// goid is the calling goroutine's id, from the header runtime.Stack prints.
func goid() int64 {
	buf := make([]byte, 64)
	buf = buf[:runtime.Stack(buf, false)]
	f := strings.Fields(string(buf))
	id, err := strconv.ParseInt(f[1], 10, 64)
	if err != nil {
		panic(err)
	}
	return id
}

//go:noinline
func leakRecv() {
	held := onHeap(new(RecvHeld))
	ch := make(chan int)
	started <- goid()
	<-ch // nobody else has ch
	runtime.KeepAlive(held)
}

//go:noinline
func leakSend() {
	held := onHeap(new(SendHeld))
	ch := make(chan *SendHeld)
	started <- goid()
	ch <- held // nobody else has ch
}

//go:noinline
func leakSelect() {
	held := onHeap(new(SelectHeld))
	a, b := make(chan int), make(chan string)
	started <- goid()
	select { // neither case can ever proceed
	case <-a:
	case b <- "never":
	}
	runtime.KeepAlive(held)
}

//go:noinline
func leakNilChan() {
	held := onHeap(new(NilChanHeld))
	var ch chan int
	started <- goid()
	<-ch // a nil channel blocks forever
	runtime.KeepAlive(held)
}

// lockHolder takes a mutex, starts two goroutines that wait for it, and blocks
// forever on a channel only it has, holding the mutex.
//
//go:noinline
func lockHolder() {
	held := onHeap(new(HolderHeld))
	g := new(Guarded)
	g.mu.Lock()
	for i := 0; i < nWaiters; i++ {
		go lockWaiter(g)
	}
	ch := make(chan int)
	started <- goid()
	<-ch
	runtime.KeepAlive(held)
	g.mu.Unlock()
}

//go:noinline
func lockWaiter(g *Guarded) {
	held := onHeap(new(WaiterHeld))
	waiterStarted <- goid()
	g.mu.Lock() // held by a leaked goroutine
	g.n++
	g.mu.Unlock()
	runtime.KeepAlive(held)
}

//go:noinline
func leakWaitGroup() {
	held := onHeap(new(WaitGroupHeld))
	var wg sync.WaitGroup
	wg.Add(1) // nobody ever calls Done
	started <- goid()
	wg.Wait()
	runtime.KeepAlive(held)
}

//go:noinline
func waitGlobal() {
	held := onHeap(new(GlobalHeld))
	started <- goid()
	<-globalCh
	runtime.KeepAlive(held)
}

//go:noinline
func waitTimer(t *time.Timer) {
	held := onHeap(new(TimerHeld))
	started <- goid()
	<-t.C // the runtime's timer heap holds the channel
	runtime.KeepAlive(held)
}

//go:noinline
func sleeper() {
	held := onHeap(new(SleepHeld))
	started <- goid()
	time.Sleep(time.Hour)
	runtime.KeepAlive(held)
}

//go:noinline
func leakCond() {
	held := onHeap(new(CondHeld))
	lc := onHeap(new(LonelyCond))
	lc.c.L = &lc.mu
	lc.mu.Lock()
	started <- goid()
	lc.c.Wait() // nobody else has lc
	lc.mu.Unlock()
	runtime.KeepAlive(held)
}

//go:noinline
func waitSharedCond() {
	held := onHeap(new(CondShareHeld))
	sharedCond.mu.Lock()
	started <- goid()
	sharedCond.c.Wait()
	sharedCond.mu.Unlock()
	runtime.KeepAlive(held)
}

// workerLabels are the pprof labels of the pool's workers.
var workerLabels = pprof.Labels("pool", "jobs")

//go:noinline
func worker() {
	pprof.SetGoroutineLabels(pprof.WithLabels(context.Background(), workerLabels))
	held := onHeap(new(WorkerHeld))
	started <- goid()
	for j := range pool.jobs {
		_ = j
	}
	runtime.KeepAlive(held)
}

// spawn starts n goroutines with f and returns their ids.
func spawn(n int, f func()) []int64 {
	ids := make([]int64, 0, n)
	for i := 0; i < n; i++ {
		go f()
		ids = append(ids, <-started)
	}
	return ids
}

// waitBlocked returns once every goroutine in ids shows a wait reason in a
// runtime.Stack of all goroutines: blocked where it is meant to block.
func waitBlocked(ids []int64, reasons map[int64]string) {
	buf := make([]byte, 1<<20)
	for tries := 0; ; tries++ {
		all := buf[:runtime.Stack(buf, true)]
		ok := true
		for _, id := range ids {
			head := []byte(fmt.Sprintf("goroutine %d [%s", id, reasons[id]))
			if !bytes.Contains(all, head) {
				ok = false
				break
			}
		}
		if ok {
			return
		}
		if tries > 2000 {
			fmt.Fprintf(os.Stderr, "goleak: goroutines did not block:\n%s\n", all)
			os.Exit(2)
		}
		time.Sleep(time.Millisecond)
	}
}

// waitGroupReason is the wait reason of a goroutine in sync.WaitGroup.Wait: its own,
// waitReasonSyncWaitGroupWait, from Go 1.24 (runtime/runtime2.go); the semaphore's before.
func waitGroupReason() string {
	v := strings.TrimPrefix(runtime.Version(), "go1.")
	minor := 0
	for _, c := range v {
		if c < '0' || c > '9' {
			break
		}
		minor = minor*10 + int(c-'0')
	}
	if minor < 24 {
		return "semacquire"
	}
	return "sync.WaitGroup.Wait"
}

type group struct {
	label, function, creator, reason string
	leaked                           bool
	ids                              []int64
	held                             map[string]int
	labels                           map[string]string
}

func main() {
	t := truth.New("goleak")
	pool.jobs = make(chan int)

	var groups []group
	// spawned: started by main.spawn's go statement.
	spawned := func(label, function, reason string, leaked bool, ids []int64, heldType string) {
		groups = append(groups, group{label, function, "main.spawn", reason, leaked, ids, map[string]int{heldType: len(ids)}, nil})
	}
	spawned("recv", "main.leakRecv", "chan receive", true, spawn(nRecv, leakRecv), "main.RecvHeld")
	spawned("send", "main.leakSend", "chan send", true, spawn(nSend, leakSend), "main.SendHeld")
	spawned("select", "main.leakSelect", "select", true, spawn(nSelect, leakSelect), "main.SelectHeld")
	spawned("nilchan", "main.leakNilChan", "chan receive (nil chan)", true, spawn(nNilChan, leakNilChan), "main.NilChanHeld")
	go lockHolder()
	holder := []int64{<-started}
	waiters := []int64{<-waiterStarted, <-waiterStarted}
	groups = append(groups,
		group{"lockholder", "main.lockHolder", "main.main", "chan receive", true, holder, map[string]int{"main.HolderHeld": 1}, nil},
		group{"lockwaiter", "main.lockWaiter", "main.lockHolder", "sync.Mutex.Lock", true, waiters, map[string]int{"main.WaiterHeld": nWaiters}, nil})
	spawned("waitgroup", "main.leakWaitGroup", waitGroupReason(), true, spawn(nWG, leakWaitGroup), "main.WaitGroupHeld")
	spawned("cond", "main.leakCond", "sync.Cond.Wait", true, spawn(nCond, leakCond), "main.CondHeld")
	groups[len(groups)-1].held["main.LonelyCond"] = nCond
	sharedCond = new(SharedCond)
	sharedCond.c.L = &sharedCond.mu
	spawned("sharedcond", "main.waitSharedCond", "sync.Cond.Wait", false, spawn(nShared, waitSharedCond), "main.CondShareHeld")
	spawned("global", "main.waitGlobal", "chan receive", false, spawn(nGlobal, waitGlobal), "main.GlobalHeld")
	var timerIDs []int64
	for i := 0; i < nTimer; i++ {
		tm := time.NewTimer(time.Hour)
		timers = append(timers, tm)
		go waitTimer(tm)
		timerIDs = append(timerIDs, <-started)
	}
	groups = append(groups, group{"timer", "main.waitTimer", "main.main", "chan receive", false, timerIDs, map[string]int{"main.TimerHeld": nTimer}, nil})
	spawned("sleep", "main.sleeper", "sleep", false, spawn(nSleep, sleeper), "main.SleepHeld")
	spawned("workers", "main.worker", "chan receive", false, spawn(nWorkers, worker), "main.WorkerHeld")
	groups[len(groups)-1].labels = map[string]string{"pool": "jobs"}
	if g, ok := startNet(); ok {
		groups = append(groups, g)
	}

	reasons := map[int64]string{}
	var all []int64
	for _, g := range groups {
		for _, id := range g.ids {
			reasons[id] = g.reason
			all = append(all, id)
		}
	}
	waitBlocked(all, reasons)

	for _, g := range groups {
		t.Group(truth.GoroutineGroup{
			Label: g.label, Function: g.function, CreatedBy: g.creator, WaitReason: g.reason,
			Leaked: g.leaked, Goids: g.ids, Held: g.held, Labels: g.labels,
		})
	}
	truth.Type[RecvHeld](t, "main.RecvHeld", nRecv)
	truth.Type[SendHeld](t, "main.SendHeld", nSend)
	truth.Type[SelectHeld](t, "main.SelectHeld", nSelect)
	truth.Type[NilChanHeld](t, "main.NilChanHeld", nNilChan)
	truth.Type[HolderHeld](t, "main.HolderHeld", 1)
	truth.Type[WaiterHeld](t, "main.WaiterHeld", nWaiters)
	truth.Type[Guarded](t, "main.Guarded", 1)
	truth.Type[WaitGroupHeld](t, "main.WaitGroupHeld", nWG)
	truth.Type[CondHeld](t, "main.CondHeld", nCond)
	truth.Type[LonelyCond](t, "main.LonelyCond", nCond)
	truth.Type[CondShareHeld](t, "main.CondShareHeld", nShared)
	truth.Type[SharedCond](t, "main.SharedCond", 1)
	truth.Type[GlobalHeld](t, "main.GlobalHeld", nGlobal)
	truth.Type[TimerHeld](t, "main.TimerHeld", nTimer)
	truth.Type[SleepHeld](t, "main.SleepHeld", nSleep)
	truth.Type[WorkerHeld](t, "main.WorkerHeld", nWorkers)
	netTypes(t)
	t.Funcs("main.main", "main.leakRecv", "main.lockWaiter", "main.worker")
	t.AfterCore(func(w io.Writer) error {
		p := pprof.Lookup("goroutineleak")
		if p == nil {
			_, err := fmt.Fprintf(w, "no goroutineleak profile in %s\n", runtime.Version())
			return err
		}
		return p.WriteTo(w, 2)
	})
	t.Settle()
	t.Finish()
}
