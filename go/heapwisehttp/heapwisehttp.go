// Package heapwisehttp serves heapwise, a Go heap analyzer that runs in the browser, from
// inside the process it analyzes: one click on its page takes a fresh heap snapshot of the
// process (runtime/debug.WriteHeapDump), downloads it with the process's own executable (for
// the type names) and analyzes both in the browser, as if they had been dropped on the page.
// Nothing leaves the browser and the process.
//
// The package never mounts itself. Mount its handler on a debug listener:
//
//	mux := http.NewServeMux()
//	mux.Handle("/debug/heapwise/", http.StripPrefix("/debug/heapwise", heapwisehttp.Handler()))
//	go http.ListenAndServe("127.0.0.1:6060", mux)
//
// then open http://127.0.0.1:6060/debug/heapwise/ and click "Analyze this process now".
//
// # Security
//
// The handler hands whoever reaches it a copy of the process's memory: every heap object, the
// data and bss segments and the goroutine stacks, secrets included (keys, tokens, passwords,
// request bodies: dagger/dagger#5204 is a heap dump that leaked credentials), and the
// executable. Like net/http/pprof, it belongs on a debug listener bound to localhost, or behind
// the service's own authentication; never on a listener the public can reach.
//
// A snapshot stops the world while runtime/debug.WriteHeapDump writes it (every goroutine
// pauses: milliseconds for a small heap, seconds for gigabytes), so one snapshot is taken at a
// time, process-wide: a snapshot request while another is being written or sent gets
// 429 Too Many Requests. Options.MaxSnapshotBytes bounds the size of a snapshot.
//
// Two checks keep a web page the user happens to visit from using the handler through the
// user's browser: requests the browser marks as coming from another site (the Sec-Fetch-Site
// header) are refused, and on a loopback listener only a loopback Host (localhost, 127.0.0.1,
// [::1], or Options.AllowHosts) is accepted, which stops DNS rebinding. Neither replaces
// authentication on a listener other people can reach.
//
// # Endpoints
//
// Relative to where the handler is mounted (it expects the mount prefix stripped, as
// http.StripPrefix does):
//
//	/               the heapwise page (embedded with go:embed when the package was built)
//	/heapwise.json  what the page needs to know it is served by this handler (Info)
//	/snapshot       a fresh heap dump of the process, gzip-compressed when the client accepts it
//	                and is not on loopback (Options.Compression)
//	/exe            the process's executable (/proc/self/exe)
//
// The snapshot is written to an unlinked temporary file (Options.TempDir) and streamed from
// there once the world runs again: WriteHeapDump writes to a file descriptor with the world
// stopped, so nothing in the process can read a pipe while it writes; a pipe fills and the
// process hangs. So the pause is the dump's write to the file only, not its compression or
// its transfer. Without compression (curl without --compressed):
//
//	curl -o heap.dump http://127.0.0.1:6060/debug/heapwise/snapshot
//	curl -o server http://127.0.0.1:6060/debug/heapwise/exe
//	heapwise histogram heap.dump --exe server
package heapwisehttp

import (
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"mime"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// Options configure a handler; the zero value is what Handler uses.
type Options struct {
	// MaxSnapshotBytes is the largest heap dump the snapshot endpoint writes, in bytes
	// (uncompressed); 0 means no limit. A request is refused with 413 before the world is
	// stopped when the heap's objects alone exceed it (a dump holds every allocated object,
	// so it is at least that large), and after the dump is written when the dump does.
	MaxSnapshotBytes int64
	// TempDir is the directory the snapshot is written to before it is sent (the file is
	// unlinked as soon as it is created, so nothing is left behind); "" means os.TempDir().
	// The dump needs about as much space as the heap.
	TempDir string
	// Compression says when the snapshot is gzip-compressed on the wire (for a client whose
	// Accept-Encoding allows gzip): CompressAuto, the default, unless the client connects over
	// loopback, where compressing (about 130 MB/s at gzip.BestSpeed) takes longer than sending
	// the 10 times more bytes.
	Compression Compression
	// AllowHosts are Host header names accepted besides the loopback ones when the handler
	// is reached through a loopback listener (for a name in /etc/hosts, say).
	AllowHosts []string
}

// Compression is when a snapshot is sent gzip-compressed (Content-Encoding: gzip, at
// gzip.BestSpeed; only to clients whose Accept-Encoding allows it).
type Compression int

const (
	// CompressAuto compresses unless the client's address is a loopback one.
	CompressAuto Compression = iota
	// CompressAlways compresses for every client that accepts gzip.
	CompressAlways
	// CompressNever sends the dump as it is.
	CompressNever
)

// compress says whether the snapshot answer to r is gzip-compressed.
func (c Compression) compress(r *http.Request) bool {
	if c == CompressNever || !acceptsGzip(r) {
		return false
	}
	if c == CompressAlways {
		return true
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return true
	}
	ip := net.ParseIP(host)
	return ip == nil || !ip.IsLoopback()
}

// DumpMagic is the first line of every runtime/debug.WriteHeapDump file
// (runtime/heapdump.go, dumphdr).
const DumpMagic = "go1.7 heap dump\n"

// Info is the document served at heapwise.json: the page fetches it from its own origin to
// learn that it is served by this handler (and then offers "Analyze this process now").
type Info struct {
	// Handler is always "heapwisehttp".
	Handler string `json:"handler"`
	// Version of this document's schema: 1.
	Version int `json:"version"`
	// GoVersion is runtime.Version() of the process.
	GoVersion string `json:"go_version"`
	GOOS      string `json:"goos"`
	GOARCH    string `json:"goarch"`
	Pid       int    `json:"pid"`
	// Executable is the base name of the process's executable.
	Executable string `json:"executable"`
	// Snapshot and Exe are the endpoints, relative to heapwise.json.
	Snapshot string `json:"snapshot"`
	Exe      string `json:"exe"`
	// HeapObjectBytes is the bytes of the heap's allocated objects now
	// (runtime/metrics /memory/classes/heap/objects:bytes): a lower bound of a snapshot's size.
	HeapObjectBytes uint64 `json:"heap_object_bytes"`
	// MaxSnapshotBytes is Options.MaxSnapshotBytes (0: no limit).
	MaxSnapshotBytes int64 `json:"max_snapshot_bytes"`
}

// SnapshotBytesHeader is the response header of the snapshot endpoint that gives the dump's
// uncompressed size (the page's download progress; Content-Length is the compressed one).
const SnapshotBytesHeader = "X-Heapwise-Snapshot-Bytes"

// snapshotBusy is held from a snapshot request's start to the end of its response: a
// snapshot stops the whole process, so there is one at a time across all handlers.
var snapshotBusy atomic.Bool

type handler struct {
	opts Options
	page http.Handler
	// built: the embedded page is a real build (index.html), not the placeholder.
	built bool
}

// Handler returns the handler with the default Options (no snapshot size limit, snapshots
// in os.TempDir()). See the package documentation before mounting it.
func Handler() http.Handler { return NewHandler(Options{}) }

// NewHandler returns a handler configured by opts.
func NewHandler(opts Options) http.Handler {
	sub, err := fs.Sub(pageFS, "page")
	if err != nil {
		panic("heapwisehttp: embedded page: " + err.Error())
	}
	_, err = fs.Stat(sub, "index.html")
	return &handler{opts: opts, page: http.FileServerFS(sub), built: err == nil}
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if msg := h.refused(r); msg != "" {
		http.Error(w, msg, http.StatusForbidden)
		return
	}
	switch r.URL.Path {
	case "/heapwise.json":
		h.serveInfo(w, r)
	case "/snapshot":
		h.serveSnapshot(w, r)
	case "/exe":
		h.serveExe(w, r)
	default:
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		if !h.built && (r.URL.Path == "/" || r.URL.Path == "" || r.URL.Path == "/index.html") {
			r2 := new(http.Request)
			*r2 = *r
			u := *r.URL
			u.Path = "/placeholder.html"
			r2.URL = &u
			h.page.ServeHTTP(w, r2)
			return
		}
		h.page.ServeHTTP(w, r)
	}
}

// refused says why a request is refused ("" when it is not): sent by a browser on behalf of
// another site, or (on a loopback listener) naming a Host that is not loopback.
func (h *handler) refused(r *http.Request) string {
	switch r.Header.Get("Sec-Fetch-Site") {
	case "", "same-origin", "none":
	default:
		return "heapwisehttp: cross-site request refused"
	}
	local, ok := r.Context().Value(http.LocalAddrContextKey).(net.Addr)
	if !ok {
		return ""
	}
	tcp, ok := local.(*net.TCPAddr)
	if !ok || !tcp.IP.IsLoopback() {
		return ""
	}
	host := r.Host
	if hp, _, err := net.SplitHostPort(host); err == nil {
		host = hp
	}
	host = strings.TrimSuffix(strings.Trim(host, "[]"), ".")
	if strings.EqualFold(host, "localhost") {
		return ""
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return ""
	}
	for _, a := range h.opts.AllowHosts {
		if strings.EqualFold(host, a) {
			return ""
		}
	}
	return "heapwisehttp: Host " + strconv.Quote(r.Host) + " refused on a loopback listener (see Options.AllowHosts)"
}

// heapObjectBytes is the bytes of allocated heap objects, live or not yet swept, read without
// stopping the world.
func heapObjectBytes() uint64 {
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return s[0].Value.Uint64()
}

// attachment is a Content-Disposition header value that saves the answer as name.
func attachment(name string) string {
	if v := mime.FormatMediaType("attachment", map[string]string{"filename": name}); v != "" {
		return v
	}
	return "attachment"
}

func executableName() string {
	exe, err := os.Executable()
	if err != nil {
		return "exe"
	}
	return filepath.Base(exe)
}

func (h *handler) serveInfo(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	info := Info{
		Handler:          "heapwisehttp",
		Version:          1,
		GoVersion:        runtime.Version(),
		GOOS:             runtime.GOOS,
		GOARCH:           runtime.GOARCH,
		Pid:              os.Getpid(),
		Executable:       executableName(),
		Snapshot:         "snapshot",
		Exe:              "exe",
		HeapObjectBytes:  heapObjectBytes(),
		MaxSnapshotBytes: h.opts.MaxSnapshotBytes,
	}
	body, err := json.Marshal(info)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.Write(append(body, '\n'))
}

func (h *handler) serveSnapshot(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet {
		w.Header().Set("Allow", "GET")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	if !snapshotBusy.CompareAndSwap(false, true) {
		w.Header().Set("Retry-After", "1")
		http.Error(w, "heapwisehttp: a snapshot is being taken; one at a time", http.StatusTooManyRequests)
		return
	}
	defer snapshotBusy.Store(false)
	limit := h.opts.MaxSnapshotBytes
	if objects := heapObjectBytes(); limit > 0 && objects > uint64(limit) {
		http.Error(w, fmt.Sprintf("heapwisehttp: the heap's objects take %d bytes, over the snapshot limit of %d bytes (Options.MaxSnapshotBytes)", objects, limit), http.StatusRequestEntityTooLarge)
		return
	}
	f, err := os.CreateTemp(h.opts.TempDir, "heapwise-*.dump")
	if err != nil {
		http.Error(w, "heapwisehttp: "+err.Error(), http.StatusInternalServerError)
		return
	}
	os.Remove(f.Name())
	defer f.Close()
	start := time.Now()
	// The world is stopped from here until WriteHeapDump returns.
	debug.WriteHeapDump(f.Fd())
	took := time.Since(start)
	size, err := checkDump(f)
	if err != nil {
		http.Error(w, "heapwisehttp: "+err.Error(), http.StatusInternalServerError)
		return
	}
	if limit > 0 && size > limit {
		http.Error(w, fmt.Sprintf("heapwisehttp: the snapshot took %d bytes, over the limit of %d bytes (Options.MaxSnapshotBytes)", size, limit), http.StatusRequestEntityTooLarge)
		return
	}
	hd := w.Header()
	hd.Set("Content-Type", "application/octet-stream")
	hd.Set("Content-Disposition", attachment(fmt.Sprintf("%s-%d.dump", executableName(), os.Getpid())))
	hd.Set("Cache-Control", "no-store")
	hd.Set("Vary", "Accept-Encoding")
	hd.Set(SnapshotBytesHeader, strconv.FormatInt(size, 10))
	hd.Set("Server-Timing", fmt.Sprintf(`dump;dur=%.3f;desc="WriteHeapDump, world stopped"`, float64(took.Microseconds())/1000))
	if !h.opts.Compression.compress(r) {
		hd.Set("Content-Length", strconv.FormatInt(size, 10))
		io.Copy(w, f)
		return
	}
	hd.Set("Content-Encoding", "gzip")
	zw, err := gzip.NewWriterLevel(w, gzip.BestSpeed)
	if err != nil {
		http.Error(w, "heapwisehttp: "+err.Error(), http.StatusInternalServerError)
		return
	}
	if _, err := io.Copy(zw, f); err != nil {
		return // the client went away
	}
	zw.Close()
}

// checkDump returns the size of the dump written to f and rewinds f. WriteHeapDump reports no
// error (runtime/heapdump.go ignores failed writes), so a dump that does not start with the
// magic line (a full disk, say) is an error.
func checkDump(f *os.File) (int64, error) {
	st, err := f.Stat()
	if err != nil {
		return 0, err
	}
	head := make([]byte, len(DumpMagic))
	if _, err := f.ReadAt(head, 0); err != nil || string(head) != DumpMagic {
		return 0, fmt.Errorf("the heap dump was not written (%d bytes in %s; disk full?)", st.Size(), filepath.Dir(f.Name()))
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return 0, err
	}
	return st.Size(), nil
}

// acceptsGzip reports whether the request's Accept-Encoding allows gzip (a "gzip" or "*"
// coding whose q is not 0).
func acceptsGzip(r *http.Request) bool {
	for _, v := range r.Header.Values("Accept-Encoding") {
		for _, part := range strings.Split(v, ",") {
			coding, params, _ := strings.Cut(strings.TrimSpace(part), ";")
			coding = strings.TrimSpace(coding)
			if !strings.EqualFold(coding, "gzip") && coding != "*" {
				continue
			}
			q := 1.0
			for _, p := range strings.Split(params, ";") {
				if k, val, ok := strings.Cut(strings.TrimSpace(p), "="); ok && strings.EqualFold(strings.TrimSpace(k), "q") {
					if f, err := strconv.ParseFloat(strings.TrimSpace(val), 64); err == nil {
						q = f
					}
				}
			}
			if q > 0 {
				return true
			}
		}
	}
	return false
}

func (h *handler) serveExe(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	// /proc/self/exe is the executable the process runs, even when the file was replaced or
	// deleted since; os.Executable elsewhere.
	f, err := os.Open("/proc/self/exe")
	if err != nil {
		exe, err2 := os.Executable()
		if err2 != nil {
			http.Error(w, "heapwisehttp: "+err.Error(), http.StatusInternalServerError)
			return
		}
		if f, err = os.Open(exe); err != nil {
			http.Error(w, "heapwisehttp: "+err.Error(), http.StatusInternalServerError)
			return
		}
	}
	defer f.Close()
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Disposition", attachment(executableName()))
	w.Header().Set("Cache-Control", "no-store")
	http.ServeContent(w, r, "", time.Time{}, f)
}
