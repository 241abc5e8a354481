//go:build go1.25

// The netpoller case, on Go 1.25+ only: importing net on Go 1.24 makes a
// goroutine that allocates while the collector marks (testdata/progs/shapes/net.go
// tells the story), which the exact heap check cannot allow.

package main

import (
	"net"
	"os"
	"runtime"

	"heapwise/testdata/truth"
)

// NetHeld is held only by the goroutine parked in the netpoller.
type NetHeld struct{ b [4096]byte }

// The listener and both ends of the connection, held by globals: what only the
// reading goroutine holds is its NetHeld.
var (
	listener   net.Listener
	clientConn net.Conn
	serverConn net.Conn
)

//go:noinline
func netReader(c net.Conn) {
	held := onHeap(new(NetHeld))
	started <- goid()
	c.Read(held.b[:]) // the client never writes: parked in the netpoller
	runtime.KeepAlive(held)
}

func acceptLoop(ln net.Listener) {
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		serverConn = c
		go netReader(c)
	}
}

// startNet makes a loopback connection whose server end a goroutine reads.
func startNet() (group, bool) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		os.Stderr.WriteString("goleak: " + err.Error() + "\n")
		os.Exit(2)
	}
	listener = ln
	go acceptLoop(ln)
	if clientConn, err = net.Dial("tcp", ln.Addr().String()); err != nil {
		os.Stderr.WriteString("goleak: " + err.Error() + "\n")
		os.Exit(2)
	}
	id := <-started
	return group{"netpoll", "main.netReader", "main.acceptLoop", "IO wait", false, []int64{id}, map[string]int{"main.NetHeld": 1}, nil}, true
}

func netTypes(t *truth.Truth) { truth.Type[NetHeld](t, "main.NetHeld", 1) }
