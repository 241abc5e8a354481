package heapwisehttp

import (
	"bytes"
	"compress/gzip"
	"debug/elf"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"unsafe"
)

// snapshotMarker is the type whose exact count TestSnapshotIsAHeapDump reads back from a
// snapshot through heapwise: markers holds markerCount of them (each 32 bytes with a
// pointer, so none goes through the tiny allocator).
type snapshotMarker struct {
	next *snapshotMarker
	id   int
	pad  [2]int
}

const markerCount = 1234

var markers []*snapshotMarker

func init() {
	markers = make([]*snapshotMarker, markerCount)
	for i := range markers {
		markers[i] = &snapshotMarker{id: i}
		if i > 0 {
			markers[i].next = markers[i-1]
		}
	}
}

// requireInputs says whether a missing input fails the test instead of skipping it
// (scripts/test.sh sets HEAPWISE_REQUIRE_CORES=1).
func requireInputs() bool { return os.Getenv("HEAPWISE_REQUIRE_CORES") == "1" }

func skipOrFail(t *testing.T, format string, args ...any) {
	t.Helper()
	if requireInputs() {
		t.Fatalf(format+" (HEAPWISE_REQUIRE_CORES=1)", args...)
	}
	t.Skipf(format, args...)
}

// repoRoot is the heapwise repository this module lives in (go/heapwisehttp/../..).
func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	return root
}

func get(t *testing.T, h http.Handler, path string, header http.Header) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, "http://127.0.0.1"+path, nil)
	for k, v := range header {
		req.Header[k] = v
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func TestInfo(t *testing.T) {
	rec := get(t, NewHandler(Options{MaxSnapshotBytes: 1 << 40}), "/heapwise.json", nil)
	if rec.Code != http.StatusOK {
		t.Fatalf("status %d: %s", rec.Code, rec.Body)
	}
	if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type %q", ct)
	}
	var info Info
	if err := json.Unmarshal(rec.Body.Bytes(), &info); err != nil {
		t.Fatal(err)
	}
	if info.Handler != "heapwisehttp" || info.Version != 1 || info.Pid != os.Getpid() ||
		info.GoVersion != runtime.Version() || info.Snapshot != "snapshot" || info.Exe != "exe" ||
		info.MaxSnapshotBytes != 1<<40 {
		t.Errorf("info %+v", info)
	}
	// markers alone are markerCount*32 bytes of heap objects.
	if info.HeapObjectBytes < markerCount*32 {
		t.Errorf("heap_object_bytes %d below the markers' %d", info.HeapObjectBytes, markerCount*32)
	}
}

// readDump returns the uncompressed dump of a snapshot response, checking its headers.
func readDump(t *testing.T, rec *httptest.ResponseRecorder, gzipped bool) []byte {
	t.Helper()
	if rec.Code != http.StatusOK {
		t.Fatalf("status %d: %s", rec.Code, rec.Body)
	}
	body := rec.Body.Bytes()
	if gzipped {
		if ce := rec.Header().Get("Content-Encoding"); ce != "gzip" {
			t.Fatalf("Content-Encoding %q, want gzip", ce)
		}
		zr, err := gzip.NewReader(bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		if body, err = io.ReadAll(zr); err != nil {
			t.Fatal(err)
		}
	} else {
		if ce := rec.Header().Get("Content-Encoding"); ce != "" {
			t.Fatalf("Content-Encoding %q without Accept-Encoding", ce)
		}
		if cl := rec.Header().Get("Content-Length"); cl != strconv.Itoa(len(body)) {
			t.Errorf("Content-Length %q, body %d bytes", cl, len(body))
		}
	}
	if n := rec.Header().Get(SnapshotBytesHeader); n != strconv.Itoa(len(body)) {
		t.Errorf("%s %q, dump %d bytes", SnapshotBytesHeader, n, len(body))
	}
	if !strings.HasPrefix(rec.Header().Get("Server-Timing"), "dump;dur=") {
		t.Errorf("Server-Timing %q", rec.Header().Get("Server-Timing"))
	}
	if !bytes.HasPrefix(body, []byte(DumpMagic)) {
		t.Fatalf("snapshot does not start with %q: %q", DumpMagic, body[:min(len(body), 32)])
	}
	return body
}

func TestSnapshotEncodings(t *testing.T) {
	// httptest.NewRequest's client is 192.0.2.1:1234, not loopback: CompressAuto compresses.
	h := Handler()
	readDump(t, get(t, h, "/snapshot", http.Header{"Accept-Encoding": {"gzip, deflate, br"}}), true)
	readDump(t, get(t, h, "/snapshot", nil), false)
	readDump(t, get(t, h, "/snapshot", http.Header{"Accept-Encoding": {"gzip;q=0, identity"}}), false)
	never := NewHandler(Options{Compression: CompressNever})
	readDump(t, get(t, never, "/snapshot", http.Header{"Accept-Encoding": {"gzip"}}), false)
	req := httptest.NewRequest(http.MethodPost, "http://127.0.0.1/snapshot", nil)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusMethodNotAllowed {
		t.Errorf("POST snapshot: status %d", rec.Code)
	}
	// A client on loopback: compressed only with CompressAlways.
	for _, c := range []struct {
		mode Compression
		gzip bool
	}{{CompressAuto, false}, {CompressAlways, true}, {CompressNever, false}} {
		req := httptest.NewRequest(http.MethodGet, "http://127.0.0.1/snapshot", nil)
		req.RemoteAddr = "127.0.0.1:50000"
		req.Header.Set("Accept-Encoding", "gzip")
		rec := httptest.NewRecorder()
		NewHandler(Options{Compression: c.mode}).ServeHTTP(rec, req)
		readDump(t, rec, c.gzip)
	}
}

func TestAcceptsGzip(t *testing.T) {
	for _, c := range []struct {
		v    string
		want bool
	}{
		{"", false}, {"gzip", true}, {"GZIP", true}, {"deflate, gzip;q=0.5", true}, {"gzip;q=0", false},
		{"gzip; q=0.0", false}, {"*", true}, {"*;q=0", false}, {"identity", false}, {"br, zstd", false},
	} {
		r := httptest.NewRequest(http.MethodGet, "/snapshot", nil)
		if c.v != "" {
			r.Header.Set("Accept-Encoding", c.v)
		}
		if got := acceptsGzip(r); got != c.want {
			t.Errorf("Accept-Encoding %q: %v, want %v", c.v, got, c.want)
		}
	}
}

// blockingWriter is a ResponseWriter whose first Write reports on started and then waits for
// release: a snapshot response held in the middle of its transfer.
type blockingWriter struct {
	header  http.Header
	once    sync.Once
	started chan struct{}
	release chan struct{}
	body    bytes.Buffer
	code    int
}

func (b *blockingWriter) Header() http.Header { return b.header }
func (b *blockingWriter) WriteHeader(code int) {
	if b.code == 0 {
		b.code = code
	}
}
func (b *blockingWriter) Write(p []byte) (int, error) {
	b.WriteHeader(http.StatusOK)
	b.once.Do(func() {
		close(b.started)
		<-b.release
	})
	return b.body.Write(p)
}

func TestOneSnapshotAtATime(t *testing.T) {
	h1, h2 := Handler(), NewHandler(Options{})
	bw := &blockingWriter{header: http.Header{}, started: make(chan struct{}), release: make(chan struct{})}
	done := make(chan struct{})
	go func() {
		h1.ServeHTTP(bw, httptest.NewRequest(http.MethodGet, "http://127.0.0.1/snapshot", nil))
		close(done)
	}()
	<-bw.started
	// The first response is being sent: a second request, to this handler or another one,
	// is refused.
	for _, h := range []http.Handler{h1, h2} {
		rec := get(t, h, "/snapshot", nil)
		if rec.Code != http.StatusTooManyRequests {
			t.Fatalf("second snapshot: status %d, want 429", rec.Code)
		}
		if rec.Header().Get("Retry-After") == "" {
			t.Error("429 without Retry-After")
		}
	}
	// The other endpoints still answer.
	if rec := get(t, h1, "/heapwise.json", nil); rec.Code != http.StatusOK {
		t.Errorf("info during a snapshot: status %d", rec.Code)
	}
	close(bw.release)
	<-done
	if bw.code != http.StatusOK || !bytes.HasPrefix(bw.body.Bytes(), []byte(DumpMagic)) {
		t.Fatalf("first snapshot: status %d, %d bytes", bw.code, bw.body.Len())
	}
	if n := bw.header.Get(SnapshotBytesHeader); n != strconv.Itoa(bw.body.Len()) {
		t.Errorf("first snapshot: %s %q, %d bytes", SnapshotBytesHeader, n, bw.body.Len())
	}
	// Once it is done, the next one is taken.
	readDump(t, get(t, h2, "/snapshot", nil), false)
}

// countingWriter is a ResponseWriter that keeps the status, headers and first bytes of a
// response and counts the rest, so measuring a dump does not grow the heap by a dump.
type countingWriter struct {
	header http.Header
	code   int
	n      int64
	head   []byte
}

func (c *countingWriter) Header() http.Header { return c.header }
func (c *countingWriter) WriteHeader(code int) {
	if c.code == 0 {
		c.code = code
	}
}
func (c *countingWriter) Write(p []byte) (int, error) {
	c.WriteHeader(http.StatusOK)
	if len(c.head) < 512 {
		c.head = append(c.head, p[:min(len(p), 512-len(c.head))]...)
	}
	c.n += int64(len(p))
	return len(p), nil
}

func snapshotCounted(h http.Handler) *countingWriter {
	c := &countingWriter{header: http.Header{}}
	h.ServeHTTP(c, httptest.NewRequest(http.MethodGet, "http://127.0.0.1/snapshot", nil))
	return c
}

func TestSnapshotSizeLimit(t *testing.T) {
	// Below the heap's objects: refused before the world is stopped.
	rec := get(t, NewHandler(Options{MaxSnapshotBytes: markerCount * 32}), "/snapshot", nil)
	if rec.Code != http.StatusRequestEntityTooLarge || !strings.Contains(rec.Body.String(), "the heap's objects take") {
		t.Fatalf("limit below the heap: status %d: %s", rec.Code, rec.Body)
	}
	// Above the heap's objects but below the dump (which also holds the data and bss
	// segments, the stacks and each object's pointer offsets): refused once written.
	runtime.GC()
	c := snapshotCounted(Handler())
	if c.code != http.StatusOK || !bytes.HasPrefix(c.head, []byte(DumpMagic)) {
		t.Fatalf("snapshot: status %d: %q", c.code, c.head)
	}
	runtime.GC()
	objects := heapObjectBytes()
	if c.n <= int64(objects)+1<<16 {
		t.Fatalf("dump %d bytes, heap objects %d: no room for a limit between them", c.n, objects)
	}
	limit := int64(objects) + (c.n-int64(objects))/2
	over := snapshotCounted(NewHandler(Options{MaxSnapshotBytes: limit}))
	if over.code != http.StatusRequestEntityTooLarge || !strings.Contains(string(over.head), "the snapshot took") {
		t.Fatalf("limit %d between heap objects %d and dump %d: status %d: %s", limit, objects, c.n, over.code, over.head)
	}
	// Above the dump: served.
	if ok := snapshotCounted(NewHandler(Options{MaxSnapshotBytes: c.n * 2})); ok.code != http.StatusOK {
		t.Fatalf("limit %d over the dump %d: status %d: %s", c.n*2, c.n, ok.code, ok.head)
	}
}

func TestExe(t *testing.T) {
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile(self)
	if err != nil {
		t.Fatal(err)
	}
	rec := get(t, Handler(), "/exe", nil)
	if rec.Code != http.StatusOK || !bytes.Equal(rec.Body.Bytes(), want) {
		t.Fatalf("exe: status %d, %d bytes, want the %d bytes of %s", rec.Code, rec.Body.Len(), len(want), self)
	}
	if cl := rec.Header().Get("Content-Length"); cl != strconv.Itoa(len(want)) {
		t.Errorf("Content-Length %q", cl)
	}
	if cd, wantCD := rec.Header().Get("Content-Disposition"), attachment(filepath.Base(self)); cd != wantCD || !strings.HasPrefix(cd, "attachment; filename=") {
		t.Errorf("Content-Disposition %q, want %q", cd, wantCD)
	}
	rec = get(t, Handler(), "/exe", http.Header{"Range": {"bytes=0-3"}})
	if rec.Code != http.StatusPartialContent || rec.Body.String() != "\x7fELF" {
		t.Errorf("exe range: status %d, %q", rec.Code, rec.Body.String())
	}
}

func TestRefused(t *testing.T) {
	srv := httptest.NewServer(Handler()) // on 127.0.0.1
	defer srv.Close()
	do := func(host, site string) int {
		req, err := http.NewRequest(http.MethodGet, srv.URL+"/heapwise.json", nil)
		if err != nil {
			t.Fatal(err)
		}
		if host != "" {
			req.Host = host
		}
		if site != "" {
			req.Header.Set("Sec-Fetch-Site", site)
		}
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode
	}
	port := srv.URL[strings.LastIndex(srv.URL, ":")+1:]
	for _, c := range []struct {
		host, site string
		want       int
	}{
		{"", "", 200}, {"", "same-origin", 200}, {"", "none", 200},
		{"", "cross-site", 403}, {"", "same-site", 403},
		{"localhost:" + port, "", 200}, {"[::1]:" + port, "", 200},
		{"rebound.example:" + port, "", 403}, {"rebound.example", "same-origin", 403},
	} {
		if got := do(c.host, c.site); got != c.want {
			t.Errorf("Host %q Sec-Fetch-Site %q: status %d, want %d", c.host, c.site, got, c.want)
		}
	}
	allow := httptest.NewServer(NewHandler(Options{AllowHosts: []string{"box.internal"}}))
	defer allow.Close()
	req, _ := http.NewRequest(http.MethodGet, allow.URL+"/heapwise.json", nil)
	req.Host = "box.internal"
	resp, err := allow.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("AllowHosts: status %d", resp.StatusCode)
	}
}

func TestNeverMountsItself(t *testing.T) {
	for _, p := range []string{"/debug/heapwise/", "/heapwise/", "/snapshot", "/exe", "/heapwise.json"} {
		if _, pattern := http.DefaultServeMux.Handler(httptest.NewRequest(http.MethodGet, p, nil)); pattern != "" {
			t.Errorf("http.DefaultServeMux serves %s (pattern %q)", p, pattern)
		}
	}
}

// pageFiles is every file of the embedded page but the placeholder, by path.
func pageFiles(t *testing.T) map[string][]byte {
	t.Helper()
	files := map[string][]byte{}
	sub, err := fs.Sub(pageFS, "page")
	if err != nil {
		t.Fatal(err)
	}
	err = fs.WalkDir(sub, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || p == "placeholder.html" {
			return err
		}
		b, err := fs.ReadFile(sub, p)
		files[p] = b
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// TestEmbeddedPageIsDist checks that the page compiled into the package is the current build
// of the repository's page: every file of dist/ byte for byte, and nothing else
// (scripts/embed-page.sh makes it so).
func TestEmbeddedPageIsDist(t *testing.T) {
	dist := filepath.Join(repoRoot(t), "dist")
	if _, err := os.Stat(filepath.Join(dist, "index.html")); err != nil {
		skipOrFail(t, "no built page at %s (scripts/serve.sh or trunk build)", dist)
	}
	embedded := pageFiles(t)
	seen := 0
	err := filepath.WalkDir(dist, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(dist, p)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		want, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		got, ok := embedded[rel]
		switch {
		case !ok:
			t.Errorf("dist/%s is not embedded: run scripts/embed-page.sh", rel)
		case !bytes.Equal(got, want):
			t.Errorf("embedded %s differs from dist/%s: run scripts/embed-page.sh", rel, rel)
		}
		seen++
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if seen != len(embedded) {
		t.Errorf("%d files embedded, dist/ has %d: run scripts/embed-page.sh", len(embedded), seen)
	}
	// And the handler serves the embedded index at its root.
	rec := get(t, Handler(), "/", nil)
	want, _ := os.ReadFile(filepath.Join(dist, "index.html"))
	if rec.Code != http.StatusOK || !bytes.Equal(rec.Body.Bytes(), want) {
		t.Errorf("GET /: status %d, not dist/index.html", rec.Code)
	}
}

func TestPlaceholderWithoutBuild(t *testing.T) {
	// The handler of a package built without a page copied in (NewHandler tells it by the
	// missing index.html).
	built := NewHandler(Options{}).(*handler)
	h := &handler{page: built.page, built: false}
	rec := get(t, h, "/", nil)
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), "scripts/embed-page.sh") {
		t.Errorf("GET / without a build: status %d: %s", rec.Code, rec.Body)
	}
	// The endpoints work without the page.
	if rec := get(t, h, "/heapwise.json", nil); rec.Code != http.StatusOK {
		t.Errorf("heapwise.json without a build: status %d", rec.Code)
	}
}

// heapwiseCLI is the heapwise CLI of this repository (HEAPWISE_CLI, else target/release).
func heapwiseCLI(t *testing.T) string {
	t.Helper()
	cli := os.Getenv("HEAPWISE_CLI")
	if cli == "" {
		cli = filepath.Join(repoRoot(t), "target", "release", "heapwise")
	}
	if _, err := os.Stat(cli); err != nil {
		skipOrFail(t, "no heapwise CLI at %s (cargo build --release -p heapwise-cli)", cli)
	}
	return cli
}

// TestSnapshotIsAHeapDump reads a gzipped snapshot of this test process back through the
// heapwise CLI with the executable the exe endpoint serves: heapwise must find exactly the
// markers this package holds.
func TestSnapshotIsAHeapDump(t *testing.T) {
	cli := heapwiseCLI(t)
	// go test links without DWARF unless asked (-ldflags=-w=0, as scripts/test-go.sh does);
	// heapwise names a dump's small objects through the executable's DWARF.
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	if ef, err := elf.Open(self); err != nil {
		t.Fatal(err)
	} else {
		hasDWARF := ef.Section(".debug_info") != nil || ef.Section(".zdebug_info") != nil
		ef.Close()
		if !hasDWARF {
			skipOrFail(t, "the test binary has no DWARF (go test -ldflags=-w=0)")
		}
	}
	h := Handler()
	runtime.GC()
	dump := readDump(t, get(t, h, "/snapshot", http.Header{"Accept-Encoding": {"gzip"}}), true)
	exe := get(t, h, "/exe", nil)
	if exe.Code != http.StatusOK {
		t.Fatalf("exe: status %d", exe.Code)
	}
	dir := t.TempDir()
	if keep := os.Getenv("HEAPWISE_KEEP_DIR"); keep != "" {
		dir = keep // to look at a failure
	}
	dumpPath, exePath := filepath.Join(dir, "heap.dump"), filepath.Join(dir, "exe")
	if err := os.WriteFile(dumpPath, dump, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(exePath, exe.Body.Bytes(), 0o700); err != nil {
		t.Fatal(err)
	}
	run := func(args ...string) []byte {
		cmd := exec.Command(cli, args...)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("heapwise %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
		}
		return out
	}
	var overview struct {
		GoVersion string `json:"go_version"`
	}
	out := run("overview", dumpPath, "--exe", exePath, "--json")
	if err := json.Unmarshal(out, &overview); err != nil {
		t.Fatalf("overview --json: %v\n%s", err, out)
	}
	if overview.GoVersion != runtime.Version() {
		t.Errorf("overview: go_version %q, want %q\n%s", overview.GoVersion, runtime.Version(), out)
	}
	var rows []struct {
		Type  string `json:"type"`
		Count uint64 `json:"count"`
	}
	out = run("histogram", dumpPath, "--exe", exePath, "--json")
	if err := json.Unmarshal(out, &rows); err != nil {
		t.Fatalf("histogram --json: %v\n%.2000s", err, out)
	}
	const name = "heapwise.dev/go/heapwisehttp.snapshotMarker"
	var got uint64
	for _, r := range rows {
		if r.Type == name {
			got = r.Count
		}
	}
	if got != markerCount {
		t.Errorf("heapwise counts %d %s in the snapshot, the test holds %d; histogram:\n%.3000s", got, name, markerCount, out)
	}
	// markers[7]: the global's backing array, then the marker.
	var path struct {
		Root struct{ Kind, Name string }
		Hops []struct {
			Addr uint64
			Type string
		}
	}
	addr := uint64(uintptr(unsafe.Pointer(markers[7])))
	out = run("path", dumpPath, fmt.Sprintf("%#x", addr), "--exe", exePath, "--json")
	if err := json.Unmarshal(out, &path); err != nil {
		t.Fatalf("path --json: %v\n%s", err, out)
	}
	if path.Root.Kind != "global" || !strings.Contains(path.Root.Name, "heapwise.dev/go/heapwisehttp.markers") ||
		len(path.Hops) != 2 || path.Hops[1].Addr != addr || path.Hops[1].Type != name {
		t.Errorf("path to markers[7] at %#x: %s", addr, out)
	}
	runtime.KeepAlive(markers)
}
