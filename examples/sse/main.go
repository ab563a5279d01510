// Command sse is workerman's Server-Sent Events example
// (docs/workerman-sse.md) in Go, one-to-one: a request with
// "Accept: text/event-stream" gets an event stream and, every 2 seconds, an
// event "message" with data "hello" and id 1; once the connection is gone
// the timer deletes itself.
// Every other request gets "ok".
//
// One addition for people: a browser opening the page (GET / asking for
// text/html) gets a small page running the example's JavaScript client, so
// you can watch "hello" arrive:
//
//	go run ./examples/sse            # then open http://127.0.0.1:8080/
//	go run ./examples/sse -cert site.crt -key site.key   # https://
//	go run ./examples/sse -addr 127.0.0.1:9000
package main

import (
	_ "embed"
	"flag"
	"log"
	"strings"
	"time"

	"github.com/gnetworker/gnetworker/connection"
	"github.com/gnetworker/gnetworker/examples/internal/serverflags"
	"github.com/gnetworker/gnetworker/protocols/http"
	"github.com/gnetworker/gnetworker/timer"
	"github.com/gnetworker/gnetworker/worker"
)

//go:embed index.html
var page string

func main() {
	addr := flag.String("addr", "0.0.0.0:8080", "listen address, host:port")
	tlsFiles := serverflags.RegisterTLS()
	flag.Parse()
	w, err := newWorker(*addr)
	if err != nil {
		log.Fatal(err)
	}
	if err := tlsFiles.Apply(w); err != nil {
		log.Fatal(err)
	}
	w.OnWorkerStart = func(w *worker.Worker) {
		log.Printf("SSE example on %s://%s/", tlsFiles.Scheme("http"), w.Addr())
	}
	if err := worker.RunAll(); err != nil {
		log.Fatal(err)
	}
}

// newWorker builds the example's worker on addr without starting it.
func newWorker(addr string) (*worker.Worker, error) {
	w, err := worker.New("http://" + addr)
	if err != nil {
		return nil, err
	}
	w.OnMessage = func(c *connection.TcpConnection, req *http.Request) {
		// If the Accept header is text/event-stream, this is an SSE request.
		if req.Header("accept") == "text/event-stream" {
			// First send a response carrying Content-Type: text/event-stream.
			_ = c.Send(http.NewResponse(200, map[string]string{"Content-Type": "text/event-stream"}, "\r\n"))
			// Push data to the client periodically.
			_, _ = timer.Add(2*time.Second, func(id timer.ID) {
				// Once the connection is closed the timer must be deleted,
				// so that timers do not pile up and leak memory.
				if c.Status() != connection.StatusEstablished {
					timer.Del(id)
					return
				}
				// Send a `message` event carrying the data `hello`; the id is optional.
				_ = c.Send(http.ServerSentEvents{Event: "message", Data: "hello", ID: "1"})
			})
			return
		}
		if req.Path() == "/" && strings.Contains(req.Header("accept"), "text/html") {
			_ = c.Send(http.NewResponse(200, nil, page))
			return
		}
		_ = c.Send("ok")
	}
	return w, nil
}
