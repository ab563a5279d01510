package main

import (
	"net"
	"net/http"
	"strconv"
	"sync"

	"github.com/gnetworker/gnetworker/benchmarks/internal/common"
)

// sseHead starts an event stream that lasts until the connection closes,
// as the framework's and the raw gnet server's do.
var sseHead = []byte("HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\n\r\n")

// hub is the SSE fan-out done the non-blocking way nbio allows: GET /sse
// hijacks the poller-owned connection and keeps it in a set, so an idle
// subscriber holds no goroutine; a publish writes the event to each
// connection, which nbio queues when the socket is full.
type hub struct {
	mu   sync.Mutex
	subs map[net.Conn]struct{}
	seq  int
}

func newHub() *hub { return &hub{subs: map[net.Conn]struct{}{}} }

func (h *hub) subscribe(w http.ResponseWriter, r *http.Request) {
	c, _, err := w.(http.Hijacker).Hijack()
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	if _, err := c.Write(sseHead); err != nil {
		_ = c.Close()
		return
	}
	h.mu.Lock()
	h.subs[c] = struct{}{}
	h.mu.Unlock()
}

func (h *hub) remove(c net.Conn) {
	h.mu.Lock()
	delete(h.subs, c)
	h.mu.Unlock()
}

func (h *hub) publish() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.seq++
	ev := []byte("id: " + strconv.Itoa(h.seq) + "\ndata: " + common.EventData + "\n\n")
	for c := range h.subs {
		_, _ = c.Write(ev)
	}
	return len(h.subs)
}
