//go:build go1.25

// The network cases, on Go 1.25+ only: importing net links net/netip, whose init makes a
// unique map (unique.Make), and Go 1.24's unique cleans its maps from a goroutine that
// each GC start wakes (runtime.clearpools) and that allocates closures while the GC marks:
// garbage the runtime counts as marked, which the exact heap check cannot allow. Go 1.25
// cleans them with runtime cleanups instead.

package main

import (
	"fmt"
	"net"
	"os"
	"reflect"
	"runtime"
	"time"

	"heapwise/testdata/truth"
)

const netBufSize = 4096

// netBufLen is a variable so that the buffer is made on the heap.
var netBufLen = netBufSize

// A loopback listener (its accept loop parked in the netpoller) and the client
// end of a connection whose server end only a goroutine holds.
var (
	listener   net.Listener
	clientConn net.Conn
)

// fdAddr is the address of the *net.netFD inside a *net.TCPConn or
// *net.TCPListener (its first field, or the first field of its first field).
func fdAddr(c any) uintptr {
	v := reflect.ValueOf(c).Elem()
	for v.Kind() == reflect.Struct {
		v = v.Field(0)
	}
	return v.Pointer()
}

// acceptLoop hands each connection to a connReader; its next Accept parks in
// the netpoller.
func acceptLoop(ln net.Listener, addrs chan<- uintptr) {
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		go connReader(c, addrs)
	}
}

// connReader holds the server end of a connection and a []byte only in its
// frame, and parks in the netpoller reading what is never written.
func connReader(c net.Conn, addrs chan<- uintptr) {
	buf := make([]byte, netBufLen)
	addrs <- fdAddr(c)
	addrs <- truth.Addr(&buf[0])
	n, _ := c.Read(buf)
	sink += n + int(buf[0])
	runtime.KeepAlive(c)
}

// startNet makes the network cases and returns what records them in the truth.
func startNet() func(t *truth.Truth) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, "shapes:", err)
		os.Exit(3)
	}
	listener = ln
	addrs := make(chan uintptr)
	go acceptLoop(ln, addrs)
	if clientConn, err = net.Dial("tcp", ln.Addr().String()); err != nil {
		fmt.Fprintln(os.Stderr, "shapes:", err)
		os.Exit(3)
	}
	serverFd, netBuf := <-addrs, <-addrs
	listenerFd, clientFd := fdAddr(listener), fdAddr(clientConn)
	// Let connReader reach its Read and park.
	time.Sleep(50 * time.Millisecond)
	return func(t *truth.Truth) {
		t.Obj("net_read_buf", netBuf, "[4096]uint8")
		t.Obj("server_conn_fd", serverFd, "net.netFD")
		t.Obj("client_conn_fd", clientFd, "net.netFD")
		t.Obj("listener_fd", listenerFd, "net.netFD")
		t.Funcs("main.acceptLoop", "main.connReader")
	}
}
