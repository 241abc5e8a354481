// Command service is a small but realistic HTTP service under load, for the real-program
// corpus (scripts/make-real-cores.sh): a net/http server (one goroutine per connection), a
// sync.Map response cache whose entries expire through time.AfterFunc timers, a ticker-driven
// janitor, and a client in the same process that keeps a bounded loopback load on it.
//
// Unlike the other testdata programs it has no truth harness: it does not know its heap
// exactly. The corpus reads the runtime's own accounting from its core instead. It prints
// READY once the load has warmed the cache, keeps the load running (so the core is taken
// under load), and exits on its own after HEAPWISE_SERVICE_SECONDS (default 120).
package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// entry is one cached response.
type entry struct {
	key     string
	body    []byte
	etag    string
	created time.Time
	hits    atomic.Int64
	expire  *time.Timer
}

// server holds the service's state.
type server struct {
	cache    sync.Map // string -> *entry
	entries  atomic.Int64
	requests atomic.Int64
	mu       sync.Mutex
	recent   []requestLog // ring of the last requests
	next     int
}

type requestLog struct {
	path   string
	status int
	took   time.Duration
	remote string
}

type item struct {
	ID    int               `json:"id"`
	Name  string            `json:"name"`
	Tags  []string          `json:"tags"`
	Attrs map[string]string `json:"attrs"`
}

const ttl = 3 * time.Second

func (s *server) render(key string) *entry {
	n := 8 + len(key)%24
	items := make([]item, n)
	for i := range items {
		items[i] = item{
			ID:    i,
			Name:  fmt.Sprintf("%s-item-%d", key, i),
			Tags:  []string{"a", "b", strconv.Itoa(i)},
			Attrs: map[string]string{"k": key, "i": strconv.Itoa(i)},
		}
	}
	body, _ := json.Marshal(items)
	sum := sha256.Sum256(body)
	e := &entry{key: key, body: body, etag: hex.EncodeToString(sum[:8]), created: time.Now()}
	e.expire = time.AfterFunc(ttl, func() {
		if s.cache.CompareAndDelete(key, e) {
			s.entries.Add(-1)
		}
	})
	return e
}

func (s *server) handle(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	s.requests.Add(1)
	key := r.URL.Path
	v, ok := s.cache.Load(key)
	if !ok {
		e := s.render(key)
		if old, loaded := s.cache.LoadOrStore(key, e); loaded {
			e.expire.Stop()
			v = old
		} else {
			s.entries.Add(1)
			v = e
		}
	}
	e := v.(*entry)
	e.hits.Add(1)
	status := http.StatusOK
	if r.Header.Get("If-None-Match") == e.etag {
		status = http.StatusNotModified
		w.WriteHeader(status)
	} else {
		w.Header().Set("ETag", e.etag)
		w.Header().Set("Content-Type", "application/json")
		w.Write(e.body)
	}
	s.mu.Lock()
	s.recent[s.next] = requestLog{path: key, status: status, took: time.Since(start), remote: r.RemoteAddr}
	s.next = (s.next + 1) % len(s.recent)
	s.mu.Unlock()
}

// client keeps one keep-alive connection busy with requests over a key space.
func client(ctx context.Context, base string, id int, done *atomic.Int64) {
	tr := &http.Transport{MaxIdleConnsPerHost: 1, DisableCompression: true}
	c := &http.Client{Transport: tr, Timeout: 5 * time.Second}
	defer tr.CloseIdleConnections()
	rng := rand.New(rand.NewPCG(uint64(id), 7))
	etags := map[string]string{}
	for ctx.Err() == nil {
		path := fmt.Sprintf("/obj/%d", rng.IntN(4000))
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+path, nil)
		if t, ok := etags[path]; ok && rng.IntN(2) == 0 {
			req.Header.Set("If-None-Match", t)
		}
		resp, err := c.Do(req)
		if err != nil {
			continue
		}
		var buf bytes.Buffer
		io.Copy(&buf, resp.Body)
		resp.Body.Close()
		if t := resp.Header.Get("ETag"); t != "" {
			etags[path] = t
		}
		done.Add(1)
	}
}

func main() {
	seconds := 120
	if v, err := strconv.Atoi(os.Getenv("HEAPWISE_SERVICE_SECONDS")); err == nil && v > 0 {
		seconds = v
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Duration(seconds)*time.Second)
	defer cancel()
	s := &server{recent: make([]requestLog, 4096)}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/obj/", s.handle)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second, IdleTimeout: 30 * time.Second}
	go srv.Serve(ln)

	// Janitor: a ticker that trims the request ring's strings now and then.
	go func() {
		t := time.NewTicker(500 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				s.mu.Lock()
				s.recent[(s.next+len(s.recent)/2)%len(s.recent)] = requestLog{}
				s.mu.Unlock()
			}
		}
	}()

	var done atomic.Int64
	var wg sync.WaitGroup
	const clients = 32
	for i := 0; i < clients; i++ {
		wg.Add(1)
		go func() { defer wg.Done(); client(ctx, "http://"+ln.Addr().String(), i, &done) }()
	}
	// Warm up: enough requests that most keys are cached and some have expired.
	for done.Load() < 20000 && ctx.Err() == nil {
		time.Sleep(10 * time.Millisecond)
	}
	fmt.Printf("READY requests=%d entries=%d\n", s.requests.Load(), s.entries.Load())
	os.Stdout.Sync()
	wg.Wait()
	srv.Close()
}
