// demo models a small web service with a leak, for the page's bundled
// example: a session cache that only ever grows, a request log that keeps
// every request's body buffer, and a few worker goroutines each holding the
// request it is working on.
package main

import (
	"fmt"
	"runtime"
	"strings"

	"heapwise/testdata/truth"
)

type User struct {
	id    int
	name  string
	email string
}

type Session struct {
	id       string
	user     *User
	created  int64
	lastSeen int64
	hits     int
	cart     *Cart
}

type Cart struct {
	items []CartItem
	total int
}

// CartItem lives in []CartItem backing arrays; not asserted (a one-element
// array is indistinguishable from a single CartItem).
type CartItem struct {
	sku   int
	qty   int
	price int
}

type Request struct {
	id      int
	path    string
	session *Session
	body    []byte
	headers *Headers
}

type Headers struct {
	names  []string
	values []string
}

type Worker struct {
	id       int
	inflight *Request
	done     int
}

const (
	nUsers    = 400
	nSessions = 1500 // the leak: never evicted
	nCarts    = 500  // every third session has a cart
	nRequests = 600  // the other leak: logged with their bodies
	bodySize  = 1024
	nWorkers  = 4
	nTracked  = 20 // requests with a *Headers
)

var (
	users        []*User
	sessionCache map[string]*Session
	requestLog   []*Request
	jobs         chan *Request // never fed: workers wait on it
	quit         chan struct{}
)

//go:noinline
func newRequest(id int, s *Session) *Request {
	body := make([]byte, bodySize)
	line := fmt.Sprintf("POST /api/cart/%d HTTP/1.1 session=%s ", id, s.id)
	for i := 0; i < len(body); i += len(line) {
		copy(body[i:], line)
	}
	r := &Request{id: id, path: "/api/cart/" + fmt.Sprint(id%10), session: s, body: body}
	if id < nTracked {
		r.headers = &Headers{names: []string{"Content-Type", "X-Trace"}, values: []string{"application/json", strings.Repeat("t", 16)}}
	}
	return r
}

//go:noinline
func newWorker(id int, r *Request) *Worker {
	return &Worker{id: id, inflight: r}
}

// worker makes the request it works on and holds it, through its Worker,
// in a local only (the go statement passes no Request, so no wrapper
// closure refers to it).
func worker(id int, s *Session, started chan<- [2]uintptr) {
	w := newWorker(id, newRequest(nRequests+id, s))
	started <- [2]uintptr{truth.Addr(w), truth.Addr(w.inflight)}
	select {
	case <-jobs:
	case <-quit:
	}
	w.done++
	runtime.KeepAlive(w)
}

func janitor(started chan<- [2]uintptr) {
	started <- [2]uintptr{}
	<-quit
}

func main() {
	t := truth.New("demo")

	users = make([]*User, nUsers)
	for i := range users {
		name := fmt.Sprintf("user%03d", i)
		users[i] = &User{id: i, name: name, email: name + "@example.com"}
	}
	sessionCache = make(map[string]*Session)
	var sessions []*Session // local, dead after the loop below
	for i := 0; i < nSessions; i++ {
		s := &Session{id: fmt.Sprintf("sess-%06d", i), user: users[i%nUsers], created: int64(1700000000 + i), lastSeen: int64(1700000000 + 2*i), hits: i % 7}
		if i%3 == 0 {
			s.cart = &Cart{items: make([]CartItem, 1+i%4), total: i}
		}
		sessionCache[s.id] = s
		sessions = append(sessions, s)
	}
	requestLog = make([]*Request, 0, nRequests)
	for i := 0; i < nRequests; i++ {
		requestLog = append(requestLog, newRequest(i, sessions[(i*7)%nSessions]))
	}

	jobs = make(chan *Request)
	quit = make(chan struct{})
	started := make(chan [2]uintptr)
	var workers [nWorkers]uintptr
	var inflight [nWorkers]uintptr
	for i := 0; i < nWorkers; i++ {
		go worker(i, sessions[i], started)
		a := <-started
		workers[i], inflight[i] = a[0], a[1]
	}
	go janitor(started)
	<-started
	sessions = nil

	t.Settle()

	truth.Type[User](t, "main.User", nUsers)
	truth.Type[Session](t, "main.Session", nSessions)
	truth.Type[Cart](t, "main.Cart", nCarts)
	truth.Type[Request](t, "main.Request", nRequests+nWorkers)
	truth.Type[Headers](t, "main.Headers", nTracked)
	truth.Type[Worker](t, "main.Worker", nWorkers)

	t.Obj("session_000042", truth.Addr(sessionCache["sess-000042"]), "main.Session")
	t.Obj("request_0", truth.Addr(requestLog[0]), "main.Request")
	t.Obj("user_0", truth.Addr(users[0]), "main.User")
	for i := 0; i < nWorkers; i++ {
		t.Obj(fmt.Sprintf("worker_%d", i), workers[i], "main.Worker")
		t.Obj(fmt.Sprintf("inflight_%d", i), inflight[i], "main.Request")
		t.Path(fmt.Sprintf("worker_%d", i), workers[i], "stack", "main.worker", 1)
		t.Path(fmt.Sprintf("inflight_%d", i), inflight[i], "stack", "main.worker", 2)
	}
	t.Path("request_0", truth.Addr(requestLog[0]), "global", "main.requestLog", 2)
	t.Path("user_0", truth.Addr(users[0]), "global", "main.users", 2)
	t.Funcs("main.worker", "main.janitor", "main.main")
	t.Finish()
}
