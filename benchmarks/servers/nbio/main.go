// Command nbio is the lesismal/nbio comparison server: nbhttp in its
// non-blocking mode (IOModNonBlocking, the default) with -count pollers
// that also run the handlers (ServerExecutor inline). It has the net/http
// server's routes and response bytes, on a net/http ServeMux: GET /,
// GET /json, POST /post, GET /sse and GET /publish (sse.go). With -echo it
// answers every request with common.StdEcho instead, for the strictness
// phase; with -ws it serves WebSocket instead, with nbio's Upgrader on the
// same engine (ws.go).
package main

import (
	"encoding/json"
	"flag"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"syscall"

	"github.com/gnetworker/gnetworker/benchmarks/internal/common"
	"github.com/lesismal/nbio/nbhttp"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8080", "listen address")
	count := flag.Int("count", 1, "pollers (event loops)")
	echo := flag.Bool("echo", false, "answer every request with its echo (strictness phase)")
	ws := flag.Bool("ws", false, "serve WebSocket on /ws (the ws-* scenarios)")
	flag.Parse()
	common.RaiseNoFile()
	hub := newHub()
	var h http.Handler = routes(hub)
	switch {
	case *echo:
		h = http.HandlerFunc(common.StdEcho)
	case *ws:
		h = newWSHub().routes()
	}
	engine := nbhttp.NewEngine(nbhttp.Config{
		Network: "tcp",
		Addrs:   []string{*addr},
		IOMod:   nbhttp.IOModNonBlocking,
		NPoller: *count,
		MaxLoad: 1 << 20,
		Handler: h,
		// Run each handler on its poller, as gnet's loops do: no handler
		// here blocks. nbio's default, a goroutine pool, cost 20-25 µs of
		// CPU per plaintext request against 15 here (wrk -c256, 1 core).
		ServerExecutor: func(f func()) { f() },
		// Give a WebSocket message's buffer back to nbio's allocator
		// once OnMessage returns, as the Upgrader's default engine does.
		ReleaseWebsocketPayload: *ws,
	})
	engine.OnClose(func(c net.Conn, _ error) { hub.remove(c) })
	if err := engine.Start(); err != nil {
		log.Fatal(err)
	}
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, os.Interrupt)
	<-sig
}

func routes(hub *hub) *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		reply(w, "text/plain", common.Hello)
	})
	mux.HandleFunc("GET /json", func(w http.ResponseWriter, r *http.Request) {
		b, _ := json.Marshal(common.Message{Message: common.Hello})
		reply(w, "application/json", string(b))
	})
	mux.HandleFunc("POST /post", func(w http.ResponseWriter, r *http.Request) {
		n, _ := io.Copy(io.Discard, r.Body)
		reply(w, "text/plain", strconv.FormatInt(n, 10))
	})
	mux.HandleFunc("GET /publish", func(w http.ResponseWriter, r *http.Request) {
		reply(w, "text/plain", strconv.Itoa(hub.publish()))
	})
	mux.HandleFunc("GET /sse", hub.subscribe)
	return mux
}

// reply writes body with its Content-Length: without one, nbhttp answers
// chunked, where net/http sets the length of a small body itself.
func reply(w http.ResponseWriter, ctype, body string) {
	w.Header().Set("Content-Type", ctype)
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	_, _ = io.WriteString(w, body)
}
